import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { payInvoice } from "../../dev/lnd-sim/payer.ts";
import { base64ToBytes } from "../../src/bytes.ts";
import { describeMacaroon } from "../../src/l402/index.ts";
import { decodeMacaroon } from "../../src/macaroon/index.ts";
import { readInvoice } from "../../src/lightning/index.ts";
import { BASE, callWithEnv, originUrl, sim } from "./support/paywall-client.ts";

/**
 * The L402 manifest (L402 PR #27), its quote endpoint, the 402's Link to it and
 * /llms.txt, through the template Worker, beside /.well-known/l402-services and
 * /openapi.json: one configuration, five descriptions that must agree.
 */
const services = () => [
  { name: "fixed", match: ["/fixed/*"], price_sats: 7, timeout: 3600, capabilities: ["read", "write"], capability_rules: [{ methods: ["POST"], path: "/fixed/*", capability: "write" }, { path: "/fixed/*", capability: "read" }], description: "A flat price", origin: { url: originUrl() } },
  { name: "ruled", match: ["/ruled/*", "/ruled-too/:id"], price_msat: 2500, price_rules: [{ query: { size: "large" }, price_sats: 10 }], origin: { url: originUrl() } },
  { name: "credit", match: ["/credit/*"], price_sats: 2, balance: { amounts_sats: [100, 500] }, origin: { url: originUrl() } },
  { name: "both", match: ["/both/*"], price_sats: 4, uses: 2, schemes: ["l402", "mpp"], origin: { url: originUrl() } },
  { name: "charge", match: ["/charge/*"], price_sats: 3, schemes: ["mpp"], origin: { url: originUrl() } },
  { name: "free", match: ["/free/*"], price_sats: 1, auth: false, origin: { url: originUrl() } },
];
let manifestEnv: object | undefined;
const fetchWorker = (path: string, init?: RequestInit) => {
  manifestEnv ??= { ...env, L402_SERVICES: JSON.stringify(services()), L402_SERVICE_NAME: "Manifest test" };
  return callWithEnv(manifestEnv, path, init);
};
const json = async <T>(path: string): Promise<T> => (await (await fetchWorker(path)).json()) as T;

interface ServicesRoute { service: string; path: string; schemes: string[]; price: { type: string; amount_msat?: number } }
interface Resource { path: string; method: string; pricing: { model: string; price_msat?: number; "x-price"?: { amount_msat?: number } } }
interface Manifest { version: string; provider: { name: string; uri: string }; quote_endpoint: string; openapi: string; services: { name: string; capabilities?: string[]; resources: Resource[] }[]; caveats: Record<string, unknown> }
type OpenApi = { paths: Record<string, Record<string, { "x-l402"?: { service: string; price_msat?: number } }>> };

