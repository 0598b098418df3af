import { Hono, type Context } from "hono";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { payInvoice } from "../../dev/lnd-sim/payer.ts";
import { startSimulator, type Simulator } from "../../dev/lnd-sim/server.ts";
import { readPaywallEnv } from "../../src/config/index.ts";
import { parseChallenge, toBase64 } from "../../src/l402/index.ts";
import { l402Paywall, PaywallConfigError, type L402Variables, type PaywallOptions } from "../../src/index.ts";

/**
 * The one-line form, `l402Paywall({ service })`: the keyring and the node come
 * from the env (a Worker's `c.env`, else Node's `process.env`), the node's
 * network is its own unless pinned, a breaker guards it, and a bad setting is a
 * 500 `misconfigured` with one log line naming the fields, never a crash.
 */
let sim: Simulator;
const MASTER_KEYS = "42".repeat(32);

beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(() => sim.close());
afterEach(async () => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  await fetch(`${sim.url}/_sim/faults`, { method: "DELETE" });
});

const workerEnv = (extra: Record<string, string> = {}) => ({ L402_MASTER_KEYS: MASTER_KEYS, LND_REST_URL: sim.url, LND_MACAROON: sim.paywallMacaroonHex, ...extra });
const lndRequests = async () => ((await (await fetch(`${sim.url}/_sim/stats`)).json()) as { requests: number }).requests;

type AppEnv = { Bindings: Record<string, string>; Variables: L402Variables };
function appWith(options: PaywallOptions | ((c: Context<AppEnv>) => PaywallOptions) = { service: { name: "premium", price_sats: 3 } }) {
  const entries: Record<string, unknown>[] = [];
  const app = new Hono<AppEnv>();
  const withLog = (given: PaywallOptions): PaywallOptions => ({ log: (entry) => entries.push({ ...entry }), ...given });
  app.use("/premium/*", l402Paywall<AppEnv>(typeof options === "function" ? (c) => withLog(options(c)) : withLog(options)));
  app.get("/premium/report", (c) => c.json({ report: "the good stuff", paidBy: c.var.l402?.tokenId }));
  app.onError((error) => {
    throw error;
  });
  return { app, entries };
}

/** 402 → pay through the simulator → 200, with `env` as the app's env (undefined: none, as on Node). */
async function buy(app: Hono<AppEnv>, env: Record<string, string> | undefined) {
  const unpaid = await app.request("/premium/report", {}, env);
  expect(unpaid.status).toBe(402);
  const challenge = parseChallenge(unpaid.headers.get("www-authenticate") ?? "");
  if (!challenge.ok) throw new Error(challenge.detail);
  expect(challenge.value.invoice).toMatch(/^lnbcrt30n1/);
  const paid = await payInvoice({ url: sim.url, macaroonHex: sim.adminMacaroonHex }, challenge.value.invoice);
  return app.request("/premium/report", { headers: { Authorization: `L402 ${toBase64(challenge.value.macaroon)}:${paid.preimageHex}` } }, env);
}

