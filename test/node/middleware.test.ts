import { serve } from "@hono/node-server";
import { Hono } from "hono";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startSimulator, type Simulator } from "../../dev/lnd-sim/server.ts";
import { decodeMacaroon } from "../../src/macaroon/index.ts";
import { createKeyring, parseChallenge, toBase64, toHex } from "../../src/l402/index.ts";
import { lndRestBackend, type InvoiceBackend } from "../../src/lightning/index.ts";
import { l402Paywall, memoryPorts, type L402Variables, type PaywallOptions } from "../../src/index.ts";
import { payInvoice } from "../../dev/lnd-sim/payer.ts";
import { createL402Fetch, memoryStore } from "../../src/client/index.ts";
import { formatPaymentCredential, parsePaymentChallenges, readChargeRequest } from "../../src/payment/index.ts";

/**
 * l402Paywall() mounted in a Hono app, without workerd: in-memory ports, the LND
 * simulator as the node. The same behaviour runs against the real bindings in
 * test/workerd/.
 */
let sim: Simulator;
let backend: InvoiceBackend;
const keyring = createKeyring(new Uint8Array(32).fill(5));

beforeAll(async () => {
  sim = await startSimulator();
  backend = lndRestBackend({ url: sim.url, macaroonHex: sim.paywallMacaroonHex, network: "regtest", timeoutMs: 2000 });
});
afterAll(() => sim.close());

function appWith(options: Partial<PaywallOptions> = {}) {
  const ports = memoryPorts();
  const app = new Hono<{ Variables: L402Variables }>();
  app.use("/api/*", l402Paywall({ service: { name: "api", price_sats: 5, uses: 3, revocable: true }, keyring, backend, ports, ...options }));
  app.get("/api/data", (c) => c.json({ tokenId: c.var.l402?.tokenId, service: c.var.l402?.service, remaining: c.var.l402?.remaining ?? null }));
  app.get("/open", (c) => c.text("free for all"));
  return { app, ports };
}

/** Request → 402 → pay through the simulator → the Authorization value. */
async function buy(app: Hono<{ Variables: L402Variables }>, path: string): Promise<{ authorization: string; tokenId: string }> {
  const unpaid = await app.request(path);
  expect(unpaid.status).toBe(402);
  const challenge = parseChallenge(unpaid.headers.get("www-authenticate") ?? "");
  if (!challenge.ok) throw new Error(challenge.detail);
  const paid = await payInvoice({ url: sim.url, macaroonHex: sim.adminMacaroonHex }, challenge.value.invoice);
  return { authorization: `L402 ${toBase64(challenge.value.macaroon)}:${paid.preimageHex}`, tokenId: toHex(decodeMacaroon(challenge.value.macaroon).identifier.slice(34)) };
}

