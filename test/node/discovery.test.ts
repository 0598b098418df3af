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
    // A Payment charge buys one request (a token, the service's terms): said of the offer, and as charge_terms beside the token's.
    expect(document.paths["/charge/{rest}"]?.["get"]?.["x-payment-info"]).toEqual({ offers: [{ intent: "charge", method: "lightning", amount: "2", currency: "sat", description: "One request per payment." }] });
    expect(document.paths["/charge/{rest}"]?.["get"]?.["x-l402"]).toMatchObject({ terms: "Access without expiry.", charge_terms: "One request per payment." });
    const routes = ((await (await app.request("/.well-known/l402-services")).json()) as { routes: { service: string; terms: string; charge_terms?: string }[] }).routes;
    expect(routes.find((route) => route.service === "charge")).toMatchObject({ terms: "Access without expiry.", charge_terms: "One request per payment." });
    // An L402-only service has no charge to describe.
    expect(routes.find((route) => route.service === "api")?.charge_terms).toBeUndefined();
    expect(Object.keys(document.paths).sort()).toEqual(
      ["/api/{rest}", "/other/{rest}", "/short/{rest}", "/stream/{rest}", "/ws", "/down/{rest}", "/metered/{rest}", "/burst/{rest}", "/single/{rest}", "/trial/{rest}", "/vault/{rest}", "/plain/{rest}", "/members/{rest}", "/dual/{rest}", "/charge/{rest}", "/bundle/{rest}"].sort(),
    );
  });

  it("/openapi.json describes the host it is served from: one path sold on two hosts at two prices is each host's, a host's own path only its own", async () => {
    const app = l402Discovery({
      services: [
        { name: "cheap", match: ["a.example.com/api/*"], price_sats: 10, schemes: ["l402", "mpp"] },
        { name: "dear", match: ["b.example.com/api/*"], price_sats: 500 },
        { name: "only-b", match: ["b.example.com/reports/*"], price_sats: 7 },
        { name: "everywhere", match: ["/shared/*"], price_sats: 2 },
      ],
    });
    const on = async (host: string) => (await (await app.request(`https://${host}/openapi.json`)).json()) as { paths: Record<string, Record<string, Record<string, unknown>>> };
    const [a, b] = [await on("a.example.com"), await on("b.example.com")];
    expect(a.paths["/api/{rest}"]?.["get"]?.["x-l402"]).toMatchObject({ service: "cheap", price_msat: 10_000, schemes: ["l402", "mpp"] });
    expect(b.paths["/api/{rest}"]?.["get"]?.["x-l402"]).toMatchObject({ service: "dear", price_msat: 500_000, schemes: ["l402"] });
    expect(b.paths["/api/{rest}"]?.["get"]?.["x-payment-info"]).toBeUndefined();
    expect(Object.keys(a.paths).sort()).toEqual(["/api/{rest}", "/shared/{rest}"]);
    expect(Object.keys(b.paths).sort()).toEqual(["/api/{rest}", "/reports/{rest}", "/shared/{rest}"]);
    expect((await validate(b)).valid).toBe(true);
    // A trailing dot names the same host, as the paywall reads it.
    expect(Object.keys((await on("b.example.com.")).paths).sort()).toEqual(Object.keys(b.paths).sort());
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

  it("describes selling by usage: price rules and what each costs, a pricer's price as the 402's, balances with their credit offers, debits, meters and reservations", async () => {
    const usage: ServiceDefinition[] = [
      {
        name: "images",
        match: ["/images/*"],
        price_sats: 2,
        price_rules: [
          { query: { size: "large" }, price_sats: 10 },
          { methods: ["POST"], path: "/images/:size", params: { size: "huge" }, headers: { "x-model": "big" }, content_length: { min: 1024, max: 1048576 }, price_sats: 25 },
        ],
        schemes: ["l402", "mpp"],
      },
      { name: "quote", match: ["/quote/*"], pricer: { url: "https://pricer.internal.example/price", headers: ["x-model"], cache_seconds: 60 } },
      { name: "own", match: ["/own/*"], price: () => 4000n },
      { name: "transfer", match: ["/transfer/*"], price_sats: 100, price_rules: [{ query: { fast: "1" }, price_msat: 150_500 }], bind_request: true },
      { name: "chat", match: ["/v1/*"], price_sats: 5, balance: { amounts_sats: [1000, 5000], bonus_sats: { "5000": 250 } }, meter: { per_1k_input_tokens_msat: 3000, per_1k_output_tokens_msat: 15_000 } },
      { name: "reports", match: ["/reports/*"], price_sats: 1, price_rules: [{ query: { full: "1" }, price_sats: 30 }], balance: { amounts_sats: [100] }, cost_header: "X-Origin-Cost", max_cost_sats: 20, charge_on: "success" },
      { name: "files", match: ["/files/*"], price_sats: 1, balance: { amounts_sats: [50] }, meter: { per_kib_msat: 50 }, max_cost_sats: 10 },
      { name: "flat", match: ["/flat/*"], price_sats: 3, balance: { amounts_sats: [30] } },
    ];
    const app = l402Discovery({ services: usage });
    const text = await (await app.request("/.well-known/l402-services")).text();
    const routes = (JSON.parse(text) as { routes: Record<string, unknown>[] }).routes;
    const route = (name: string) => routes.find((r) => r["service"] === name);
    expect(route("images")).toMatchObject({
      price: {
        type: "dynamic",
        amount_msat: 2000,
        amount_sats: "2",
        rules: [
          { query: { size: "large" }, amount_msat: 10_000, amount_sats: "10" },
          { methods: ["POST"], path: "/images/:size", params: { size: "huge" }, headers: { "x-model": "big" }, content_length: { min: 1024, max: 1048576 }, amount_msat: 25_000, amount_sats: "25" },
        ],
      },
      usage: "Priced per request by its rules; a token pays for requests up to the price it was bought at.",
      caveats_required: ["services=images:0", "images_price_msat"],
    });
    expect(route("images")).not.toHaveProperty("balance");
    // Rules naming a method, on an origin taking overrides, and rules reading the query: how a request's claims are priced is said.
    const claims = (name: string) => (route(name)?.["price"] as Record<string, unknown>)["claims"];
    expect(claims("images")).toMatch(/^A request is priced as each method it may be carried out as .*else the price for requests no rule matches, the dearest of them applying\. A form, JSON or untyped body may give query parameters other values: .*$/);
    // A query rule alone: the parameters a body may give, not methods.
    expect(claims("transfer")).toMatch(/^A form, JSON or untyped body may give query parameters other values/);
    const strict = l402Discovery({ services: [{ name: "strict", match: ["/strict/*"], price_sats: 1, method_override: false, price_rules: [{ methods: ["DELETE"], price_sats: 9 }] }] });
    const strictRoutes = ((await (await strict.request("/.well-known/l402-services")).json()) as { routes: { price: Record<string, unknown> }[] }).routes;
    // Overrides off, no rule reading the query: nothing to say.
    expect(strictRoutes[0]?.price).not.toHaveProperty("claims");
    // A pricer, or the app's own price function: the price is the 402's, never a published amount.
    expect(route("quote")).toMatchObject({ price: { type: "dynamic", priced_by: "pricer" }, usage: "Priced per request by a pricer; a token pays for requests up to the price it was bought at." });
    expect(route("quote")?.["price"]).not.toHaveProperty("amount_msat");
    expect(route("own")).toMatchObject({ price: { type: "dynamic", priced_by: "pricer" }, caveats_required: ["services=own:0", "own_price_msat"] });
    expect(route("transfer")).toMatchObject({ price: { type: "dynamic", amount_msat: 100_000, rules: [{ query: { fast: "1" }, amount_msat: 150_500, amount_sats: "150.5" }], bound_to_request: true }, usage: expect.stringContaining("a token buys the one request it was priced for"), caveats_required: ["services=transfer:0", "transfer_price_msat", "transfer_request"] });
    expect(route("chat")).toMatchObject({
      price: { type: "static", amount_msat: 5000 },
      balance: {
        credit_offers: [{ amount_sats: 1000, credit_sats: 1000 }, { amount_sats: 5000, credit_sats: 5250 }],
        credit_header: "X-L402-Credit",
        balance_header: "X-L402-Balance",
        debited: "metered",
        meter: { per_1k_input_tokens_msat: 3000, per_1k_output_tokens_msat: 15_000 },
        charge_on: "below_500",
        top_up: expect.stringContaining("balance_short"),
      },
      terms: expect.stringMatching(/^Prepaid credit, spent request by request/),
      usage: "Each request is debited from the balance: its body is metered (3000 msat per 1,000 input tokens, 15000 msat per 1,000 output tokens), starting from a reservation of its price.",
      caveats_required: ["services=chat:0", "chat_credit_msat"],
    });
    expect(route("chat")?.["balance"]).not.toHaveProperty("reserved_msat");
    expect(route("reports")).toMatchObject({ balance: { debited: "reported", reserved_msat: 20_000, charge_on: "success" }, usage: "Each request is debited from the balance: its cost is reported after the answer, at most 20 sats (or its price, if more) reserved before it (priced per request by its rules)." });
    expect(route("files")).toMatchObject({ balance: { debited: "metered", reserved_msat: 10_000, meter: { per_kib_msat: 50 } }, usage: expect.stringContaining("(50 msat per KiB), starting from a reservation of 10 sats") });
    expect(route("flat")).toMatchObject({ price: { type: "static", amount_msat: 3000 }, balance: { credit_offers: [{ amount_sats: 30, credit_sats: 30 }], debited: "price" }, usage: "Each request is debited from the balance: it debits its price." });
    // What the client never sees, and where the pricer is, stay unpublished.
    const openapiText = await (await app.request("/openapi.json")).text();
    for (const unpublished of ["pricer.internal.example", "X-Origin-Cost", "cache_seconds"]) {
      expect(text).not.toContain(unpublished);
      expect(openapiText).not.toContain(unpublished);
    }

    const document = JSON.parse(openapiText) as { paths: Record<string, Record<string, Record<string, unknown>>> };
    expect(await validate(document)).toMatchObject({ valid: true });
    const images = document.paths["/images/{rest}"]?.["get"];
    expect(images?.["x-l402"]).toMatchObject({ price_msat: 2000, price: { type: "dynamic", rules: [{ query: { size: "large" }, amount_msat: 10_000 }, { params: { size: "huge" } }] }, usage: expect.stringContaining("by its rules") });
    // The Payment offer names the price of requests no rule matches, and says the rules decide the rest.
    expect(images?.["x-payment-info"]).toEqual({ offers: [{ intent: "charge", method: "lightning", amount: "2", currency: "sat", description: "One request per payment. Priced per request by its rules; a token pays for requests up to the price it was bought at." }] });
    const quote = document.paths["/quote/{rest}"]?.["get"]?.["x-l402"];
    expect(quote).toMatchObject({ price: { type: "dynamic", priced_by: "pricer" } });
    expect(quote).not.toHaveProperty("price_msat");
    expect(document.paths["/v1/{rest}"]?.["get"]?.["x-l402"]).toMatchObject({ price_msat: 5000, balance: { credit_offers: [{ amount_sats: 1000 }, { amount_sats: 5000, credit_sats: 5250 }], debited: "metered" } });
    expect(document.paths["/v1/{rest}"]?.["get"]?.["x-l402"]).not.toHaveProperty("price");
    expect(document.paths["/files/{rest}"]?.["get"]?.["x-l402"]).toMatchObject({ balance: { reserved_msat: 10_000, meter: { per_kib_msat: 50 } } });
    // A balance at one price: its price, what it debits, and no price object (the price does not depend on the request).
    expect(document.paths["/flat/{rest}"]?.["get"]?.["x-l402"]).toMatchObject({ price_msat: 3000, balance: { debited: "price" } });
    expect(document.paths["/flat/{rest}"]?.["get"]?.["x-l402"]).not.toHaveProperty("price");
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

  it("the L402 manifest prices each resource as the request decides it: fixed, dynamic with its rules or a pricer, a balance's credit; only L402 services", async () => {
    const usage: ServiceDefinition[] = [
      { name: "flat", match: ["/flat/*"], price_msat: 1500, timeout: 60, uses: 4, description: "One price" },
      { name: "images", match: ["/images/*"], price_sats: 2, price_rules: [{ query: { size: "large" }, price_sats: 10 }] },
      { name: "quote", match: ["/quote/*"], pricer: { url: "https://pricer.internal.example/price" } },
      { name: "transfer", match: ["/transfer/*"], price_sats: 100, price_rules: [{ query: { fast: "1" }, price_sats: 150 }], bind_request: true },
      { name: "chat", match: ["/v1/*"], price_sats: 5, balance: { amounts_sats: [1000] } },
      { name: "charge", match: ["/charge/*"], price_sats: 2, schemes: ["mpp"] },
      // One price, but each token bound to the request it was sold for: not "fixed" (the quote endpoint cannot sell it).
      { name: "bound", match: ["/bound/*"], price_sats: 7, bind_request: true },
    ];
    const app = l402Discovery({ services: usage, seller: { name: "Shop" } });
    const response = await app.request("https://shop.example/.well-known/l402.json");
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    const text = await response.text();
    const manifest = JSON.parse(text) as { provider: unknown; quote_endpoint?: string; openapi: string; services: { name: string; description?: string; resources: { path: string; method: string; pricing: Record<string, unknown> }[] }[]; caveats: Record<string, unknown> };
    expect(manifest.provider).toEqual({ name: "Shop", uri: "https://shop.example" });
    expect(manifest.openapi).toBe("https://shop.example/openapi.json");
    // A middleware's own app serves no quote endpoint, so the manifest names none.
    expect(manifest.quote_endpoint).toBeUndefined();
    expect(manifest.services.map((service) => service.name)).toEqual(["flat", "images", "quote", "transfer", "chat", "bound"]);
    const pricing = (name: string) => manifest.services.find((service) => service.name === name)?.resources[0]?.pricing;
    expect(manifest.services[0]).toMatchObject({ description: "One price", resources: [{ path: "/flat/{rest}", method: "GET", pricing: { model: "fixed", price_msat: 1500 } }] });
    expect(pricing("images")).toEqual({ model: "dynamic", "x-price": { type: "dynamic", amount_msat: 2000, amount_sats: "2", rules: [{ query: { size: "large" }, amount_msat: 10_000, amount_sats: "10" }], claims: expect.stringMatching(/^A form, JSON or untyped body may give query parameters other values/) } });
    expect(pricing("quote")).toEqual({ model: "dynamic", "x-price": { type: "dynamic", priced_by: "pricer" } });
    expect(pricing("transfer")).toMatchObject({ model: "dynamic", "x-price": { bound_to_request: true } });
    expect(pricing("bound")).toEqual({ model: "dynamic", "x-price": { type: "dynamic", amount_msat: 7000, amount_sats: "7", bound_to_request: true } });
    expect(manifest.caveats).toMatchObject({ bound_price_msat: { type: "integer" }, bound_request: { type: "string" } });
    // Its tokens carry the request: l402-services names the caveat a client must keep.
    expect(await (await app.request("/.well-known/l402-services")).text()).toContain('"bound_request"');
    expect(pricing("chat")).toMatchObject({ model: "dynamic", "x-price": { type: "static", amount_msat: 5000 }, "x-balance": { credit_offers: [{ amount_sats: 1000, credit_sats: 1000 }] } });
    expect(manifest.caveats).toMatchObject({ services: { type: "service_list" }, flat_valid_until: { type: "timestamp", attenuation: "earlier" }, flat_uses: { type: "integer" }, images_price_msat: { type: "integer" }, transfer_request: { type: "string" }, chat_credit_msat: { type: "integer" } });
    expect(text).not.toContain("pricer.internal.example");
  });

  it("publishes the paywall's price, never one the operator's document wrote; a path its samples miss is annotated by the pattern that made it", async () => {
    const routes: ServiceDefinition[] = [
      { name: "items", match: ["/items/:id(\\d+)"], price_sats: 500 },
      { name: "premium", match: ["/api/*/premium"], price_sats: 500 },
      { name: "api", match: ["/api/*"], price_sats: 1 },
    ];
    const generated = await openapiOf(l402Discovery({ services: routes }));
    expect(generated.paths["/items/{rest}"]?.["get"]?.["x-l402"]).toMatchObject({ service: "items", price_msat: 500_000 });
    // Where two patterns make one path, the route its requests are sold under.
    expect(generated.paths["/api/{rest}"]?.["get"]?.["x-l402"]).toMatchObject({ service: "api", price_msat: 1000 });
    const base = {
      openapi: "3.1.0",
      info: { title: "Shop", version: "1" },
      paths: { "/items/{id}": { get: { "x-payment-info": { offers: [{ intent: "charge", method: "lightning", amount: "1", currency: "sat" }] }, "x-l402": { price_msat: 1000 }, responses: { "200": { description: "an item" } } } } },
    };
    const annotated = await openapiOf(l402Discovery({ services: routes, openapi: base }));
    const operation = annotated.paths["/items/{id}"]?.["get"];
    expect(operation?.["x-l402"]).toMatchObject({ service: "items", price_msat: 500_000 });
    // An L402-only service takes no Payment charge: no offer at all, the operator's gone.
    expect(operation).not.toHaveProperty("x-payment-info");
  });

  it("annotates an operator's path only where the paywall sells it: not where a free service listed before, or a free path, takes it", async () => {
    const routes: ServiceDefinition[] = [
      { name: "free", match: ["/api/free/*"], auth: false },
      { name: "api", match: ["/api/*"], price_sats: 1, free_paths: ["/api/open/*"] },
    ];
    const operation = { get: { responses: { "200": { description: "ok" } } } };
    const base = { openapi: "3.1.0", info: { title: "Shop", version: "1" }, paths: { "/api/free/{id}": operation, "/api/open/ping": operation, "/api/items/{id}": operation } };
    const annotated = await openapiOf(l402Discovery({ services: routes, openapi: base }));
    expect(annotated.paths["/api/free/{id}"]?.["get"]).toEqual(operation.get);
    expect(annotated.paths["/api/open/ping"]?.["get"]).toEqual(operation.get);
    expect(annotated.paths["/api/items/{id}"]?.["get"]?.["x-l402"]).toMatchObject({ service: "api", price_msat: 1000 });
  });

  it("llms.txt says what a balance service debits: its price a request only where every request costs that", async () => {
    const balances: ServiceDefinition[] = [
      { name: "flat", match: ["/flat/*"], price_sats: 3, balance: { amounts_sats: [30] } },
      { name: "metered", match: ["/files/*"], price_sats: 1, balance: { amounts_sats: [50] }, meter: { per_kib_msat: 5000 }, max_cost_sats: 10 },
      { name: "reported", match: ["/reports/*"], price_sats: 1, balance: { amounts_sats: [100] }, cost_header: "X-Origin-Cost", max_cost_sats: 200 },
      { name: "ruled", match: ["/ruled/*"], price_sats: 1, balance: { amounts_sats: [100] }, price_rules: [{ methods: ["POST"], price_sats: 50 }] },
    ];
    const text = await (await l402Discovery({ services: balances }).request("https://apis.example/llms.txt")).text();
    expect(text).toContain("(https://apis.example/flat/{rest}): prepaid credit (buy 30 sats), 3 sats a request;");
    for (const path of ["files", "reports", "ruled"]) expect(text).toContain(`(https://apis.example/${path}/{rest}): prepaid credit (buy`);
    expect(text.match(/1 sats a request/g)).toBeNull();
  });

  it("llms.txt links a route pinned to another host there, not to the origin serving the file", async () => {
    const pinned = await (await l402Discovery({ services: [{ name: "pinned", match: ["api.other.example/v1/*"], price_sats: 2 }] }).request("https://apis.example/llms.txt")).text();
    expect(pinned).toContain("](https://api.other.example/v1/{rest}): 2 sats");
  });

  it("llms.txt is Markdown as llmstxt.org describes: an H1, a summary, how to pay, each paid endpoint; operator text cannot start a heading", async () => {
    const app = l402Discovery({ services: services(), seller: { name: "Test\nAPIs", description: "Everything\n\n## the tests sell" } });
    const response = await app.request("https://apis.example/llms.txt");
    expect(response.headers.get("content-type")).toBe("text/markdown; charset=UTF-8");
    const text = await response.text();
    const lines = text.split("\n");
    expect(lines.slice(0, 3)).toEqual(["# Test APIs", "", "> Everything ## the tests sell"]);
    expect(lines.filter((line) => line.startsWith("#"))).toEqual(["# Test APIs", "## Paid endpoints", "## Discovery"]);
    expect(text).toContain("- [api: POST /api/{rest}](https://apis.example/api/{rest}): 10 sats; pay with L402. Access for 1 hour.");
    expect(text).toContain("- [dual: GET /dual/{rest}](https://apis.example/dual/{rest}): 4 sats; pay with L402 or Payment. Access for 1 hour. Both schemes, one invoice");
    expect(text).toContain("Authorization: L402 <macaroon>:<preimage>");
    expect(text).not.toContain("/l402/quote");
    expect(text).not.toContain("origin.example");
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