describe("the L402 manifest, its quotes, the 402's Link and llms.txt, through the template Worker", () => {
  it("agree with /.well-known/l402-services and /openapi.json on every service, path, method and price", async () => {
    const listed = await json<{ routes: ServicesRoute[] }>("/.well-known/l402-services");
    const openapi = await json<OpenApi>("/openapi.json");
    const manifestResponse = await fetchWorker("/.well-known/l402.json");
    expect(manifestResponse.status).toBe(200);
    expect(manifestResponse.headers.get("content-type")).toBe("application/json");
    expect(manifestResponse.headers.get("access-control-allow-origin")).toBe("*");
    expect(manifestResponse.headers.get("cache-control")).toBe("public, max-age=300");
    const manifest = (await manifestResponse.json()) as Manifest;
    const llms = await (await fetchWorker("/llms.txt")).text();

    expect(manifest).toMatchObject({ version: "1.0", provider: { name: "Manifest test", uri: BASE }, currencies: ["msat"], macaroon_versions: [0], payment_methods: ["bolt11"], quote_endpoint: `${BASE}/l402/quote`, openapi: `${BASE}/openapi.json` });
    // The L402 manifest lists what L402 buys: every paid route l402-services lists with the l402 scheme, and nothing else.
    const l402Routes = listed.routes.filter((route) => route.schemes.includes("l402"));
    expect(manifest.services.map((service) => service.name)).toEqual([...new Set(l402Routes.map((route) => route.service))]);
    expect(l402Routes.map((route) => route.service)).toEqual(["fixed", "ruled", "ruled", "credit", "both"]);

    const openApiOperations = Object.entries(openapi.paths).flatMap(([path, item]) => Object.entries(item).flatMap(([method, operation]) => (operation["x-l402"] === undefined ? [] : [{ path, method: method.toUpperCase(), ...operation["x-l402"] }])));
    const manifestResources = manifest.services.flatMap((service) => service.resources.map((resource) => ({ service: service.name, ...resource })));
    // Every OpenAPI operation an L402 service sells is a manifest resource, and the other way round, at the same price.
    const l402Operations = openApiOperations.filter((operation) => operation.service !== "charge");
    expect(manifestResources.map(({ service, path, method }) => `${service} ${method} ${path}`).sort()).toEqual(l402Operations.map(({ service, path, method }) => `${service} ${method} ${path}`).sort());
    for (const resource of manifestResources) {
      const operation = l402Operations.find((op) => op.path === resource.path && op.method === resource.method);
      const route = listed.routes.find((r) => r.service === resource.service && r.path.replace(/\/\*$/, "/{rest}").replace(/:(\w+)/g, "{$1}") === resource.path);
      expect(route, resource.path).toBeDefined();
      if (route?.price.type === "static" && resource.service !== "credit") {
        expect(resource.pricing).toEqual({ model: "fixed", price_msat: route.price.amount_msat });
        expect(operation?.price_msat).toBe(route.price.amount_msat);
      } else {
        expect(resource.pricing.model).toBe("dynamic");
        expect(resource.pricing["x-price"]).toEqual(route?.price);
      }
    }
    expect(manifestResources.find((r) => r.service === "ruled")?.pricing["x-price"]).toMatchObject({ type: "dynamic", amount_msat: 2500, rules: [{ query: { size: "large" }, amount_msat: 10_000 }] });
    expect(manifestResources.find((r) => r.service === "credit")?.pricing).toMatchObject({ "x-balance": { credit_offers: [{ amount_sats: 100 }, { amount_sats: 500 }] } });
    expect(manifest.services.find((s) => s.name === "fixed")?.capabilities).toEqual(["read", "write"]);
    expect(Object.keys(manifest.caveats)).toEqual(expect.arrayContaining(["services", "fixed_capabilities", "fixed_valid_until", "ruled_price_msat", "credit_credit_msat", "both_uses"]));

    // Each service's 402 links the manifest, and asks what the manifest says (a fixed price) or what its rules say.
    for (const [path, service] of [["/fixed/a", "fixed"], ["/ruled/a", "ruled"], ["/ruled-too/9", "ruled"], ["/credit/a", "credit"], ["/both/a", "both"], ["/charge/a", "charge"]] as const) {
      const challenge = await fetchWorker(path);
      expect(challenge.status, path).toBe(402);
      expect(challenge.headers.get("link"), path).toBe(`<${BASE}/.well-known/l402.json>; rel="l402-manifest"`);
      const body = (await challenge.json()) as { service: string; price_msat: string };
      expect(body.service).toBe(service);
      const fixed = manifestResources.find((r) => r.service === service && r.pricing.model === "fixed");
      if (fixed !== undefined) expect(body.price_msat).toBe(String(fixed.pricing.price_msat));
    }
    expect((await (await fetchWorker("/ruled/a?size=large")).json()) as { price_msat: string }).toMatchObject({ price_msat: "10000" });

    // llms.txt: the name, a summary, and a line per paid operation with its price (charge too: it is paid, with Payment).
    expect(llms).toMatch(/^# Manifest test\n\n> /);
    for (const operation of openApiOperations) expect(llms).toContain(`[${operation.service}: ${operation.method} ${operation.path}](${BASE}${operation.path})`);
    expect(llms.split("\n").filter((line) => line.startsWith("- [") && line.includes("]("))).toHaveLength(openApiOperations.length + 4);
    expect(llms).toContain("[fixed: GET /fixed/{rest}](https://paywall.test/fixed/{rest}): 7 sats; pay with L402.");
    expect(llms).toContain("[ruled: GET /ruled-too/{id}](https://paywall.test/ruled-too/{id}): 2.5 sats, or as its price rules say");
    expect(llms).toContain("[charge: GET /charge/{rest}](https://paywall.test/charge/{rest}): 3 sats; pay with Payment.");
    expect(llms).not.toContain("/free/");
  });

  it("a quote's invoice, once paid, and its macaroon are a credential like a 402's", async () => {
    const response = await fetchWorker("/l402/quote", { method: "POST", headers: { "Content-Type": "application/json", Origin: "https://agent.example" }, body: JSON.stringify({ service: "fixed", capabilities: ["read"], max_price_msat: 7000 }) });
    expect(response.status).toBe(200);
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    expect(response.headers.get("cache-control")).toBe("no-store");
    const quote = (await response.json()) as { price_msat: number; quote_expiry: number; macaroon: string; invoice: string };
    expect(quote.price_msat).toBe(7000);
    const invoice = readInvoice(quote.invoice);
    if (!invoice.ok) throw new Error(invoice.detail);
    expect(invoice.value.amountMsat).toBe(7000n);
    expect(invoice.value.timestamp + invoice.value.expirySeconds).toBeLessThanOrEqual(quote.quote_expiry);
    const token = describeMacaroon(decodeMacaroon(base64ToBytes(quote.macaroon)));
    expect(token.paymentHash).toBe(invoice.value.paymentHash);
    // The capabilities asked for are the token's: read only, so a write is refused.
    expect(token.caveats).toEqual(["services=fixed:0", "fixed_capabilities=read", expect.stringMatching(/^fixed_valid_until=\d+$/)]);
    const paid = await payInvoice({ url: sim().url, macaroonHex: sim().adminMacaroonHex }, quote.invoice);
    const authorization = `L402 ${quote.macaroon}:${String(paid.preimageHex)}`;
    const used = await fetchWorker("/fixed/quoted", { headers: { Authorization: authorization } });
    expect(used.status).toBe(200);
    await used.body?.cancel();
    const write = await fetchWorker("/fixed/quoted", { method: "POST", headers: { Authorization: authorization } });
    expect(write.status).toBe(402);
    await write.body?.cancel();
  });

  it("a client asking for a quote again gets the same invoice back (the challenge cache, as for its 402s), unless it narrows capabilities", async () => {
    const cached = { ...env, L402_SERVICES: JSON.stringify(services()), L402_CHALLENGE_CACHE_SECONDS: "30" };
    const quote = async (body: object) => ((await (await callWithEnv(cached, "/l402/quote", { method: "POST", headers: { "Content-Type": "application/json", "CF-Connecting-IP": "198.51.100.77" }, body: JSON.stringify(body) })).json()) as { invoice: string }).invoice;
    const first = await quote({ service: "fixed" });
    expect(await quote({ service: "fixed" })).toBe(first);
    const narrowed = await quote({ service: "fixed", capabilities: ["read"] });
    expect(narrowed).not.toBe(first);
    expect(await quote({ service: "fixed", capabilities: ["read"] })).not.toBe(narrowed);
  });

  it("refuses quotes it cannot give with the proposal's error codes, and never charges for its own path", async () => {
    const quote = (body: string, init: RequestInit = {}) => fetchWorker("/l402/quote", { method: "POST", headers: { "Content-Type": "application/json" }, body, ...init });
    const cases: [string, number, string, string?][] = [
      ["{", 400, "malformed_request"],
      ["[]", 400, "malformed_request"],
      // Past 8 KiB the body is read no further.
      [JSON.stringify({ service: "fixed", padding: "x".repeat(8192) }), 400, "malformed_request"],
      [JSON.stringify({}), 400, "malformed_request", "service"],
      [JSON.stringify({ service: "nope" }), 400, "unknown_service", "service"],
      [JSON.stringify({ service: "free" }), 400, "unknown_service", "service"],
      [JSON.stringify({ service: "charge" }), 400, "unknown_service", "service"],
      [JSON.stringify({ service: "fixed", tier: 1 }), 400, "unknown_tier", "tier"],
      [JSON.stringify({ service: "fixed", capabilities: ["admin"] }), 400, "unknown_capability", "capabilities"],
      [JSON.stringify({ service: "fixed", constraints: { max_requests: 5 } }), 400, "invalid_constraint", "constraints.max_requests"],
      [JSON.stringify({ service: "fixed", payment_method: "bolt12" }), 400, "unsupported_payment_method", "payment_method"],
      [JSON.stringify({ service: "fixed", max_price_msat: -1 }), 400, "malformed_request", "max_price_msat"],
      [JSON.stringify({ service: "fixed", max_price_msat: 6999 }), 409, "unsatisfiable_budget", "max_price_msat"],
      [JSON.stringify({ service: "credit", max_price_msat: 99_999 }), 409, "unsatisfiable_budget", "max_price_msat"],
    ];
    for (const [body, status, code, field] of cases) {
      const response = await quote(body);
      expect(response.status, body).toBe(status);
      expect(response.headers.get("content-type"), body).toBe("application/json");
      const answer = (await response.json()) as { error: { code: string; message: string; field?: string } };
      expect(answer.error, body).toMatchObject({ code, message: expect.any(String) });
      expect(answer.error.field, body).toBe(field);
    }
    const get = await fetchWorker("/l402/quote");
    expect(get.status).toBe(405);
    expect(((await get.json()) as { error: { code: string } }).error.code).toBe("method_not_allowed");
    const preflight = await fetchWorker("/l402/quote", { method: "OPTIONS", headers: { Origin: "https://agent.example", "Access-Control-Request-Method": "POST" } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
    // A balance service is quoted its first credit offer; a rule-priced one, the price of requests no rule matches.
    const credit = (await (await quote(JSON.stringify({ service: "credit" }))).json()) as { price_msat: number };
    expect(credit.price_msat).toBe(100_000);
    const ruled = (await (await quote(JSON.stringify({ service: "ruled" }))).json()) as { price_msat: number };
    expect(ruled.price_msat).toBe(2500);
    // A service matching every path still does not charge for the quote, the manifest or llms.txt.
    const everything = { ...env, L402_SERVICES: JSON.stringify([{ name: "all", match: ["/*"], price_sats: 1, origin: { url: originUrl() } }]) };
    for (const [path, init, status] of [["/l402/quote", { method: "POST", body: JSON.stringify({ service: "all" }) }, 200], ["/.well-known/l402.json", {}, 200], ["/llms.txt", {}, 200], ["/elsewhere", {}, 402]] as const) {
      const response = await callWithEnv(everything, path, init);
      expect(response.status, path).toBe(status);
      await response.body?.cancel();
    }
  });

  it("each quote mints an invoice, so the mint limiter counts it: 429 rate_limited with Retry-After beyond it", { timeout: 30_000 }, async () => {
    const tight = { ...env, L402_MINT_LIMITER: env.TIGHT_MINT_LIMITER, L402_SERVICES: JSON.stringify(services()) };
    const address = `2001:db8:${crypto.randomUUID().slice(0, 4)}:${crypto.randomUUID().slice(0, 4)}::1`;
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const response = await callWithEnv(tight, "/l402/quote", { method: "POST", headers: { "CF-Connecting-IP": address }, body: JSON.stringify({ service: "fixed" }) });
      statuses.push(response.status);
      if (response.status === 429) {
        expect(response.headers.get("retry-after")).toBe("60");
        expect(((await response.json()) as { error: { code: string } }).error.code).toBe("rate_limited");
      } else await response.body?.cancel();
    }
    // The limit is 5 a minute; twelve quotes may straddle two windows, never more.
    expect(statuses.filter((status) => status === 200).length).toBeLessThanOrEqual(10);
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(2);
    expect(statuses.every((status) => status === 200 || status === 429)).toBe(true);
  });

  it("a pricer's service is quoted by nobody: 503 unpriceable; with discovery off, no manifest, no quote and no Link", async () => {
    const priced = { ...env, L402_SERVICES: JSON.stringify([{ name: "priced", match: ["/priced/*"], price_sats: 1, pricer: { url: `${originUrl()}/_origin/price` }, origin: { url: originUrl() } }]) };
    const unpriceable = await callWithEnv(priced, "/l402/quote", { method: "POST", body: JSON.stringify({ service: "priced" }) });
    expect(unpriceable.status).toBe(503);
    expect(((await unpriceable.json()) as { error: { code: string } }).error.code).toBe("unpriceable");
    const off = { ...env, L402_DISCOVERY: "off", L402_SERVICES: JSON.stringify(services()) };
    for (const path of ["/.well-known/l402.json", "/llms.txt"]) expect((await callWithEnv(off, path)).status, path).toBe(404);
    expect((await callWithEnv(off, "/l402/quote", { method: "POST", body: JSON.stringify({ service: "fixed" }) })).status).toBe(404);
    const challenge = await callWithEnv(off, "/fixed/a");
    expect(challenge.status).toBe(402);
    expect(challenge.headers.get("link")).toBeNull();
    await challenge.body?.cancel();
  });

  it("a service whose paths a service listed before takes whole is neither described nor quoted: its token would be refused there", async () => {
    const shadowed = {
      ...env,
      L402_SERVICES: JSON.stringify([
        { name: "all", match: ["/api/*"], price_sats: 1, origin: { url: originUrl() } },
        { name: "premium", match: ["/api/premium/*"], price_sats: 50, origin: { url: originUrl() } },
        { name: "partly", match: ["/api/reports", "/reports/*"], price_sats: 9, origin: { url: originUrl() } },
      ]),
    };
    const read = async <T>(path: string) => (await (await callWithEnv(shadowed, path)).json()) as T;
    const listed = await read<{ routes: ServicesRoute[] }>("/.well-known/l402-services");
    expect(listed.routes.map((route) => `${route.service} ${route.path}`)).toEqual(["all /api/*", "partly /reports/*"]);
    expect(Object.keys((await read<OpenApi>("/openapi.json")).paths).sort()).toEqual(["/api/{rest}", "/reports/{rest}"]);
    expect((await read<Manifest>("/.well-known/l402.json")).services.map((service) => service.name)).toEqual(["all", "partly"]);
    const refused = await callWithEnv(shadowed, "/l402/quote", { method: "POST", body: JSON.stringify({ service: "premium" }) });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { code: string; message: string } }).error).toEqual({ code: "unknown_service", message: "every path of this service is taken by a service listed before it: nothing is sold at its terms", field: "service" });
    // A service with a path of its own left is quoted, at its price.
    const quoted = await callWithEnv(shadowed, "/l402/quote", { method: "POST", headers: { "CF-Connecting-IP": "198.51.100.78" }, body: JSON.stringify({ service: "partly" }) });
    expect(((await quoted.json()) as { price_msat: number }).price_msat).toBe(9000);
  });
});