describe("l402Paywall mounted on routes of an app", () => {
  it("lets a paid request through to the app's handler with c.var.l402, exactly the paid number of times", async () => {
    const { app } = appWith();
    const token = await buy(app, "/api/data");
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await app.request("/api/data", { headers: { Authorization: token.authorization } }));
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 402]);
    expect(await answers[0]?.json()).toEqual({ tokenId: token.tokenId, service: "api", remaining: 2 });
    expect(answers[2]?.headers.get("x-l402-remaining")).toBe("0");
    expect(((await answers[3]?.json()) as { reason: string }).reason).toBe("exhausted");
  });

  it("an origin's own 402 to a paid request offers nothing: its L402 challenge and x402 requirements are taken out, so a paying client keeps its token and pays no one", async () => {
    const ports = memoryPorts();
    const app = new Hono<{ Variables: L402Variables }>();
    app.use("/api/*", l402Paywall({ service: { name: "api", price_sats: 5 }, keyring, backend, ports, log: false }));
    let offered = "";
    app.get("/api/data", () => new Response("{}", { status: 402, headers: { "WWW-Authenticate": offered, "PAYMENT-REQUIRED": "e30=", "Content-Type": "application/json" } }));
    app.get("/api/bearer", () => new Response("sign in", { status: 401, headers: { "WWW-Authenticate": 'Bearer realm="api"' } }));
    // The origin's own challenge, a valid-looking one: its macaroon names the service (the paywall's own 402 copied).
    offered = (await app.request("/api/other")).headers.get("www-authenticate") ?? "";
    expect(offered).toMatch(/^L402 /);
    const token = await buy(app, "/api/data");
    const answer = await app.request("/api/data", { headers: { Authorization: token.authorization } });
    expect(answer.status).toBe(402);
    expect(answer.headers.get("www-authenticate")).toBeNull();
    expect(answer.headers.get("payment-required")).toBeNull();
    // Another scheme's challenge is the origin's to make.
    expect((await app.request("/api/bearer", { headers: { Authorization: token.authorization } })).headers.get("www-authenticate")).toBe('Bearer realm="api"');

    const store = memoryStore();
    const [macaroon, preimage] = token.authorization.slice("L402 ".length).split(":") as [string, string];
    await store.put("https://shop.example", { macaroon, preimage, services: ["api"], paidMsat: "5000", createdAt: 0 });
    let payments = 0;
    const wallet = { pay: async () => (payments++, Promise.reject(new Error("a payment the test never allows"))) };
    const client = createL402Fetch({ wallet, maxCostSats: 100, store, fetch: ((url: string | URL | Request, init?: RequestInit) => app.request(String(url), init)) as typeof fetch });
    await expect(client("https://shop.example/api/data")).rejects.toMatchObject({ code: "bad_challenge" });
    expect(payments).toBe(0);
    expect((await store.get("https://shop.example")).map((held) => held.macaroon)).toEqual([macaroon]);
  });

  it("what a token has left is the paywall's word: a handler's own X-L402-Remaining or X-L402-Balance is taken out", async () => {
    const { app } = appWith();
    app.get("/api/forged", (c) => c.text("ok", 200, { "X-L402-Remaining": "999", "X-L402-Balance": "999999" }));
    const token = await buy(app, "/api/forged");
    const answer = await app.request("/api/forged", { headers: { Authorization: token.authorization } });
    expect(answer.status).toBe(200);
    expect(answer.headers.get("x-l402-remaining")).toBe("2");
    expect(answer.headers.get("x-l402-balance")).toBeNull();
  });

  it("mounted under app.route() or basePath(): patterns name whole paths; a pattern outside the mount is a 500 misconfigured, never a free pass", async () => {
    const mountedAt = (match: string[], priceRule?: string) => {
      const sub = new Hono<{ Variables: L402Variables }>();
      const service = { name: "api", price_sats: 5, match, ...(priceRule === undefined ? {} : { price_rules: [{ path: priceRule, price_sats: 100 }] }) };
      sub.use("/api/*", l402Paywall({ services: [service], keyring, backend, ports: memoryPorts(), log: false }));
      sub.get("/api/data", (c) => c.text("served"));
      return new Hono().route("/v1", sub);
    };
    const relative = await mountedAt(["/api/*"]).request("/v1/api/data");
    expect(relative.status).toBe(500);
    expect(await relative.json()).toMatchObject({ reason: "misconfigured" });
    expect((await mountedAt(["/v1/api/*"], "/api/gold").request("/v1/api/gold")).status).toBe(500);
    expect((await mountedAt(["/v1/api/*"]).request("/v1/api/data")).status).toBe(402);
    expect((await mountedAt(["/V1/API/*"], "/v1/api/gold").request("/v1/api/gold")).status).toBe(402);
    const based = new Hono().basePath("/v1");
    based.use("*", l402Paywall({ services: [{ name: "api", price_sats: 5, match: ["/api/*"] }], keyring, backend, ports: memoryPorts(), log: false }));
    based.get("/api/data", (c) => c.text("served"));
    expect((await based.request("/v1/api/data")).status).toBe(500);
    // The middleware's own path is its mount too: patterns written relative to it match nothing, and sell nothing for free.
    const used = new Hono();
    used.use("/api/*", l402Paywall({ services: [{ name: "api", price_sats: 5, match: ["/reports/*"] }], keyring, backend, ports: memoryPorts(), log: false }));
    used.get("/api/reports/x", (c) => c.text("served"));
    expect((await used.request("/api/reports/x")).status).toBe(500);
    const routed = new Hono();
    routed.get("/api/data", l402Paywall({ services: [{ name: "api", price_sats: 5, match: ["/api/*"] }], keyring, backend, ports: memoryPorts(), log: false }), (c) => c.text("served"));
    expect((await routed.request("/api/data")).status).toBe(402);
    // A route's path is shared with the routes beside it: the services' rules and free paths elsewhere are theirs.
    const service = { name: "api", price_sats: 5, match: ["/api/*"], free_paths: ["/api/health"], price_rules: [{ path: "/api/v2/heavy", price_sats: 50 }] };
    const shared = l402Paywall({ services: [service], keyring, backend, ports: memoryPorts(), log: false });
    const beside = new Hono();
    beside.get("/api/data", shared, (c) => c.text("served"));
    beside.use("/api/v1/*", shared).use("/api/v2/*", shared).get("*", (c) => c.text("served"));
    expect([(await beside.request("/api/data")).status, (await beside.request("/api/v1/x")).status, (await beside.request("/api/v2/heavy")).status]).toEqual([402, 402, 402]);
    // One service covering every path it is shown lies under any mount.
    const whole = new Hono();
    whole.use("*", l402Paywall({ service: { name: "all", price_sats: 5 }, keyring, backend, ports: memoryPorts(), log: false }));
    whole.get("/x", (c) => c.text("served"));
    expect((await new Hono().route("/v1", whole).request("/v1/x")).status).toBe(402);
  });

  it("mounted as apps are: a base with a trailing slash, a parameter, one paywall under two mounts, a base to percent-encode all sell", async () => {
    const app = (mount: string, match: string[], path: string, ...more: [string, string[]][]) => {
      const sub = new Hono();
      sub.use("*", l402Paywall({ services: [{ name: "s0", price_sats: 5, match }, ...more.map(([, m], i) => ({ name: `s${i + 1}`, price_sats: 5, match: m }))], keyring, backend, ports: memoryPorts(), log: false }));
      sub.get("*", (c) => c.text("served"));
      return new Hono().route(mount, sub).request(path);
    };
    expect((await app("/v1/", ["/v1/api/*"], "/v1/api/x")).status).toBe(402);
    expect((await app("/:tenant", ["/:org/api/*"], "/acme/api/x")).status).toBe(402);
    expect((await app("/:tenant", ["/*/api/*"], "/acme/api/x")).status).toBe(402);
    expect((await app("/café", ["/café/*"], "/caf%C3%A9/x")).status).toBe(402);
    // One paywall, its services for two mounts: each mount sells its own.
    const paywall = l402Paywall({ services: [{ name: "a", price_sats: 5, match: ["/a/*"] }, { name: "b", price_sats: 5, match: ["/b/*"] }], keyring, backend, ports: memoryPorts(), log: false });
    const [a, b] = [new Hono(), new Hono()];
    for (const sub of [a, b]) sub.use("*", paywall).get("*", (c) => c.text("served"));
    const both = new Hono().route("/a", a).route("/b", b);
    expect([(await both.request("/a/x")).status, (await both.request("/b/x")).status]).toEqual([402, 402]);
  });

  it("refuses a revoked token with a fresh 402", async () => {
    const { app, ports } = appWith();
    const token = await buy(app, "/api/data");
    expect((await app.request("/api/data", { headers: { Authorization: token.authorization } })).status).toBe(200);
    await ports.revocations.revoke(token.tokenId, "test", 0);
    const refused = await app.request("/api/data", { headers: { Authorization: token.authorization } });
    expect(refused.status).toBe(402);
    expect(await refused.json()).toMatchObject({ reason: "revoked", invoice: expect.stringMatching(/^lnbcrt50n1/) });
  });

  it("without CORS options, a preflight is a request like any other: a handler taking OPTIONS is not reached unpaid", async () => {
    const ports = memoryPorts();
    const app = new Hono<{ Variables: L402Variables }>();
    app.use("/api/*", l402Paywall({ service: { name: "api", price_sats: 5 }, keyring, backend, ports }));
    app.all("/api/data", (c) => c.text("paid content"));
    const preflight = await app.request("/api/data", { method: "OPTIONS", headers: { Origin: "https://evil.example", "Access-Control-Request-Method": "GET" } });
    expect(preflight.status).toBe(402);
    expect(await preflight.text()).not.toContain("paid content");
  });

  it("with CORS options, answers a preflight itself, allowing Authorization, and the handler is not reached", async () => {
    const ports = memoryPorts();
    const app = new Hono<{ Variables: L402Variables }>();
    app.use("/api/*", l402Paywall({ service: { name: "api", price_sats: 5 }, keyring, backend, ports, cors: { origin: (origin) => origin } }));
    app.all("/api/data", (c) => c.text("paid content"));
    const preflight = await app.request("/api/data", { method: "OPTIONS", headers: { Origin: "https://app.example", "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization" } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("https://app.example");
    expect(preflight.headers.get("access-control-allow-headers")).toBe("authorization");
    expect(await preflight.text()).toBe("");
  });

  it("with CORS options, an OPTIONS with Origin but no request method (no preflight) is answered 204 by the CORS middleware, the handler not reached", async () => {
    const reached: string[] = [];
    const app = new Hono<{ Variables: L402Variables }>();
    app.use("/api/*", l402Paywall({ service: { name: "api", price_sats: 5 }, keyring, backend, ports: memoryPorts(), cors: { origin: (origin) => origin } }));
    app.all("/api/data", (c) => (reached.push(c.req.method), c.text("paid content")));
    const answer = await app.request("/api/data", { method: "OPTIONS", headers: { Origin: "https://app.example" } });
    expect(answer.status).toBe(204);
    expect(answer.headers.get("access-control-allow-origin")).toBe("https://app.example");
    expect(reached).toEqual([]);
  });

  it("with CORS options that allow no credentials, an answer of the app's allowing them loses that header: the reflected origin never reads a credentialed answer", async () => {
    for (const credentials of [undefined, true]) {
      const ports = memoryPorts();
      const app = new Hono<{ Variables: L402Variables }>();
      app.use("/api/*", l402Paywall({ service: { name: "api", price_sats: 5 }, keyring, backend, ports, cors: { origin: (origin) => origin, ...(credentials ? { credentials } : {}) } }));
      // An origin whose own CORS lets its web app read answers sent with its cookies.
      app.all("/api/data", () => new Response("paid content", { headers: { "Access-Control-Allow-Origin": "https://app.example", "Access-Control-Allow-Credentials": "true" } }));
      const token = await buy(app, "/api/data");
      const response = await app.request("/api/data", { headers: { Authorization: token.authorization, Origin: "https://evil.example" } });
      expect(response.status).toBe(200);
      expect(response.headers.get("access-control-allow-origin")).toBe("https://evil.example");
      expect(response.headers.get("access-control-allow-credentials")).toBe(credentials ? "true" : null);
    }
  });

  it("a use taken for an answer the service does not charge (charge_on) is given back: by default a 5xx or a handler that throws", async () => {
    for (const [chargeOn, kept] of [[undefined, [200, 404]], ["success", [200]], ["always", [200, 404, 500, 503]]] as const) {
      const ports = memoryPorts();
      const app = new Hono<{ Variables: L402Variables }>();
      app.use("/api/*", l402Paywall({ service: { name: "api", price_sats: 5, uses: 100, ...(chargeOn === undefined ? {} : { charge_on: chargeOn }) }, keyring, backend, ports, log: false }));
      app.get("/api/data", (c) => c.text("paid content", Number(c.req.query("status") ?? 200) as 200));
      app.get("/api/throws", () => {
        throw new Error("handler failed");
      });
      const token = await buy(app, "/api/data");
      const authorized = { headers: { Authorization: token.authorization } };
      let left = 100;
      for (const status of [200, 404, 500, 503]) {
        const response = await app.request(`/api/data?status=${status}`, authorized);
        expect(response.status).toBe(status);
        if ((kept as readonly number[]).includes(status)) left--;
        expect(response.headers.get("x-l402-remaining"), `${chargeOn} ${status}`).toBe(String(left));
      }
      expect((await app.request("/api/throws", authorized)).status).toBe(500);
      if (chargeOn === "always") left--;
      // The next request, sent at once, counts from what is left: a use is back before its answer leaves.
      expect((await app.request("/api/data", authorized)).headers.get("x-l402-remaining"), String(chargeOn)).toBe(String(left - 1));
    }
  });

  it("a meter port without giveBack keeps a use for every answer, and says so: charge_on always (another refused when the middleware is made)", async () => {
    const ports = memoryPorts();
    const keeping = { consume: ports.meter.consume };
    const app = new Hono<{ Variables: L402Variables }>();
    app.use("/api/*", l402Paywall({ service: { name: "api", price_sats: 5, uses: 10 }, keyring, backend, ports: { ...ports, meter: keeping }, log: false }));
    app.get("/api/data", (c) => c.text("failed", 503));
    const token = await buy(app, "/api/data");
    const response = await app.request("/api/data", { headers: { Authorization: token.authorization } });
    expect(response.status).toBe(503);
    expect(response.headers.get("x-l402-remaining")).toBe("9");
    expect(() => l402Paywall({ service: { name: "api", price_sats: 5, uses: 10, charge_on: "success" }, keyring, backend, ports: { ...ports, meter: keeping } })).toThrow(/charge_on: needs a meter port \(ports.meter\) that gives a use back/);
  });

  it("a meter that never gives the use back holds a 5xx's answer a few seconds at most, which then does not count the use back", async () => {
    const ports = memoryPorts();
    const hanging = { consume: ports.meter.consume, giveBack: () => new Promise<void>(() => undefined) };
    const app = new Hono<{ Variables: L402Variables }>();
    app.use("/api/*", l402Paywall({ service: { name: "api", price_sats: 5, uses: 10 }, keyring, backend, ports: { ...ports, meter: hanging }, log: false }));
    app.get("/api/data", (c) => c.text("failed", 503));
    const token = await buy(app, "/api/data");
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    try {
      let answered = false;
      const answering = Promise.resolve(app.request("/api/data", { headers: { Authorization: token.authorization } })).finally(() => (answered = true));
      // Time moved on until the answer comes (the wait's timer is set once the handler has answered).
      for (let waited = 0; !answered && waited < 10_000; waited += 100) await vi.advanceTimersByTimeAsync(100);
      const response = await answering;
      expect(response.status).toBe(503);
      expect(response.headers.get("x-l402-remaining")).toBe("9");
    } finally {
      vi.useRealTimers();
    }
    // One that throws at once fails the give-back, not the answer.
    const throwing = {
      consume: ports.meter.consume,
      giveBack: (): Promise<void> => {
        throw new Error("meter gone");
      },
    };
    const other = new Hono<{ Variables: L402Variables }>();
    other.use("/api/*", l402Paywall({ service: { name: "api", price_sats: 5, uses: 10 }, keyring, backend, ports: { ...ports, meter: throwing }, log: false }));
    other.get("/api/data", (c) => c.text("failed", 503));
    const thrown = await other.request("/api/data", { headers: { Authorization: (await buy(other, "/api/data")).authorization } });
    expect([thrown.status, thrown.headers.get("x-l402-remaining")]).toEqual([503, "9"]);
  });

  it("leaves the app's other routes alone", async () => {
    const { app } = appWith();
    const response = await app.request("/open");
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("free for all");
  });

  it("records its outcome for the app's logs, without any credential in it", async () => {
    const outcomes: unknown[] = [];
    const ports = memoryPorts();
    const app = new Hono<{ Variables: L402Variables }>();
    app.use(async (c, next) => {
      await next();
      outcomes.push(c.get("l402Outcome"));
    });
    app.use("/api/*", l402Paywall({ service: { name: "api", price_sats: 5 }, keyring, backend, ports }));
    app.get("/api/data", (c) => c.text("ok"));
    const token = await buy(app, "/api/data");
    await app.request("/api/data", { headers: { Authorization: token.authorization } });
    expect(outcomes).toEqual([
      { service: "api", outcome: "challenged", reason: "missing", priceMsat: "5000" },
      { service: "api", outcome: "paid", tokenId: token.tokenId, scheme: "l402" },
    ]);
    expect(JSON.stringify(outcomes)).not.toContain(token.authorization.split(":")[1]);
  });

  it("takes its options from the context (a Worker's env), once per env", async () => {
    let built = 0;
    type AppEnv = { Bindings: { PRICE: string }; Variables: L402Variables };
    const app = new Hono<AppEnv>();
    app.use(
      "/api/*",
      l402Paywall<AppEnv>((c) => {
        built++;
        return { service: { name: "api", price_sats: c.env.PRICE }, keyring, backend };
      }),
    );
    app.get("/api/data", (c) => c.text("ok"));
    const env = { PRICE: "7" };
    for (let i = 0; i < 3; i++) {
      const response = await app.request("/api/data", {}, env);
      expect(await response.json()).toMatchObject({ price_sats: 7 });
    }
    expect(built).toBe(1);
  });

  it("options from the context are built once for every request @hono/node-server serves (each with an env of its own): ports the options make last", async () => {
    let built = 0;
    const app = new Hono<{ Variables: L402Variables }>();
    app.use(
      "/api/*",
      l402Paywall((_c) => {
        built++;
        return { service: { name: "api", price_sats: 2, uses: 1 }, keyring, backend, ports: memoryPorts() };
      }),
    );
    app.get("/api/data", (c) => c.text("ok"));
    const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" });
    await new Promise<void>((resolve) => server.once("listening", () => resolve()));
    try {
      const token = await buy(app, "/api/data");
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/data`;
      const answers = [];
      for (let i = 0; i < 3; i++) answers.push((await fetch(url, { headers: { Authorization: token.authorization } })).status);
      // One use bought: the meter that counts it is the same for every request.
      expect(answers).toEqual([200, 402, 402]);
      expect(built).toBe(1);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it("takes a Payment credential, tells the app which scheme paid, and answers with a receipt", async () => {
    const app = new Hono<{ Variables: L402Variables }>();
    app.use("/api/*", l402Paywall({ service: { name: "api", price_sats: 2, schemes: ["l402", "mpp"] }, keyring, backend, ports: memoryPorts() }));
    app.get("/api/data", (c) => c.json({ scheme: c.var.l402?.scheme, tokenId: c.var.l402?.tokenId }));
    const unpaid = await app.request("http://shop.example/api/data");
    const [challenge] = parsePaymentChallenges(unpaid.headers.get("www-authenticate") ?? "");
    if (challenge === undefined) throw new Error("no Payment challenge");
    const request = readChargeRequest(challenge.request);
    if (!request.ok) throw new Error(request.detail);
    const paid = await payInvoice({ url: sim.url, macaroonHex: sim.adminMacaroonHex }, request.value.methodDetails.invoice);
    const credential = formatPaymentCredential({ challenge, payload: { preimage: paid.preimageHex as string } });
    const answer = await app.request("http://shop.example/api/data", { headers: { Authorization: credential } });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ scheme: "payment", tokenId: request.value.externalId?.split("/")[1] });
    expect(answer.headers.get("payment-receipt")).not.toBeNull();
    expect((await app.request("http://shop.example/api/data", { headers: { Authorization: credential } })).status).toBe(402);
  });
});

/**
 * Review of issue 18 (item 13, the middleware on Node): `clientAddress`
 * defaults to `CF-Connecting-IP`, which Cloudflare sets and overwrites, but
 * which any client sets when nothing in front does (Node with
 * @hono/node-server, as the README offers). Free allowances, the mint limit
 * and the challenge cache then count what the client claims to be.
 */
describe("l402Paywall on Node, where no Cloudflare sets CF-Connecting-IP", () => {
  it("a client naming a new CF-Connecting-IP on each request gets no more free requests than the allowance", async () => {
    const app = new Hono<{ Variables: L402Variables }>();
    app.use("/api/*", l402Paywall({ service: { name: "api", price_sats: 2, freebies: 1, freebies_period: 86_400 }, keyring, backend, ports: memoryPorts() }));
    let served = 0;
    app.get("/api/data", (c) => {
      served++;
      return c.text("free sample");
    });
    for (let i = 1; i <= 5; i++) {
      const answer = await app.request("http://shop.example/api/data", { headers: { "CF-Connecting-IP": `198.51.${i}.7` } });
      await answer.body?.cancel();
    }
    expect(served).toBe(1);
  });
});
