import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../../dev/lnd-sim/server.ts";
import { l402Paywall, memoryPorts } from "../../src/index.ts";
import { createKeyring } from "../../src/l402/index.ts";
import { lndRestBackend, type InvoiceBackend } from "../../src/lightning/index.ts";
import { auth, caveatsOf, payingThrough, withCaveats, type App } from "./support/paying-client.ts";

/**
 * Request-aware prices and tokens bound to their request, through
 * l402Paywall() in a Hono app: in-memory ports, the LND simulator paying the
 * invoices (inside workerd: test/workerd/worker-usage.test.ts).
 */
let sim: Simulator;
let backend: InvoiceBackend;
const keyring = createKeyring(new Uint8Array(32).fill(11));
const { pay, buy } = payingThrough(() => sim);
type Body = Record<string, unknown>;

beforeAll(async () => {
  sim = await startSimulator();
  backend = lndRestBackend({ url: sim.url, macaroonHex: sim.paywallMacaroonHex, network: "regtest", timeoutMs: 2000 });
});
afterAll(() => sim.close());

describe("request-aware prices", () => {
  function imagesApp() {
    const app: App = new Hono();
    let served = 0;
    app.use("/img/*", l402Paywall({ service: { name: "img", price_sats: 1, price_rules: [{ path: "/img/:size", params: { size: "large" }, price_sats: 5 }] }, keyring, backend, ports: memoryPorts(), log: false }));
    app.get("/img/:size", (c) => {
      served++;
      return c.json({ size: c.req.param("size"), paid: String(c.var.l402?.grant.priceMsat) });
    });
    return { app, served: () => served };
  }

  it("a 402 sells the request's price, minted into the token", async () => {
    const { app } = imagesApp();
    const large = await app.request("/img/large");
    expect(await large.clone().json()).toMatchObject({ price_sats: 5, price_msat: "5000" });
    const token = await pay(large);
    expect(caveatsOf(token.macaroon)).toContain("img_price_msat=5000");
    expect(await (await app.request("/img/large", auth(token.authorization))).json()).toEqual({ size: "large", paid: "5000" });
  });

  it("a cheap token never buys a dear request: 402 price_exceeds_token, invoiced at the request's price; the dear token buys the cheap one", async () => {
    const { app, served } = imagesApp();
    const cheap = await buy(app, "/img/small");
    expect((await app.request("/img/small", auth(cheap.authorization))).status).toBe(200);
    const refused = await app.request("/img/large", auth(cheap.authorization));
    expect(refused.status).toBe(402);
    expect(await refused.json()).toMatchObject({ reason: "price_exceeds_token", price_msat: "5000", paid_msat: "1000", invoice: expect.stringMatching(/^lnbcrt50n1/) });
    expect(served()).toBe(1);
    const dear = await buy(app, "/img/large");
    expect((await app.request("/img/small", auth(dear.authorization))).status).toBe(200);
  });

  it("a client's recent challenge is handed back for a request of the same price only", async () => {
    const { app } = imagesApp();
    const invoiceOf = async (path: string) => ((await (await app.request(path)).json()) as Body)["invoice"];
    const small = await invoiceOf("/img/small");
    expect(await invoiceOf("/img/tiny")).toBe(small);
    const large = await invoiceOf("/img/large");
    expect(large).not.toBe(small);
    expect(large).toMatch(/^lnbcrt50n1/);
  });

  it("a price function's price is sold and minted", async () => {
    const app: App = new Hono();
    const price = (request: { url: URL }) => BigInt(request.url.searchParams.get("n") ?? "1") * 1500n;
    app.use("/fn/*", l402Paywall({ service: { name: "fn", price }, keyring, backend, ports: memoryPorts(), log: false }));
    app.get("/fn/x", (c) => c.text("ok"));
    const unpaid = await app.request("/fn/x?n=3");
    expect(await unpaid.clone().json()).toMatchObject({ price_msat: "4500" });
    const token = await pay(unpaid);
    expect(caveatsOf(token.macaroon)).toContain("fn_price_msat=4500");
    expect((await app.request("/fn/x?n=2", auth(token.authorization))).status).toBe(200);
    expect(await (await app.request("/fn/x?n=4", auth(token.authorization))).json()).toMatchObject({ reason: "price_exceeds_token", price_msat: "6000", paid_msat: "4500" });
  });

  it("a holder's lower price caveat is what its token pays for", async () => {
    const { app } = imagesApp();
    const dear = await buy(app, "/img/large");
    const lowered = withCaveats(dear, "img_price_msat=1000");
    expect(await (await app.request("/img/large", auth(lowered))).json()).toMatchObject({ reason: "price_exceeds_token", paid_msat: "1000" });
    expect(await (await app.request("/img/large", auth(withCaveats(dear, "img_price_msat=5001")))).json()).toMatchObject({ reason: "caveat_widened" });
  });
});