describe("l402Paywall({ service }) with the settings in the env", () => {
  it("reads the keys and the node from a Worker's env and learns the node's network (regtest here): 402 → pay → 200", async () => {
    const { app, entries } = appWith();
    const answer = await buy(app, workerEnv());
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ report: "the good stuff", paidBy: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(entries).toEqual([]);
  });

  it("reads them from process.env when the app's env holds none of them (Node)", async () => {
    for (const [name, value] of Object.entries(workerEnv())) vi.stubEnv(name, value);
    const { app } = appWith();
    const answer = await buy(app, undefined);
    expect(answer.status).toBe(200);
  });

  it("checks invoices against L402_NETWORK when it is set: a node on another chain is a 503, its cause logged", async () => {
    const { app, entries } = appWith();
    const answer = await app.request("/premium/report", {}, workerEnv({ L402_NETWORK: "mainnet" }));
    expect(answer.status).toBe(503);
    expect(entries).toEqual([expect.objectContaining({ outcome: "node_unavailable", status: 503, detail: expect.stringContaining("network regtest, expected mainnet") })]);
  });

  it("guards the node with a circuit breaker: after 5 failures in a row it is not asked for a while", async () => {
    const { app, entries } = appWith();
    // One env, as a Worker's isolate has: the breaker lives with what is built from it.
    const env = workerEnv();
    await fetch(`${sim.url}/_sim/faults`, { method: "POST", body: JSON.stringify({ failure: "unavailable" }) });
    for (let i = 0; i < 5; i++) expect((await app.request("/premium/report", {}, env)).status).toBe(503);
    const before = await lndRequests();
    const refused = await app.request("/premium/report", {}, env);
    expect(refused.status).toBe(503);
    expect(await lndRequests()).toBe(before);
    expect(entries.at(-1)).toMatchObject({ outcome: "node_unavailable", detail: expect.stringMatching(/^breaker_open:/) });
  });

  it("a missing or bad setting is a 500 misconfigured, logged once per request by field name, never by value; the handler is not reached", async () => {
    const { app, entries } = appWith();
    const env = { L402_MASTER_KEYS: "not-hex-key", LND_REST_URL: "nowhere", LND_MACAROON: "secret-not-hex" };
    for (let i = 0; i < 2; i++) {
      const answer = await app.request("/premium/report", {}, env);
      expect(answer.status).toBe(500);
      expect(await answer.json()).toEqual({ reason: "misconfigured", detail: "the paywall is not configured correctly" });
    }
    expect(entries).toHaveLength(2);
    expect(entries[0]).toMatchObject({ outcome: "misconfigured", status: 500, method: "GET", path: "/premium/report" });
    for (const field of ["L402_MASTER_KEYS", "LND_REST_URL", "LND_MACAROON"]) expect(entries[0]?.["detail"]).toContain(field);
    expect(JSON.stringify(entries)).not.toMatch(/not-hex-key|nowhere|secret-not-hex/);
  });

  it("says so by default on the console, as one JSON line", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const app = new Hono<AppEnv>();
    app.use("/premium/*", l402Paywall<AppEnv>({ service: { name: "premium", price_sats: 3 } }));
    expect((await app.request("/premium/report", {}, { LND_REST_URL: sim.url })).status).toBe(500);
    expect(errors).toHaveBeenCalledTimes(1);
    expect(JSON.parse(String(errors.mock.calls[0]?.[0]))).toMatchObject({ outcome: "misconfigured", detail: expect.stringMatching(/L402_MASTER_KEYS: is not set.*LND_MACAROON: is required/) });
  });

  it("options made from the context that do not hold together are a 500 misconfigured too, not a crash", async () => {
    const { app, entries } = appWith(() => ({ service: { name: "premium", price_sats: 3, uses: 2 } }));
    const answer = await app.request("/premium/report", {}, workerEnv());
    expect(answer.status).toBe(500);
    expect(entries[0]?.["detail"]).toContain("service.uses: needs a meter port");
  });

  it("service definitions that do not hold together still throw when the middleware is made", () => {
    expect(() => l402Paywall({ service: { name: "a b", price_sats: 3 } })).toThrow(PaywallConfigError);
  });
});

describe("the settings read from an env", () => {
  const problems = (env: Record<string, string>) => {
    const read = readPaywallEnv(env, { keyring: true, node: true });
    return read.ok ? [] : read.problems;
  };

  it("names each backend's own settings when missing", () => {
    expect(problems({ L402_MASTER_KEYS: MASTER_KEYS, L402_BACKEND: "cln" })).toEqual(["CLN_REST_URL: is required", "CLN_RUNE: is required"]);
    expect(problems({ L402_MASTER_KEYS: MASTER_KEYS, L402_BACKEND: "moon" })).toEqual(["L402_BACKEND: must be one of lnd, nwc, lnbits, phoenixd, cln"]);
  });

  it("asks LNbits for L402_NETWORK (it names no chain), and refuses a held NWC connection (the template Worker's)", () => {
    expect(problems({ L402_MASTER_KEYS: MASTER_KEYS, L402_BACKEND: "lnbits", LNBITS_URL: "https://lnbits.example", LNBITS_INVOICE_KEY: "a".repeat(32) })).toEqual([
      "L402_NETWORK: is required with lnbits (LNbits does not say which chain it is on)",
    ]);
    const uri = `nostr+walletconnect://${"b".repeat(64)}?relay=wss://relay.example&secret=${"c".repeat(64)}`;
    expect(problems({ L402_MASTER_KEYS: MASTER_KEYS, L402_BACKEND: "nwc", L402_NWC_URI: uri, L402_NWC_CONNECTION: "held" })).toEqual([
      'L402_NWC_CONNECTION: "held" is the template Worker\'s (a Durable Object holds the socket); l402Paywall() opens one per call',
    ]);
  });

  it("takes an empty variable as unset", () => {
    expect(problems({ L402_MASTER_KEYS: MASTER_KEYS, LND_REST_URL: "", LND_MACAROON: "" })).toEqual(["LND_REST_URL: is required", "LND_MACAROON: is required"]);
  });
});
