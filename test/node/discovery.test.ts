import { Validator } from "@seriousme/openapi-schema-validator";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { l402Discovery } from "../../src/index.ts";
import { openApiPath } from "../../src/discovery/index.ts";
import type { ServiceDefinition } from "../../src/config/index.ts";
import { testServices } from "../fixtures/worker-env.ts";

/** The workerd tests' services, as a Worker of one's own would give them. */
const services = () => testServices("https://origin.example") as unknown as ServiceDefinition[];

/** The discovery documents checked by an OpenAPI validator (@seriousme/openapi-schema-validator, OpenAPI 3.0–3.2). */
async function validate(document: unknown): Promise<{ valid: boolean; errors?: unknown }> {
  return new Validator().validate(document as Parameters<Validator["validate"]>[0]);
}

const openapiOf = async (app: ReturnType<typeof l402Discovery>) => (await (await app.request("/openapi.json")).json()) as Record<string, unknown> & { paths: Record<string, Record<string, Record<string, unknown>>> };

describe("discovery documents", () => {
  it("the generated OpenAPI document is valid OpenAPI 3.1, with every paid pattern and price", async () => {
    const app = l402Discovery({ services: services(), seller: { name: "Test APIs", description: "Everything the tests sell" } });
    const document = await openapiOf(app);
    // The validator refuses what is not OpenAPI (a path without a leading slash, an info without a title).
    expect((await validate({ openapi: "3.1.0", info: { version: "1" }, paths: { nope: {} } })).valid).toBe(false);
    const result = await validate(document);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(document["info"]).toEqual({ title: "Test APIs", version: "1", description: "Everything the tests sell" });
    expect(document.paths["/charge/{rest}"]?.["get"]?.["x-payment-info"]).toEqual({ offers: [{ intent: "charge", method: "lightning", amount: "2", currency: "sat", description: "Access without expiry." }] });
    expect(Object.keys(document.paths).sort()).toEqual(
      ["/api/{rest}", "/other/{rest}", "/short/{rest}", "/stream/{rest}", "/ws", "/down/{rest}", "/metered/{rest}", "/burst/{rest}", "/single/{rest}", "/trial/{rest}", "/vault/{rest}", "/plain/{rest}", "/members/{rest}", "/dual/{rest}", "/charge/{rest}", "/bundle/{rest}"].sort(),
    );
  });

  it("an operator's base document stays valid once annotated", async () => {
    const base = {
      openapi: "3.0.3",
      info: { title: "Shop", version: "7" },
      paths: { "/dual/items/{id}": { get: { parameters: [{ name: "id", in: "path", required: true, schema: { type: "string" } }], responses: { "200": { description: "an item" } } } } },
    };
    const app = l402Discovery({ services: services(), openapi: base });
    const document = await openapiOf(app);
    expect(await validate(document)).toMatchObject({ valid: true });
    expect(document.paths["/dual/items/{id}"]?.["get"]?.["x-l402"]).toMatchObject({ service: "dual", price_msat: 4000 });
    expect(base.paths["/dual/items/{id}"].get).not.toHaveProperty("x-l402");
  });

  it("turns URL patterns into OpenAPI path templates, keeping the literal start of fancier ones", async () => {
    expect(openApiPath("/api/*")).toBe("/api/{rest}");
    expect(openApiPath("/items/:id")).toBe("/items/{id}");
    expect(openApiPath("/items/:id/reviews/*")).toBe("/items/{id}/reviews/{rest}");
    expect(openApiPath("/exact")).toBe("/exact");
    expect(openApiPath("/*")).toBe("/{rest}");
    expect(openApiPath("/items/:id+")).toBe("/items/{rest}");
    expect(openApiPath("/v(1|2)/*")).toBe("/{rest}");
    const app = l402Discovery({ services: [{ name: "odd", match: ["/items/:id+", "/v(1|2)/*", "shop.example/cart/:step?"], price_sats: 1 }] });
    expect(await validate(await openapiOf(app))).toMatchObject({ valid: true });
  });

  it("never publishes origins or their secret headers, even when the definitions carry them", async () => {
    const app = l402Discovery({ services: [{ name: "a", match: ["/a/*"], price_sats: 1, origin: { url: "https://internal.example", headers: { "X-Key": { secret: "KEY" } } } }] });
    const text = `${await (await app.request("/openapi.json")).text()}${await (await app.request("/.well-known/l402-services")).text()}`;
    expect(text).not.toContain("internal.example");
    expect(text).not.toContain("X-Key");
  });

  it("mounted at / with app.route, as the README says, its CORS and ETag stay on its own documents", async () => {
    const app = new Hono();
    app.route("/", l402Discovery({ services: services() }));
    app.all("/mine/*", (c) => c.text(`the app's own ${c.req.method}`));
    const origin = { Origin: "https://elsewhere.example" };
    const own = await app.request("/mine/data", { headers: origin });
    expect(await own.text()).toBe("the app's own GET");
    expect(own.headers.get("access-control-allow-origin")).toBeNull();
    expect(own.headers.get("etag")).toBeNull();
    const preflight = await app.request("/mine/data", { method: "OPTIONS", headers: { ...origin, "Access-Control-Request-Method": "DELETE" } });
    expect(await preflight.text()).toBe("the app's own OPTIONS");
    const posted = await app.request("/openapi.json", { method: "POST", headers: origin });
    expect(posted.status).toBe(404);
    expect(posted.headers.get("access-control-allow-origin")).toBeNull();
    const document = await app.request("/.well-known/l402-services", { headers: origin });
    expect(document.headers.get("access-control-allow-origin")).toBe("*");
    expect(document.headers.get("etag")).toMatch(/^"/);
    const documentPreflight = await app.request("/openapi.json", { method: "OPTIONS", headers: { ...origin, "Access-Control-Request-Method": "GET" } });
    expect(documentPreflight.status).toBe(204);
    expect(documentPreflight.headers.get("access-control-allow-methods")).toBe("GET,HEAD");
  });
});
