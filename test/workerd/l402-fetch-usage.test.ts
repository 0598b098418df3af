import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createL402Fetch, lndWallet, memoryStore, type StoredToken, type TokenStore, type Wallet } from "../../src/client/index.ts";
import { callWithEnv, originUrl, payChallenge, sim } from "./support/paywall-client.ts";

/**
 * l402Fetch against the Worker's usage-priced services (issue 20): a prepaid
 * balance topped up for the same token, a price that depends on the request,
 * a token bound to one request. The Worker runs with these services and its
 * real Durable Objects; the wallet pays through the LND simulator.
 */
const BASE = "https://usage.test";

const usageServices = () => [
  // 2 sats a request; a 5-sat token runs out after two requests.
  { name: "credit", match: ["/credit/*"], price_msat: 2000, balance: { amounts_sats: [5, 20], bonus_sats: { "20": 2 } }, origin: { url: originUrl() } },
  { name: "sized", match: ["/sized/*"], price_sats: 1, price_rules: [{ query: { size: "large" }, price_sats: 5 }], timeout: 3600, origin: { url: originUrl() } },
  { name: "bound", match: ["/bound/*"], price_sats: 1, bind_request: true, origin: { url: originUrl() } },
];

/** The Worker with the usage services; its invoices' memos carry `marker`, so a test can find the ones it caused. */
const usageWorker = (marker: string) => {
  const workerEnv = { ...env, L402_SERVICES: JSON.stringify(usageServices()), L402_MEMO: `${marker} {service}` };
  return (input: Request | string | URL, init?: RequestInit) => callWithEnv(workerEnv, String(input instanceof Request ? input.url : input), init);
};

/** The real LND wallet (paying through the simulator), counting its payments. */
function countingWallet(): Wallet & { payments: number } {
  const wallet = lndWallet({ url: sim().url, macaroonHex: sim().adminMacaroonHex, feeLimitSats: 10, timeoutSeconds: 30 });
  const counted = {
    payments: 0,
    pay: (invoice: string, limits: { maxFeeMsat: bigint }) => {
      counted.payments++;
      return wallet.pay(invoice, limits);
    },
  };
  return counted;
}

/** The invoices the Worker issued under `marker`, as the node sees them: amount and state. */
async function invoicesMarked(marker: string): Promise<{ sats: number; state: string }[]> {
  const response = await fetch(`${sim().url}/v1/invoices?num_max_invoices=100000`, { headers: { "Grpc-Metadata-macaroon": sim().adminMacaroonHex } });
  const { invoices } = (await response.json()) as { invoices: { memo: string; value: string; state: string }[] };
  return invoices.filter((invoice) => invoice.memo.startsWith(marker)).map((invoice) => ({ sats: Number(invoice.value), state: invoice.state }));
}

function setUp(maxCostSats: number, store: TokenStore = memoryStore(), options: { readonly creditSats?: number } = {}) {
  const marker = `usage-${crypto.randomUUID()}`;
  const wallet = countingWallet();
  const fetch = createL402Fetch({ wallet, maxCostSats, store, fetch: usageWorker(marker), ...options });
  return { marker, wallet, store, fetch };
}

const only = async (store: TokenStore): Promise<StoredToken> => {
  const tokens = await store.get(BASE);
  expect(tokens).toHaveLength(1);
  return tokens[0] as StoredToken;
};

/**
 * `worker` as a client's fetch that, the first time the pending top-up of the
 * store's token is sent, hands that sending to `instead`: it may fail it (throw),
 * answer it, or do something first and then `send` it on.
 */
function onFirstTopUp(store: TokenStore, worker: ReturnType<typeof usageWorker>, instead: (send: () => Promise<Response>) => Promise<Response>) {
  let first = true;
  return async (input: Request | string | URL, init?: RequestInit): Promise<Response> => {
    const pending = (await store.get(BASE))[0]?.pendingTopUp;
    if (first && pending !== undefined && new Headers(init?.headers).get("authorization") === `L402 ${pending}`) {
      first = false;
      return instead(() => worker(input, init));
    }
    return worker(input, init);
  };
}

