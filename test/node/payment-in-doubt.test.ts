import { Hono } from "hono";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../../dev/lnd-sim/server.ts";
import { payInvoice } from "../../dev/lnd-sim/payer.ts";
import { createL402Fetch, L402Error, lndWallet, memoryLedger, memoryStore, type SpendLedger, type StoredToken, type TokenStore, type Wallet } from "../../src/client/index.ts";
import { createKeyring, parseChallenge, toBase64, toHex } from "../../src/l402/index.ts";
import { lndRestBackend, readInvoice } from "../../src/lightning/index.ts";
import { l402Paywall, memoryPorts } from "../../src/index.ts";

/**
 * A token whose payment's outcome the client never learned (payment-in-doubt.ts):
 * the paywall (l402Paywall in a Hono app) and the client's LND wallet on one
 * simulator of their own, whose SendPaymentV2 loses its answer on demand
 * (`lostPaymentAnswer`: the payment settled, or held in flight by its payee).
 */
let sim: Simulator;
const BASE = "https://in-doubt.test";
const app = new Hono();

beforeAll(async () => {
  sim = await startSimulator();
  const backend = lndRestBackend({ url: sim.url, macaroonHex: sim.paywallMacaroonHex, network: "regtest", timeoutMs: 2000 });
  // No challenge cache: every 402 a fresh invoice, so that each test's tokens are its own.
  app.use("/api/*", l402Paywall({ service: { name: "api", price_sats: 5 }, keyring: createKeyring(new Uint8Array(32).fill(3)), backend, ports: memoryPorts(), challengeCacheSeconds: 0 }));
  app.get("/api/*", (c) => c.text("paid content"));
  app.use("/sized/*", l402Paywall({ service: { name: "sized", price_sats: 1, price_rules: [{ query: { size: "large" }, price_sats: 5 }] }, keyring: createKeyring(new Uint8Array(32).fill(5)), backend, ports: memoryPorts(), challengeCacheSeconds: 0 }));
  app.get("/sized/*", (c) => c.text("sized content"));
  // 2 sats a request from a 5-sat balance: the third request needs a top-up.
  app.use("/credit/*", l402Paywall({ service: { name: "credit", price_sats: 2, balance: { amounts_sats: [5] } }, keyring: createKeyring(new Uint8Array(32).fill(4)), backend, ports: memoryPorts(), challengeCacheSeconds: 0 }));
  app.get("/credit/*", (c) => c.text("metered content"));
});
afterAll(() => sim.close());
beforeEach(() => sim.setFaults({ lostPaymentAnswer: null, routeFeeMsat: 0, paths: [], latencyMs: 0, failure: null }));

const endHeld = (end: "settle" | "fail") => fetch(`${sim.url}/_sim/held`, { method: "POST", body: JSON.stringify({ end }) });

