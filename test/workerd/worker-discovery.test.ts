import { describe, expect, it, vi } from "vitest";
import { ORIGIN_API_KEY, ORIGIN_SECRET } from "../fixtures/worker-env.ts";
import { call, callWith, originUrl } from "./support/paywall-client.ts";

/** The discovery documents as the template Worker serves them (their validity against OpenAPI: test/node/discovery.test.ts). */
describe("discovery through the template Worker", () => {
  it("/.well-known/l402-services lists every paid service's routes, prices and schemes, and nothing else", async () => {
    const response = await call("/.well-known/l402-services");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(response.headers.get("cache-control")).toBe("public, max-age=300");
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    const text = await response.text();
    const document = JSON.parse(text) as { version: string; payment_methods: unknown[]; routes: { path: string; service: string; price: { amount_msat: number }; schemes: string[]; uses?: number }[] };
    expect(document.version).toBe("1");
    expect(document.payment_methods).toEqual([{ type: "lightning", schemes: ["L402", "Payment"] }]);
    const route = (service: string) => document.routes.find((r) => r.service === service);
    expect(route("api")).toMatchObject({ path: "/api/*", price: { type: "static", amount_msat: 10_000, amount_sats: "10" }, schemes: ["l402"], macaroon_timeout_secs: 3600, capabilities: ["read", "write"] });
    expect(route("other")).toMatchObject({ price: { amount_msat: 1500, amount_sats: "1.5" } });
    // A token's terms, and what one Payment charge buys beside them.
    expect(route("dual")).toMatchObject({ schemes: ["l402", "mpp"], description: "Both schemes, one invoice", terms: "Access for 1 hour.", charge_terms: "One request per payment." });
    expect(route("charge")).toMatchObject({ schemes: ["mpp"], terms: "Access without expiry.", charge_terms: "One request per payment." });
    expect(route("metered")).toMatchObject({ uses: 3, charge_on: "below_500", caveats_required: ["services=metered:0", "metered_valid_until", "metered_uses=3"] });
    // Free services are not for sale; origins, their headers and secrets are never published.
    expect(route("public")).toBeUndefined();
    for (const secret of [originUrl(), ORIGIN_SECRET, ORIGIN_API_KEY, "strip_prefix", "X-Static", "freebies"]) expect(text).not.toContain(secret);
  });

  it("/openapi.json marks every paid operation: x-payment-info for Payment offers, a 402, the schemes it takes", async () => {
    const response = await call("/openapi.json");
    expect(response.headers.get("cache-control")).toBe("public, max-age=300");
    const text = await response.text();
    const document = JSON.parse(text) as { openapi: string; paths: Record<string, Record<string, Record<string, unknown>>> };
    expect(document.openapi).toBe("3.1.0");
    expect(document.paths["/dual/{rest}"]?.["get"]).toMatchObject({
      "x-payment-info": { offers: [{ intent: "charge", method: "lightning", amount: "4", currency: "sat", description: "One request per payment." }] },
      responses: { "402": { description: expect.any(String) } },
      security: [{ L402: [] }, { Payment: [] }],
      "x-l402": { service: "dual", price_msat: 4000, schemes: ["l402", "mpp"] },
    });
    // L402 only: no Payment offer.
    expect(document.paths["/api/{rest}"]?.["post"]).toMatchObject({ security: [{ L402: [] }], "x-l402": { service: "api" } });
    expect(document.paths["/api/{rest}"]?.["post"]?.["x-payment-info"]).toBeUndefined();
    expect(document.paths["/public/{rest}"]).toBeUndefined();
    expect(text).not.toContain(originUrl());
  });

  it("describes selling by usage as the Worker is configured: price rules, a balance's credit offers, its meter and its reservation", async () => {
    const services = [
      { name: "images", match: ["/images/*"], price_sats: 2, price_rules: [{ query: { size: "large" }, price_sats: 10 }], origin: { url: originUrl() } },
      { name: "chat", match: ["/v1/*"], price_sats: 5, max_cost_sats: 20, balance: { amounts_sats: [1000, 5000], bonus_sats: { "5000": 250 } }, meter: { per_1k_input_tokens_msat: 3000, per_1k_output_tokens_msat: 15_000 }, origin: { url: originUrl() } },
    ];
    const response = await callWith({ L402_SERVICES: JSON.stringify(services) }, "/.well-known/l402-services");
    expect(response.status).toBe(200);
    const { routes } = (await response.json()) as { routes: Record<string, unknown>[] };
    expect(routes.find((r) => r["service"] === "images")).toMatchObject({ price: { type: "dynamic", amount_sats: "2", rules: [{ query: { size: "large" }, amount_sats: "10" }] }, caveats_required: ["services=images:0", "images_price_msat"] });
    expect(routes.find((r) => r["service"] === "chat")).toMatchObject({
      price: { type: "static", amount_msat: 5000 },
      balance: { credit_offers: [{ amount_sats: 1000, credit_sats: 1000 }, { amount_sats: 5000, credit_sats: 5250 }], debited: "metered", reserved_msat: 20_000, meter: { per_1k_input_tokens_msat: 3000, per_1k_output_tokens_msat: 15_000 } },
      terms: expect.stringMatching(/^Prepaid credit/),
    });
    const openapi = (await (await callWith({ L402_SERVICES: JSON.stringify(services) }, "/openapi.json")).json()) as { paths: Record<string, Record<string, Record<string, unknown>>> };
    expect(openapi.paths["/v1/{rest}"]?.["get"]?.["x-l402"]).toMatchObject({ service: "chat", balance: { credit_header: "X-L402-Credit", balance_header: "X-L402-Balance" } });
  });

  it("is cacheable: an ETag, and 304 for a client that has it", async () => {
    const first = await call("/openapi.json");
    const tag = first.headers.get("etag");
    expect(tag).toMatch(/^"/);
    await first.body?.cancel();
    const again = await call("/openapi.json", { headers: { "If-None-Match": tag ?? "" } });
    expect(again.status).toBe(304);
  });

  it("annotates the operator's own OpenAPI document, and can be turned off", async () => {
    const base = { openapi: "3.1.0", info: { title: "Weather API", version: "2" }, paths: { "/dual/forecast": { get: { summary: "Forecast", responses: { "200": { description: "ok" } } } }, "/public/ping": { get: { responses: { "200": { description: "pong" } } } } } };
    const annotated = (await (await callWith({ L402_OPENAPI: JSON.stringify(base), L402_SERVICE_NAME: "Weather" }, "/openapi.json")).json()) as typeof base & { paths: Record<string, Record<string, Record<string, unknown>>> };
    expect(annotated.info).toEqual(base.info);
    expect(annotated.paths["/dual/forecast"]?.["get"]).toMatchObject({ summary: "Forecast", "x-l402": { service: "dual" }, responses: { "200": { description: "ok" }, "402": {} } });
    expect(annotated.paths["/public/ping"]?.["get"]).toEqual(base.paths["/public/ping"].get);
    const off = await callWith({ L402_DISCOVERY: "off" }, "/.well-known/l402-services");
    // Off, the path is the paywall's like any other: no service matches it here.
    expect(off.status).toBe(404);
    const bad = await callWith({ L402_OPENAPI: "{\"swagger\": \"2.0\"}" }, "/openapi.json");
    expect(bad.status).toBe(500);
  });

  it("publishes none of the operator's servers (often the origin's own address, which a client could reach round the paywall): the document's default is the paywall", async () => {
    const origin = [{ url: "http://origin-internal:8080" }];
    const base = {
      openapi: "3.1.0",
      info: { title: "Weather API", version: "2" },
      servers: origin,
      paths: {
        "/dual/forecast": {
          servers: origin,
          get: {
            servers: origin,
            summary: "Forecast",
            responses: { "200": { description: "ok", links: { again: { operationId: "forecast", server: origin[0] } } } },
            callbacks: { done: { "{$request.query.hook}": { servers: origin, post: { servers: origin, responses: { "200": { description: "ok" } } } } } },
          },
        },
        "/public/ping": { servers: origin, get: { servers: origin, responses: { "200": { description: "pong" } } } },
        // OpenAPI 3.2's QUERY and its other methods.
        "/public/search": { query: { servers: origin, responses: { "200": { description: "found" } } }, additionalOperations: { LINK: { servers: origin, responses: { "200": { description: "linked" } } } } },
      },
      webhooks: { forecastReady: { servers: origin, post: { servers: origin, responses: { "200": { description: "ok" } } } } },
      components: {
        pathItems: { Shared: { servers: origin, get: { servers: origin, responses: { "200": { description: "ok" } } } } },
        links: { Next: { operationId: "forecast", server: origin[0] } },
        // A schema may have a property named servers: it is the API's data, and stays.
        schemas: { Config: { type: "object", properties: { servers: { type: "array" } } } },
      },
    };
    const published = await (await callWith({ L402_OPENAPI: JSON.stringify(base) }, "/openapi.json")).text();
    expect(published).not.toContain("origin-internal");
    const document = JSON.parse(published) as { paths: Record<string, { get?: Record<string, unknown> }> };
    expect(document.paths["/dual/forecast"]?.get).toMatchObject({ summary: "Forecast", "x-l402": { service: "dual" } });
    expect(document.paths["/public/ping"]?.get).toEqual({ responses: { "200": { description: "pong" } } });
    expect((document as unknown as { components: { schemas: unknown } }).components.schemas).toEqual(base.components.schemas);
  });

  it("its documents are answered at the edge, never paywalled or forwarded, and their log line says discovery", async () => {
    const logs = vi.spyOn(console, "log");
    for (const [method, status] of [["GET", 200], ["HEAD", 200], ["OPTIONS", 204]] as const) {
      const response = await callWith({ L402_UNMATCHED: "pass" }, `${originUrl()}/openapi.json`, { method, headers: { Origin: "https://reader.example", "Access-Control-Request-Method": "GET" } });
      expect(response.status, method).toBe(status);
      expect(response.headers.get("access-control-allow-origin"), method).toBe("*");
      expect(JSON.parse(String(logs.mock.calls.at(-1)?.[0])), method).toMatchObject({ method, path: "/openapi.json", outcome: "discovery", status });
    }
    logs.mockRestore();
  });
});