describe("l402Fetch on a balance service", () => {
  it("pays a top-up within the budget for the same token, sends it once, keeps the token, and records the balance", async () => {
    const { marker, wallet, store, fetch } = setUp(10);
    const first = await fetch(`${BASE}/credit/a`);
    expect(first.status).toBe(200);
    expect(first.headers.get("x-l402-balance")).toBe("3000");
    const bought = await only(store);
    expect(bought).toMatchObject({ services: ["credit"], paidMsat: "5000", creditMsat: "5000", balanceMsat: "3000" });

    expect((await fetch(`${BASE}/credit/b`)).headers.get("x-l402-balance")).toBe("1000");
    expect((await only(store)).balanceMsat).toBe("1000");

    // 1000 msat left, the request costs 2000: the Worker offers a top-up of this token, the client pays it and goes on.
    const third = await fetch(`${BASE}/credit/c`);
    expect(third.status).toBe(200);
    expect(((await third.json()) as { path: string }).path).toBe("/credit/c");
    expect(third.headers.get("x-l402-balance")).toBe("4000");
    expect(wallet.payments).toBe(2);
    const kept = await only(store);
    expect(kept).toMatchObject({ macaroon: bought.macaroon, preimage: bought.preimage, paidMsat: "10000", creditMsat: "10000", topUps: 1, balanceMsat: "4000" });

    // The original token carries the credited balance on.
    const fourth = await fetch(`${BASE}/credit/d`);
    expect(fourth.status).toBe(200);
    expect(fourth.headers.get("x-l402-balance")).toBe("2000");
    expect(wallet.payments).toBe(2);
    expect(await invoicesMarked(marker)).toEqual([
      { sats: 5, state: "SETTLED" },
      { sats: 5, state: "SETTLED" },
    ]);
  });

  it.each([
    ["never reaches the Worker", false, false],
    ["reaches the Worker, its answer lost", true, false],
    ["is answered 503 by something on the way", false, true],
  ] as const)("a paid top-up whose sending fails (%s) is kept and sent by the next request: credited once, never paid again", async (_case, arrives, answered503) => {
    const marker = `usage-${crypto.randomUUID()}`;
    const wallet = countingWallet();
    const store = memoryStore();
    const flaky = onFirstTopUp(store, usageWorker(marker), async (send) => {
      if (arrives) await (await send()).body?.cancel();
      if (answered503) return new Response("upstream unavailable", { status: 503 });
      throw new TypeError("fetch failed");
    });
    const fetch = createL402Fetch({ wallet, maxCostSats: 10, store, fetch: flaky });
    expect((await fetch(`${BASE}/credit/a`)).headers.get("x-l402-balance")).toBe("3000");
    expect((await fetch(`${BASE}/credit/b`)).headers.get("x-l402-balance")).toBe("1000");
    if (answered503) expect((await fetch(`${BASE}/credit/c`)).status).toBe(503);
    else await expect(fetch(`${BASE}/credit/c`)).rejects.toThrow("fetch failed");
    expect(wallet.payments).toBe(2);
    const pending = await only(store);
    expect(pending).toMatchObject({ paidMsat: "10000", creditMsat: "10000", pendingTopUp: expect.stringMatching(/^[A-Za-z0-9+/=]+:[0-9a-f]{64}$/) });
    expect(pending.topUps).toBeUndefined();

    // Credited once in either case: 1000 left + 5000 credited, less 2000 for each request that reached the origin.
    const next = await fetch(`${BASE}/credit/d`);
    expect(next.status).toBe(200);
    expect(next.headers.get("x-l402-balance")).toBe(arrives ? "2000" : "4000");
    expect(wallet.payments).toBe(2);
    const kept = await only(store);
    expect(kept).toMatchObject({ macaroon: pending.macaroon, paidMsat: "10000", topUps: 1 });
    expect(kept.pendingTopUp).toBeUndefined();
    expect((await fetch(`${BASE}/credit/e`)).headers.get("x-l402-balance")).toBe(arrives ? "0" : "2000");
    expect(wallet.payments).toBe(2);
    // (The 402 that says topup_spent offers an invoice too, as every 402 does: left unpaid.)
    expect((await invoicesMarked(marker)).filter((invoice) => invoice.state === "SETTLED")).toEqual([
      { sats: 5, state: "SETTLED" },
      { sats: 5, state: "SETTLED" },
    ]);
  });

  it("a pending top-up stays pending until an answer says it was credited: one sent on a path of no service is sent again on the service's", async () => {
    const { wallet, store, fetch } = setUp(10);
    await fetch(`${BASE}/credit/a`);
    await fetch(`${BASE}/credit/b`);
    const worker = usageWorker(`usage-${crypto.randomUUID()}`);
    const failing = onFirstTopUp(store, worker, async () => {
      throw new TypeError("fetch failed");
    });
    const flaky = createL402Fetch({ wallet, maxCostSats: 10, store, fetch: failing });
    await expect(flaky(`${BASE}/credit/c`)).rejects.toThrow("fetch failed");
    const pending = (await only(store)).pendingTopUp;
    expect(pending).toBeDefined();
    // A new client (a new run: it has not learnt which path is whose) sends it with a request to a path no service sells.
    const fresh = createL402Fetch({ wallet, maxCostSats: 10, store, fetch: worker });
    expect((await fresh(`${BASE}/elsewhere`)).headers.has("x-l402-balance")).toBe(false);
    expect((await only(store)).pendingTopUp).toBe(pending);
    const credited = await fresh(`${BASE}/credit/d`);
    expect(credited.status).toBe(200);
    expect(credited.headers.get("x-l402-balance")).toBe("4000");
    expect(await only(store)).toMatchObject({ paidMsat: "10000", topUps: 1 });
    expect(wallet.payments).toBe(2);
  });

  it("a top-up another request sends first (it found it pending) leaves this one topup_spent: the token is sent, kept, never paid again", async () => {
    const { marker, wallet, store } = setUp(10);
    const worker = usageWorker(marker);
    const other = createL402Fetch({ wallet, maxCostSats: 10, store, fetch: worker });
    let raced = false;
    const racing = onFirstTopUp(store, worker, async (send) => {
      raced = true;
      expect((await other(`${BASE}/credit/other`)).status).toBe(200);
      return send();
    });
    const fetch = createL402Fetch({ wallet, maxCostSats: 10, store, fetch: racing });
    await fetch(`${BASE}/credit/a`);
    await fetch(`${BASE}/credit/b`);
    const topped = await fetch(`${BASE}/credit/c`);
    expect(raced).toBe(true);
    expect(topped.status).toBe(200);
    // 1000 + 5000 credited once, less 2000 for the other request and 2000 for this one.
    expect(topped.headers.get("x-l402-balance")).toBe("2000");
    expect(await only(store)).toMatchObject({ paidMsat: "10000", topUps: 1 });
    expect((await only(store)).pendingTopUp).toBeUndefined();
    expect(wallet.payments).toBe(2);
  });

  it("refuses a top-up above the budget, saying its amount and the budget, and pays nothing", async () => {
    const generous = setUp(10);
    expect((await generous.fetch(`${BASE}/credit/a`)).status).toBe(200);
    expect((await generous.fetch(`${BASE}/credit/b`)).status).toBe(200);
    const bought = await only(generous.store);

    // The same tokens, a client whose budget is below the 5-sat top-up.
    const tight = setUp(4, generous.store);
    await expect(tight.fetch(`${BASE}/credit/c`)).rejects.toMatchObject({ name: "L402Error", code: "over_budget", message: "the top-up for this token's balance is 5 sats, above the limit of 4" });
    expect(tight.wallet.payments).toBe(0);
    expect(await invoicesMarked(tight.marker)).toEqual([{ sats: 5, state: "OPEN" }]);
    // The token is kept (it still pays for cheaper requests), with the balance the refusal reported.
    expect(await only(tight.store)).toMatchObject({ macaroon: bought.macaroon, paidMsat: "5000", balanceMsat: "1000" });
    expect((await only(tight.store)).topUps).toBeUndefined();
  });

  it("never pays a top-up of a token it did not send", async () => {
    // Another client's token, its balance run short.
    const other = setUp(10);
    expect((await other.fetch(`${BASE}/credit/a`)).status).toBe(200);
    expect((await other.fetch(`${BASE}/credit/b`)).status).toBe(200);
    const { macaroon, preimage } = await only(other.store);
    // A client holding a token of its own, whose requests reach the Worker with the other token instead.
    const marker = `usage-${crypto.randomUUID()}`;
    const worker = usageWorker(marker);
    const swapping = (input: Request | string | URL, init?: RequestInit) => {
      const headers = new Headers(init?.headers);
      if (headers.has("authorization")) headers.set("Authorization", `L402 ${macaroon}:${preimage}`);
      return worker(input, { ...init, headers });
    };
    const own = setUp(10);
    expect((await own.fetch(`${BASE}/credit/mine`)).status).toBe(200);
    const wallet = countingWallet();
    const fetch = createL402Fetch({ wallet, maxCostSats: 10, store: own.store, fetch: swapping });
    await expect(fetch(`${BASE}/credit/c`)).rejects.toMatchObject({ code: "bad_challenge", message: "the 402 offers a top-up of a token this request did not send; nothing was paid" });
    expect(wallet.payments).toBe(0);
    expect(await invoicesMarked(marker)).toEqual([{ sats: 5, state: "OPEN" }]);
  });

  it("buys the credit offer the caller names (X-L402-Credit)", async () => {
    const { marker, store, fetch } = setUp(25, memoryStore(), { creditSats: 20 });
    const answer = await fetch(`${BASE}/credit/big`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get("x-l402-balance")).toBe("20000");
    expect(await only(store)).toMatchObject({ paidMsat: "20000", creditMsat: "22000", balanceMsat: "20000" });
    expect(await invoicesMarked(marker)).toEqual([{ sats: 20, state: "SETTLED" }]);
  });

  it("clients sharing one memory store, racing on a short balance, pay one top-up between them", async () => {
    const { wallet, store, fetch, marker } = setUp(10);
    expect((await fetch(`${BASE}/credit/a`)).status).toBe(200);
    expect((await fetch(`${BASE}/credit/b`)).status).toBe(200);
    // 1 sat left of 5: both requests are refused short, and one 5-sat top-up covers both.
    const other = createL402Fetch({ wallet, maxCostSats: 10, store, fetch: usageWorker(marker) });
    const answers = await Promise.all([fetch(`${BASE}/credit/c`), other(`${BASE}/credit/d`)]);
    expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
    expect(wallet.payments).toBe(2);
    const token = await only(store);
    expect(token.topUps).toBe(1);
    expect((await fetch(`${BASE}/credit/after`)).headers.get("x-l402-balance")).toBe(String(10_000 - 5 * 2000));
  });

  it("concurrent requests on a short balance send each top-up token once, and every top-up is accounted for", async () => {
    const { wallet, store, fetch } = setUp(10);
    expect((await fetch(`${BASE}/credit/a`)).status).toBe(200);
    expect((await fetch(`${BASE}/credit/b`)).status).toBe(200);
    const answers = await Promise.all(Array.from({ length: 4 }, (_, i) => fetch(`${BASE}/credit/race/${i}`)));
    // None refused: no top-up token was sent twice (that would be `topup_spent`).
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200]);
    const { topUps = 0, creditMsat } = await only(store);
    // Six requests at 2 sats need at least two 5-sat top-ups of the 5-sat token.
    expect(topUps).toBeGreaterThanOrEqual(2);
    expect(wallet.payments).toBe(1 + topUps);
    expect(creditMsat).toBe(String(5000 * (1 + topUps)));
    // One more request: what the service says is left is every credit the client paid for, less 2 sats a request.
    const next = await fetch(`${BASE}/credit/after`);
    const left = String(5000 * (1 + topUps) - 7 * 2000);
    expect(next.headers.get("x-l402-balance")).toBe(left);
    expect((await only(store)).balanceMsat).toBe(left);
  });
});