/** The LND wallet paying through the simulator, counting its payments; `lookup: false` leaves its lookup out. */
/** Resolves once `done()` holds (checked every 5 ms), however loaded the machine: a fixed sleep would race the work it waits for. */
async function until(done: () => boolean): Promise<void> {
  for (const deadline = Date.now() + 10_000; !done(); ) {
    if (Date.now() > deadline) throw new Error("still waiting after 10 s");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function countingWallet({ lookup = true } = {}): Wallet & { payments: number } {
  const wallet = lndWallet({ url: sim.url, macaroonHex: sim.adminMacaroonHex, feeLimitSats: 10, timeoutSeconds: 5 });
  const counted: Wallet & { payments: number } = {
    payments: 0,
    pay: (invoice, limits) => {
      counted.payments++;
      return wallet.pay(invoice, limits);
    },
    ...(lookup ? { lookup: wallet.lookup } : {}),
  };
  return counted;
}

function client(wallet: Wallet, store: TokenStore = memoryStore(), ledger: SpendLedger = memoryLedger()) {
  return { store, ledger, fetch: createL402Fetch({ wallet, maxCostSats: 20, store, ledger, fetch: async (input, init) => app.request(input instanceof Request ? input : String(input), init) }) };
}

/** What the spend windows count, in msat: the payments made, and the most any in doubt may have cost. */
const counted = (ledger: SpendLedger): Promise<bigint> => ledger.change((records) => ({ records, result: records.reduce((sum, r) => sum + BigInt(r.msat), 0n) }));

const only = async (store: TokenStore): Promise<StoredToken> => {
  const tokens = await store.get(BASE);
  expect(tokens).toHaveLength(1);
  return tokens[0] as StoredToken;
};

/** The store without its `purchasing` and `update` (both optional): a store of one's own. */
const withoutPurchasing = (store: TokenStore): TokenStore => ({ get: store.get, put: store.put, remove: store.remove, keys: store.keys });

/** A 402's token, as a process that stopped while paying it left it: no preimage, in doubt. */
async function challengedToken(path: string): Promise<{ token: StoredToken; invoice: string }> {
  const challenge = parseChallenge((await app.request(`${BASE}${path}`)).headers.get("www-authenticate") ?? "");
  if (!challenge.ok) throw new Error(challenge.detail);
  const token: StoredToken = { macaroon: toBase64(challenge.value.macaroon), preimage: "", services: ["api"], paidMsat: "5000", createdAt: 0, paymentInDoubt: true };
  return { token, invoice: challenge.value.invoice };
}

describe("a token whose payment is in doubt", () => {
  it("an answer lost after the payment went through: the token is kept in doubt, completed on the next request, never paid twice", async () => {
    const wallet = countingWallet();
    const { fetch, store } = client(wallet);
    sim.setFaults({ lostPaymentAnswer: "settled" });
    await expect(fetch(`${BASE}/api/a`)).rejects.toBeInstanceOf(L402Error);
    expect(await only(store)).toMatchObject({ preimage: "", paymentInDoubt: true, services: ["api"] });
    sim.setFaults({ lostPaymentAnswer: null });
    const answer = await fetch(`${BASE}/api/b`);
    expect(answer.status).toBe(200);
    expect(await answer.text()).toBe("paid content");
    expect(wallet.payments).toBe(1);
    const completed = await only(store);
    expect(completed.preimage).toMatch(/^[0-9a-f]{64}$/);
    expect(completed.paymentInDoubt).toBeUndefined();
    expect((await fetch(`${BASE}/api/c`)).status).toBe(200);
    expect(wallet.payments).toBe(1);
  });

  it("a payment held in flight: nothing more is paid while it is; once it settles, its token is used", async () => {
    const wallet = countingWallet();
    const { fetch, store } = client(wallet);
    sim.setFaults({ lostPaymentAnswer: "in_flight" });
    await expect(fetch(`${BASE}/api/a`)).rejects.toBeInstanceOf(L402Error);
    sim.setFaults({ lostPaymentAnswer: null });
    for (let i = 0; i < 2; i++) {
      await expect(fetch(`${BASE}/api/b`)).rejects.toMatchObject({ code: "payment_failed", unpaid: true, message: expect.stringContaining("is still in flight") });
    }
    expect(wallet.payments).toBe(1);
    expect(await only(store)).toMatchObject({ paymentInDoubt: true });
    expect(await (await endHeld("settle")).json()).toEqual({ ended: 1 });
    expect((await fetch(`${BASE}/api/c`)).status).toBe(200);
    expect(wallet.payments).toBe(1);
    expect((await only(store)).preimage).toMatch(/^[0-9a-f]{64}$/);
  });

  it("a payment held in flight that then fails: its token is dropped, its count in the spend windows given back, and one bought anew", async () => {
    const wallet = countingWallet();
    const { fetch, store, ledger } = client(wallet);
    sim.setFaults({ lostPaymentAnswer: "in_flight" });
    await expect(fetch(`${BASE}/api/a`)).rejects.toBeInstanceOf(L402Error);
    const doubted = await only(store);
    // The price and the most its routing could have cost (the budget's 20 sats), while in doubt.
    expect(await counted(ledger)).toBe(20_000n);
    sim.setFaults({ lostPaymentAnswer: null });
    await endHeld("fail");
    expect((await fetch(`${BASE}/api/b`)).status).toBe(200);
    expect(wallet.payments).toBe(2);
    const bought = await only(store);
    expect(bought.macaroon).not.toBe(doubted.macaroon);
    expect(bought.paymentInDoubt).toBeUndefined();
    // The one payment made, with no routing fee: the failed one is no longer counted.
    expect(await counted(ledger)).toBe(5000n);
  });

  it("left by a process that stopped while paying: completed if the payment went through, dropped if it was never made", async () => {
    const paidElsewhere = await challengedToken("/api/x");
    expect((await payInvoice({ url: sim.url, macaroonHex: sim.adminMacaroonHex }, paidElsewhere.invoice)).status).toBe("SUCCEEDED");
    const neverPaid = await challengedToken("/api/y");
    for (const [left, payments] of [[paidElsewhere.token, 0], [neverPaid.token, 1]] as const) {
      const wallet = countingWallet();
      const { fetch, store } = client(wallet);
      await store.put(BASE, left);
      expect((await fetch(`${BASE}/api/z`)).status).toBe(200);
      expect(wallet.payments).toBe(payments);
      const kept = await only(store);
      expect(kept.paymentInDoubt).toBeUndefined();
      expect(kept.macaroon === left.macaroon).toBe(payments === 0);
    }
  });

  it("a node that answers an error once the payment has begun (it shuts down mid-payment): not taken as unpaid, the token kept in doubt and completed", async () => {
    const wallet = countingWallet();
    const { fetch, store } = client(wallet);
    sim.setFaults({ lostPaymentAnswer: "error" });
    await expect(fetch(`${BASE}/api/a`)).rejects.toMatchObject({ code: "payment_failed", message: expect.stringContaining("server is shutting down") });
    expect(await only(store)).toMatchObject({ paymentInDoubt: true });
    sim.setFaults({ lostPaymentAnswer: null });
    expect((await fetch(`${BASE}/api/b`)).status).toBe(200);
    expect(wallet.payments).toBe(1);
  });

  it.each([
    ["the memory store", () => memoryStore()],
    ["a store of one's own, without purchasing", () => withoutPurchasing(memoryStore())],
  ])("with %s, a purchase at another price waits for one under way at the origin, then settles it: never looks up a payment still being made", async (_, makeStore) => {
    const wallet = countingWallet();
    const { fetch, store } = client(wallet, makeStore());
    // Each payment takes 300 ms to reach the node, and its answer is lost.
    sim.setFaults({ paths: ["/v2/router/send"], latencyMs: 300, lostPaymentAnswer: "settled" });
    const large = fetch(`${BASE}/sized/a?size=large`).catch((error: unknown) => error);
    // Its payment is under way.
    await until(() => wallet.payments === 1);
    const small = await fetch(`${BASE}/sized/b`);
    expect(await large).toBeInstanceOf(L402Error);
    // The cheap request waited, found the dear token's payment made, and used that token.
    expect(small.status).toBe(200);
    expect(wallet.payments).toBe(1);
    expect((await only(store)).paymentInDoubt).toBeUndefined();
    sim.setFaults({ paths: [], latencyMs: 0 });
    expect((await fetch(`${BASE}/sized/c?size=large`)).status).toBe(200);
    expect(wallet.payments).toBe(1);
  });

  it("a wallet that cannot look payments up (no permission, no such method: unknown): its refusal stands, and a token left in doubt blocks nothing", async () => {
    const unknown = async () => ({ status: "unknown" }) as const;
    sim.setFaults({ routeFeeMsat: 50_000 });
    const refused = client({ ...countingWallet(), lookup: unknown });
    await expect(refused.fetch(`${BASE}/api/a`)).rejects.toMatchObject({ code: "payment_failed", unpaid: true });
    expect(await refused.store.get(BASE)).toEqual([]);
    sim.setFaults({ routeFeeMsat: 0 });
    const wallet = countingWallet();
    const { fetch, store } = client({ pay: wallet.pay, lookup: unknown });
    const { token: left } = await challengedToken("/api/b");
    await store.put(BASE, left);
    expect((await fetch(`${BASE}/api/c`)).status).toBe(200);
    expect(wallet.payments).toBe(1);
    // The one the wallet could not say of is still there, for whoever can.
    expect((await store.get(BASE)).map((t) => t.paymentInDoubt ?? false).sort()).toEqual([false, true]);
  });

  it("an error from a node stopping mid-payment, and no lookup possible just then: the refusal is not believed, the token stays in doubt and is completed once the node answers", async () => {
    const wallet = countingWallet();
    const { fetch, store } = client(wallet);
    sim.setFaults({ lostPaymentAnswer: "error" });
    // TrackPaymentV2 unavailable for now: the node is restarting.
    sim.setFaults({ failure: "unavailable", paths: ["/v2/router/track"] });
    await expect(fetch(`${BASE}/api/a`)).rejects.toMatchObject({ message: expect.stringContaining("server is shutting down") });
    expect(await only(store)).toMatchObject({ paymentInDoubt: true });
    await expect(fetch(`${BASE}/api/b`)).rejects.toMatchObject({ code: "payment_failed" });
    expect(wallet.payments).toBe(2);
    sim.setFaults({ lostPaymentAnswer: null, failure: null, paths: [] });
    expect((await fetch(`${BASE}/api/c`)).status).toBe(200);
    expect(wallet.payments).toBe(2);
    // Both payments went through: both tokens completed, none in doubt.
    expect((await store.get(BASE)).map((t) => t.paymentInDoubt ?? false)).toEqual([false, false]);
  });

  it("a wallet that cannot look payments up keeps none in doubt (as before); a refusal that paid nothing keeps none either", async () => {
    const blind = client(countingWallet({ lookup: false }));
    sim.setFaults({ lostPaymentAnswer: "settled" });
    await expect(blind.fetch(`${BASE}/api/a`)).rejects.toBeInstanceOf(L402Error);
    expect(await blind.store.get(BASE)).toEqual([]);
    sim.setFaults({ lostPaymentAnswer: null, routeFeeMsat: 50_000 });
    const refused = client(countingWallet());
    await expect(refused.fetch(`${BASE}/api/b`)).rejects.toMatchObject({ code: "payment_failed", unpaid: true });
    expect(await refused.store.get(BASE)).toEqual([]);
  });
});

describe("a request aborted while it waits its turn to buy", () => {
  it("pays nothing once its turn comes (a cancelled MCP call); one still wanted, sharing the purchase, pays once", async () => {
    const wallet = countingWallet();
    const { fetch } = client(wallet);
    // The first purchase at the origin takes 300 ms to reach the node; the others wait their turn.
    sim.setFaults({ paths: ["/v2/router/send"], latencyMs: 300 });
    const first = fetch(`${BASE}/api/first`);
    await until(() => wallet.payments === 1);
    const cancelled = new AbortController();
    const waiting = fetch(`${BASE}/sized/cancelled?size=large`, { signal: cancelled.signal }).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 50));
    cancelled.abort();
    expect((await first).status).toBe(200);
    expect(await waiting).toMatchObject({ name: "AbortError" });
    expect(wallet.payments).toBe(1);
    // Two requests sharing one purchase, waiting behind another, one of them aborted meanwhile: the other's is made.
    const ahead = fetch(`${BASE}/credit/ahead`);
    await until(() => wallet.payments === 2);
    const gone = new AbortController();
    // (The app's own request() does not watch the signal: only the purchase does here.)
    const left = fetch(`${BASE}/sized/left`, { signal: gone.signal }).catch((error: unknown) => error);
    const kept = fetch(`${BASE}/sized/kept`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    gone.abort();
    expect((await ahead).status).toBe(200);
    expect((await kept).status).toBe(200);
    await left;
    expect(wallet.payments).toBe(3);
  });
});

describe("a top-up whose payment is in doubt", () => {
  /** A balance token with 1 sat left: its next request is refused short, with a top-up offer. */
  async function shortBalance(wallet: Wallet) {
    const { fetch, store, ledger } = client(wallet);
    for (const path of ["/credit/a", "/credit/b"]) expect((await fetch(`${BASE}${path}`)).status).toBe(200);
    return { fetch, store, ledger };
  }

  it("its answer lost after it went through: kept in doubt on its token, then sent once and credited, never paid twice", async () => {
    const wallet = countingWallet();
    const { fetch, store } = await shortBalance(wallet);
    sim.setFaults({ lostPaymentAnswer: "settled" });
    await expect(fetch(`${BASE}/credit/c`)).rejects.toBeInstanceOf(L402Error);
    const doubted = await only(store);
    expect(doubted.topUpInDoubt).toMatchObject({ paidMsat: "5000", creditMsat: "5000" });
    expect(doubted.paidMsat).toBe("5000");
    sim.setFaults({ lostPaymentAnswer: null });
    const answer = await fetch(`${BASE}/credit/d`);
    expect(answer.status).toBe(200);
    // 5 + 5 sats bought, 3 requests at 2 sats served.
    expect(answer.headers.get("x-l402-balance")).toBe("4000");
    expect(wallet.payments).toBe(2);
    const credited = await only(store);
    expect(credited).toMatchObject({ paidMsat: "10000", creditMsat: "10000", topUps: 1 });
    expect(credited.topUpInDoubt).toBeUndefined();
    expect(credited.pendingTopUp).toBeUndefined();
  });

  it("the wallet unable to answer just then: nothing more is paid, the top-up stays in doubt, and is credited once it answers", async () => {
    const wallet = countingWallet();
    const { fetch, store } = await shortBalance(wallet);
    sim.setFaults({ lostPaymentAnswer: "settled" });
    await expect(fetch(`${BASE}/credit/c`)).rejects.toBeInstanceOf(L402Error);
    sim.setFaults({ lostPaymentAnswer: null, failure: "unavailable", paths: ["/v2/router/track"] });
    await expect(fetch(`${BASE}/credit/d`)).rejects.toMatchObject({ code: "network", message: expect.stringContaining("nothing more is paid") });
    expect(wallet.payments).toBe(2);
    expect((await only(store)).topUpInDoubt).toBeDefined();
    sim.setFaults({ failure: null, paths: [] });
    const answer = await fetch(`${BASE}/credit/e`);
    expect(answer.headers.get("x-l402-balance")).toBe("4000");
    expect(wallet.payments).toBe(2);
  });

  it("held in flight: nothing more is paid while it is; failed, it is forgotten (and uncounted) and a top-up paid anew", async () => {
    const wallet = countingWallet();
    const { fetch, store, ledger } = await shortBalance(wallet);
    sim.setFaults({ lostPaymentAnswer: "in_flight" });
    await expect(fetch(`${BASE}/credit/c`)).rejects.toBeInstanceOf(L402Error);
    sim.setFaults({ lostPaymentAnswer: null });
    await expect(fetch(`${BASE}/credit/d`)).rejects.toMatchObject({ code: "payment_failed", message: expect.stringContaining("is still in flight") });
    expect(wallet.payments).toBe(2);
    await endHeld("fail");
    const answer = await fetch(`${BASE}/credit/e`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get("x-l402-balance")).toBe("4000");
    expect(wallet.payments).toBe(3);
    expect(await only(store)).toMatchObject({ paidMsat: "10000", creditMsat: "10000", topUps: 1 });
    // The token and the top-up that went through; not the one that failed.
    expect(await counted(ledger)).toBe(10_000n);
  });
});

describe("lndWallet.lookup (TrackPaymentV2)", () => {
  it("says paid with the preimage, pending while in flight, unpaid for a payment that failed or was never made", async () => {
    const { lookup } = lndWallet({ url: sim.url, macaroonHex: sim.adminMacaroonHex, feeLimitSats: 10, timeoutSeconds: 5 });
    if (lookup === undefined) throw new Error("lndWallet looks payments up");
    const hashOf = (invoice: string) => {
      const read = readInvoice(invoice);
      if (!read.ok) throw new Error(read.detail);
      return read.value.paymentHash;
    };
    const paid = await challengedToken("/api/p");
    const sent = await payInvoice({ url: sim.url, macaroonHex: sim.adminMacaroonHex }, paid.invoice);
    const found = await lookup(hashOf(paid.invoice));
    expect(found.status === "paid" && toHex(found.preimage)).toBe(sent.preimageHex);
    expect(await lookup("ab".repeat(32))).toEqual({ status: "unpaid" });
    sim.setFaults({ lostPaymentAnswer: "in_flight" });
    const held = await challengedToken("/api/q");
    await payInvoice({ url: sim.url, macaroonHex: sim.adminMacaroonHex }, held.invoice).catch(() => undefined);
    sim.setFaults({ lostPaymentAnswer: null });
    expect(await lookup(hashOf(held.invoice))).toEqual({ status: "pending" });
    // As LND: a payment in flight is not sent again.
    expect((await payInvoice({ url: sim.url, macaroonHex: sim.adminMacaroonHex }, held.invoice)).error?.message).toBe("payment is in transition");
    await endHeld("fail");
    expect(await lookup(hashOf(held.invoice))).toEqual({ status: "unpaid" });
    // A macaroon that may not read payments never will: unknown, not unpaid.
    const invoicesOnly = lndWallet({ url: sim.url, macaroonHex: sim.invoiceMacaroonHex, feeLimitSats: 10, timeoutSeconds: 5 });
    expect(await invoicesOnly.lookup?.(hashOf(paid.invoice))).toEqual({ status: "unknown" });
    // A node that cannot answer now: no answer at all.
    sim.setFaults({ failure: "unavailable", paths: ["/v2/router/track"] });
    await expect(lookup(hashOf(paid.invoice))).rejects.toMatchObject({ code: "network" });
  });
});