describe("tokens bound to their request", () => {
  function actionsApp() {
    const app: App = new Hono();
    let done = 0;
    const service = { name: "act", price_sats: 1, bind_request: true, price_rules: [{ headers: { "x-model": "big" }, price_sats: 50 }, { methods: ["DELETE"], price_sats: 40 }] };
    app.use("/act/*", l402Paywall({ service, keyring, backend, ports: memoryPorts(), log: false }));
    app.all("/act/*", (c) => {
      done++;
      return c.text(`done ${c.req.method}`);
    });
    return { app, done: () => done };
  }
  const post = (body: string, headers: Record<string, string> = {}): RequestInit => ({ method: "POST", body, headers: { "Content-Type": "text/plain", ...headers } });
  const withAuth = (init: RequestInit, authorization: string): RequestInit => ({ ...init, headers: { ...(init.headers as Record<string, string>), Authorization: authorization } });

  it("makes the request it was bought for; another body, path or query is refused request_mismatch", async () => {
    const { app, done } = actionsApp();
    const token = await buy(app, "/act/transfer?to=alice", post("amount=1"));
    expect(caveatsOf(token.macaroon).some((caveat) => /^act_request=[0-9a-f]{64}$/.test(caveat))).toBe(true);
    expect((await app.request("/act/transfer?to=alice", withAuth(post("amount=1"), token.authorization))).status).toBe(200);
    for (const [path, body] of [["/act/transfer?to=alice", "amount=1000"], ["/act/transfer?to=mallory", "amount=1"], ["/act/other?to=alice", "amount=1"]] as const) {
      const refused = await app.request(path, withAuth(post(body), token.authorization));
      expect(await refused.json()).toMatchObject({ reason: "request_mismatch" });
    }
    expect(done()).toBe(1);
  });

  it("a body beyond 1 MiB cannot be bound: 413, no invoice", async () => {
    const { app } = actionsApp();
    const refused = await app.request("/act/upload", post("x".repeat(1024 * 1024 + 1)));
    expect(refused.status).toBe(413);
    expect(await refused.json()).toMatchObject({ reason: "body_too_large" });
    expect(refused.headers.get("www-authenticate")).toBeNull();
    expect((await app.request("/act/upload", post("x".repeat(1024 * 1024)))).status).toBe(402);
  });

  // The digest covers method, path, query and body, not the headers a rule prices by, nor a method
  // claimed by header: the same request made dearer that way must not pass at the cheap price.
  it("a bound token bought cheap does not buy its request made dear by a priced header", async () => {
    const { app, done } = actionsApp();
    const cheap = await buy(app, "/act/run", post("job"));
    const dear = await app.request("/act/run", withAuth(post("job", { "X-Model": "big" }), cheap.authorization));
    expect(dear.status).toBe(402);
    expect(await dear.json()).toMatchObject({ reason: "price_exceeds_token", price_msat: "50000" });
    expect(done()).toBe(0);
  });

  it("a bound token bought for a POST does not buy the DELETE a header makes of it", async () => {
    const { app, done } = actionsApp();
    const cheap = await buy(app, "/act/item", post("id=1"));
    const claimed = await app.request("/act/item", withAuth(post("id=1", { "X-HTTP-Method-Override": "DELETE" }), cheap.authorization));
    expect(claimed.status).toBe(402);
    // Its digest covers the methods claimed (request-binding.ts), so it is another request before it is a dearer one.
    expect(await claimed.json()).toMatchObject({ reason: "request_mismatch" });
    expect(done()).toBe(0);
  });
});