describe("l402Fetch on request-priced services", () => {
  it("buys a token at a dearer request's price instead of re-sending the cheap one, and keeps both", async () => {
    const { marker, wallet, store, fetch } = setUp(10);
    expect((await fetch(`${BASE}/sized/a`)).status).toBe(200);
    const large = await fetch(`${BASE}/sized/b?size=large`);
    expect(large.status).toBe(200);
    expect(wallet.payments).toBe(2);
    expect(await invoicesMarked(marker)).toEqual([
      { sats: 1, state: "SETTLED" },
      { sats: 5, state: "SETTLED" },
    ]);
    expect((await store.get(BASE)).map((token) => token.paidMsat).sort()).toEqual(["1000", "5000"]);
    // Either kind of request now goes through on a token held.
    expect((await fetch(`${BASE}/sized/c?size=large`)).status).toBe(200);
    expect((await fetch(`${BASE}/sized/d`)).status).toBe(200);
    expect(wallet.payments).toBe(2);
  });

  it("a dearer request beyond the budget is refused, the cheap token neither re-sent in a loop nor dropped", async () => {
    const { marker, wallet, store, fetch } = setUp(4);
    expect((await fetch(`${BASE}/sized/a`)).status).toBe(200);
    await expect(fetch(`${BASE}/sized/b?size=large`)).rejects.toMatchObject({ code: "over_budget", message: "the price is 5 sats, above the limit of 4" });
    expect(wallet.payments).toBe(1);
    expect(await invoicesMarked(marker)).toEqual([
      { sats: 1, state: "SETTLED" },
      { sats: 5, state: "OPEN" },
    ]);
    expect((await only(store)).paidMsat).toBe("1000");
  });

  it("a token bound to a request buys that request only: not kept, and one bound to another request is replaced", async () => {
    const { wallet, store, fetch } = setUp(10);
    const send = (body: string) => fetch(`${BASE}/bound/act`, { method: "POST", body });
    expect((await send("one")).status).toBe(200);
    expect((await send("two")).status).toBe(200);
    expect(wallet.payments).toBe(2);
    expect(await store.keys()).toEqual([]);

    // A bound token from elsewhere, for another request: refused (request_mismatch), dropped, and this request bought.
    const elsewhere = await payChallenge(await usageWorker("elsewhere")(`${BASE}/bound/act`, { method: "POST", body: "zero" }));
    await store.put(BASE, { macaroon: elsewhere.macaroonBase64, preimage: elsewhere.preimageHex, services: ["bound"], paidMsat: "1000", createdAt: 0 });
    const answer = await send("three");
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as { bodyBytes: number }).bodyBytes).toBe(5);
    expect(wallet.payments).toBe(3);
    expect(await store.keys()).toEqual([]);
  });

  it("the Worker binds a flat-priced service's token to the request it was bought for (bind_request)", async () => {
    const worker = usageWorker("bind");
    const token = await payChallenge(await worker(`${BASE}/bound/act`, { method: "POST", body: "zero" }));
    const again = await worker(`${BASE}/bound/act`, { method: "POST", body: "zero", headers: { Authorization: token.authorization } });
    expect(again.status).toBe(200);
    const other = await worker(`${BASE}/bound/act`, { method: "POST", body: "another", headers: { Authorization: token.authorization } });
    expect(other.status).toBe(402);
    expect(await other.json()).toMatchObject({ reason: "request_mismatch", price_sats: 1 });
  });
});
