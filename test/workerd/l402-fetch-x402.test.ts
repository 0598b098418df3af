import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { decodePaymentResponseHeader } from "@x402/core/http";
import { describe, expect, it } from "vitest";
import { createL402Fetch, lndWallet, memoryStore, readOffer, type Wallet } from "../../src/client/index.ts";
import { createWorkerApp } from "../../src/worker/app.ts";
import { encodeHeaderJson, type PaymentRequired } from "../../src/x402/index.ts";
import { originHits, originUrl, sim, uniquePath } from "./support/paywall-client.ts";

/**
 * l402Fetch paying x402's Lightning entry through the template Worker in
 * workerd, the LND simulator as the paywall's node and the wallet. The
 * services are this file's own (L402_SERVICES), and so is the invoices' memo,
 * so the node's invoices can be counted.
 */
const MEMO = `l402-fetch-x402-${crypto.randomUUID()}`;
const services = () => [
  { name: "xonly", match: ["/xonly/*"], price_sats: 3, schemes: ["x402"], origin: { url: originUrl() } },
  { name: "xdear", match: ["/xdear/*"], price_sats: 50, schemes: ["x402"], origin: { url: originUrl() } },
  { name: "xboth", match: ["/xboth/*"], price_sats: 2, timeout: 3600, schemes: ["l402", "x402"], origin: { url: originUrl() } },
  // A payment good for 5 requests: presented again, it is taken again.
  { name: "xcount", match: ["/xcount/*"], price_sats: 3, uses: 5, schemes: ["x402"], origin: { url: originUrl() } },
];

const app = createWorkerApp();
let x402Env: object | undefined;

/** The Worker with this file's services, as the client's fetch. */
async function worker(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  x402Env ??= { ...env, L402_SERVICES: JSON.stringify(services()), L402_MEMO: `${MEMO} {service}` };
  const ctx = createExecutionContext();
  const response = await app.fetch(new Request(input, init), x402Env, ctx);
  const body = await response.arrayBuffer();
  await waitOnExecutionContext(ctx);
  return new Response(body, response);
}

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

/** This file's invoices the node settled, by service. */
async function settled(service: string): Promise<number> {
  const response = await fetch(`${sim().url}/v1/invoices?num_max_invoices=100000`, { headers: { "Grpc-Metadata-macaroon": sim().adminMacaroonHex } });
  const { invoices } = (await response.json()) as { invoices: { memo: string; state: string }[] };
  return invoices.filter((invoice) => invoice.memo === `${MEMO} ${service}` && invoice.state === "SETTLED").length;
}

/**
 * The Worker as a client's fetch whose first sending of a paid x402 payment
 * fails as undici's would: never sent (no cause), sent and its answer lost (a
 * socket closed), or no connection made (refused).
 */
function failingOnce(failure: "unsent" | "lost" | "refused" | "redirected, then refused" | "redirected nowhere") {
  let first = true;
  let redirected = false;
  return async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    if (!first || !new Headers(init?.headers).has("payment-signature")) return worker(input, init);
    if (failure === "redirected nowhere") {
      // Served, then sent on to what is no http(s) URL: a failure sending again would meet again.
      await worker(input, init);
      return new Response(null, { status: 302, headers: { location: "file:///etc/passwd" } });
    }
    if (failure === "redirected, then refused" && !redirected) {
      // Served, then sent on (307) to a request whose connection is refused.
      redirected = true;
      await worker(input, init);
      return new Response(null, { status: 307, headers: { location: "/xcount/next" } });
    }
    first = false;
    if (failure === "lost") await worker(input, init);
    const code = failure === "lost" ? "UND_ERR_SOCKET" : failure === "unsent" ? undefined : "ECONNREFUSED";
    throw new TypeError("fetch failed", code === undefined ? {} : { cause: Object.assign(new Error(code), { code }) });
  };
}

describe("l402Fetch and x402's Lightning entry", () => {
  it("pays an x402-only service: one request bought (origin reached once, one invoice settled), the receipt read, nothing kept", async () => {
    const wallet = countingWallet();
    const store = memoryStore();
    const fetch = createL402Fetch({ wallet, maxCostSats: 10, store, fetch: worker });
    const path = uniquePath("/xonly/pay");
    const answer = await fetch(`https://paywall.test${path}`, { method: "POST", body: "hello" });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ method: "POST", path: path, bodyBytes: 5 });
    const receipt = decodePaymentResponseHeader(answer.headers.get("payment-response") ?? "");
    expect(receipt).toMatchObject({ success: true, transaction: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(wallet.payments).toBe(1);
    expect(await originHits(path)).toBe(1);
    expect(await settled("xonly")).toBe(1);
    expect(await store.keys()).toEqual([]);
    // A payment buys one request: the next is paid again.
    expect((await fetch(`https://paywall.test${uniquePath("/xonly/again")}`)).status).toBe(200);
    expect(wallet.payments).toBe(2);
    expect(await settled("xonly")).toBe(2);
  });

  it("refuses an entry priced above the budget, and one beyond a spend window: nothing paid, the origin never reached", async () => {
    const wallet = countingWallet();
    const path = uniquePath("/xdear/refused");
    await expect(createL402Fetch({ wallet, maxCostSats: 10, fetch: worker })(`https://paywall.test${path}`)).rejects.toMatchObject({ code: "over_budget", message: "the price is 50 sats, above the limit of 10" });
    const windowed = createL402Fetch({ wallet, maxCostSats: 100, limits: { perHourSats: 4 }, fetch: worker });
    expect((await windowed(`https://paywall.test${uniquePath("/xonly/window")}`)).status).toBe(200);
    await expect(windowed(`https://paywall.test${path}`)).rejects.toMatchObject({ code: "over_window", message: expect.stringMatching(/per-hour window/) });
    expect(wallet.payments).toBe(1);
    expect(await originHits(path)).toBe(0);
    expect(await settled("xdear")).toBe(0);
  });

  it("prefers L402 where both are offered over one invoice (its token is reused); a client limited to x402 pays each request", async () => {
    const wallet = countingWallet();
    const store = memoryStore();
    const fetch = createL402Fetch({ wallet, maxCostSats: 10, store, fetch: worker });
    expect((await fetch(`https://paywall.test${uniquePath("/xboth/a")}`)).status).toBe(200);
    expect((await fetch(`https://paywall.test${uniquePath("/xboth/b")}`)).status).toBe(200);
    expect(wallet.payments).toBe(1);
    expect((await store.get("https://paywall.test")).map((t) => t.services)).toEqual([["xboth"]]);

    const x402Only = countingWallet();
    const x402Fetch = createL402Fetch({ wallet: x402Only, maxCostSats: 10, schemes: ["x402"], fetch: worker });
    const answers = [await x402Fetch(`https://paywall.test${uniquePath("/xboth/c")}`), await x402Fetch(`https://paywall.test${uniquePath("/xboth/d")}`)];
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    expect(answers.every((a) => a.headers.has("payment-response"))).toBe(true);
    expect(x402Only.payments).toBe(2);
  });

  it("refuses an entry whose amount is not its invoice's, or that is not Lightning: paying would buy nothing", async () => {
    const genuine = await worker(`https://paywall.test${uniquePath("/xonly/offer")}`);
    const offer = readOffer(genuine);
    expect(offer).toMatchObject({ scheme: "x402", priceMsat: 3000n, services: [] });
    const required = JSON.parse(atob(genuine.headers.get("payment-required") ?? "")) as PaymentRequired;
    const entry = required.accepts[0];
    if (entry === undefined) throw new Error("no entry");
    const forged = (changed: object) => new Response(null, { status: 402, headers: { "PAYMENT-REQUIRED": encodeHeaderJson({ ...required, accepts: [{ ...entry, ...changed }] }) } });
    expect(() => readOffer(forged({ amount: "1" }))).toThrow(/x402 entry's amount is not its invoice's/);
    expect(() => readOffer(forged({ extra: { ...entry.extra, paymentMethod: "evm" } }))).toThrow(/no usable .*x402/);
    expect(() => readOffer(new Response(null, { status: 402, headers: { "PAYMENT-REQUIRED": "not base64 json" } }))).toThrow(/PAYMENT-REQUIRED/);
  });

  it.each([
    ["never reaches the Worker", false],
    ["reaches it, its answer lost", true],
  ] as const)("a paid GET whose sending fails (%s) is sent once more: served where it never arrived; where it did, never taken twice, and the failure is the answer", async (_case, arrives) => {
    const wallet = countingWallet();
    const fetch = createL402Fetch({ wallet, maxCostSats: 10, fetch: failingOnce(arrives ? "lost" : "unsent") });
    const path = uniquePath("/xonly/flaky");
    const before = await settled("xonly");
    const answer = fetch(`https://paywall.test${path}`);
    if (arrives) await expect(answer).rejects.toThrow("fetch failed");
    else {
      const served = await answer;
      expect(served.status).toBe(200);
      expect(served.headers.has("payment-response")).toBe(true);
    }
    expect(wallet.payments).toBe(1);
    expect(await settled("xonly")).toBe(before + 1);
    expect(await originHits(path)).toBe(1);
  });

  it("a paid GET served and redirected to what is no http(s) URL is not sent again (it was served; the same redirect would come): the failure is the answer", async () => {
    const wallet = countingWallet();
    const failing = failingOnce("redirected nowhere");
    let sentPaid = 0;
    const counting = async (input: RequestInfo | URL, init?: RequestInit) => {
      if (new Headers(init?.headers).has("payment-signature")) sentPaid++;
      return failing(input, init);
    };
    const fetch = createL402Fetch({ wallet, maxCostSats: 10, fetch: counting });
    const path = uniquePath("/xonly/nowhere");
    await expect(fetch(`https://paywall.test${path}`)).rejects.toThrow('redirected to "file:///etc/passwd", which is not an http(s) URL');
    expect(wallet.payments).toBe(1);
    expect(sentPaid).toBe(1);
    expect(await originHits(path)).toBe(1);
  });

  it.each([
    ["its answer lost: not sent again (it would be taken again), the failure is the answer", "lost"],
    ["no connection made: sent again, served once", "refused"],
    ["served and redirected, no connection made for the next: not sent again", "redirected, then refused"],
  ] as const)("a POST paid on a service sold by uses, %s", async (_case, failure) => {
    const wallet = countingWallet();
    const fetch = createL402Fetch({ wallet, maxCostSats: 10, fetch: failingOnce(failure) });
    const path = uniquePath("/xcount/post");
    const answer = fetch(`https://paywall.test${path}`, { method: "POST", body: "do it once" });
    if (failure === "refused") expect((await answer).status).toBe(200);
    else await expect(answer).rejects.toThrow("fetch failed");
    expect(wallet.payments).toBe(1);
    expect(await originHits(path)).toBe(1);
  });

  /**
   * A POST whose caller left while its wallet paid: the payment held until the
   * caller has gone, then made; returned once the client has handled it (a
   * macrotask later than its microtasks).
   */
  async function paidAfterCallerLeft(options: { readonly store?: ReturnType<typeof memoryStore> }, path: string) {
    const paying = countingWallet();
    let release = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    let asked = 0;
    const wallet = { pay: async (invoice: string, limits: { maxFeeMsat: bigint }) => (asked++, await gate, paying.pay(invoice, limits)) };
    let paid = () => {};
    const done = new Promise<void>((resolve) => (paid = resolve));
    const fetch = createL402Fetch({ wallet, maxCostSats: 10, ...options, fetch: worker, onPayment: (event) => event.phase === "paid" && paid() });
    const url = `https://paywall.test${uniquePath(path)}`;
    const abort = new AbortController();
    const left = fetch(url, { method: "POST", body: "once", signal: abort.signal });
    await expect.poll(() => asked).toBe(1);
    abort.abort(new Error("the caller's time is up"));
    await expect(left).rejects.toThrow("the caller's time is up");
    release();
    await done;
    await new Promise((resolve) => setTimeout(resolve, 0));
    return { paying, fetch, url };
  }

  it("a payment made after its caller left (a timeout, a cancelled call) is sent by the same request's next call: paid once, served once; another body pays its own", async () => {
    const { paying, fetch, url } = await paidAfterCallerLeft({}, "/xonly/left");
    const other = await fetch(url, { method: "POST", body: "another" });
    expect(other.status).toBe(200);
    expect(paying.payments).toBe(2);
    const retried = await fetch(url, { method: "POST", body: "once" });
    expect(retried.status).toBe(200);
    expect(await retried.json()).toMatchObject({ method: "POST", bodyBytes: 4 });
    expect(paying.payments).toBe(2);
    expect(await originHits(new URL(url).pathname)).toBe(2);
    // Sent once: the next call pays again.
    expect((await fetch(url, { method: "POST", body: "once" })).status).toBe(200);
    expect(paying.payments).toBe(3);
  });

  it("a payment made after its caller left is sent by another client of the same store (the MCP wallet's, one per budget), not one of another store", async () => {
    const store = memoryStore();
    const { paying, url } = await paidAfterCallerLeft({ store }, "/xonly/shared");
    const elsewhere = createL402Fetch({ wallet: paying, maxCostSats: 20, fetch: worker });
    expect((await elsewhere(url, { method: "POST", body: "once" })).status).toBe(200);
    expect(paying.payments).toBe(2);
    const sameStore = createL402Fetch({ wallet: paying, maxCostSats: 20, store, fetch: worker });
    expect((await sameStore(url, { method: "POST", body: "once" })).status).toBe(200);
    expect(paying.payments).toBe(2);
    expect(await originHits(new URL(url).pathname)).toBe(2);
  });

  it.each([
    ["a GET that reached it, its answer lost, refused as spent when sent again", "lost", "GET", "/xonly/answered"],
    ["a POST served and redirected, no connection made for the next", "redirected, then refused", "POST", "/xcount/answered"],
  ] as const)("a paid credential that was answered (%s) is not kept: the next call pays afresh, sending no credential first", async (_case, failure, method, path) => {
    const wallet = countingWallet();
    const failing = failingOnce(failure);
    let sentPaid = 0;
    const counting = async (input: RequestInfo | URL, init?: RequestInit) => {
      if (new Headers(init?.headers).has("payment-signature")) sentPaid++;
      return failing(input, init);
    };
    const fetch = createL402Fetch({ wallet, maxCostSats: 10, fetch: counting });
    const url = `https://paywall.test${uniquePath(path)}`;
    const init = method === "POST" ? { method, body: "once" } : {};
    await expect(fetch(url, init)).rejects.toThrow();
    const before = sentPaid;
    expect((await fetch(url, init)).status).toBe(200);
    expect(sentPaid - before).toBe(1);
    expect(wallet.payments).toBe(2);
  });

  it("a paid POST whose sending failed before it was sent is sent by the same request's next call: paid once, served once", async () => {
    const wallet = countingWallet();
    const fetch = createL402Fetch({ wallet, maxCostSats: 10, fetch: failingOnce("unsent") });
    const path = uniquePath("/xonly/unsent");
    await expect(fetch(`https://paywall.test${path}`, { method: "POST", body: "do it" })).rejects.toThrow("fetch failed");
    expect(await originHits(path)).toBe(0);
    expect((await fetch(`https://paywall.test${path}`, { method: "POST", body: "do it" })).status).toBe(200);
    expect(wallet.payments).toBe(1);
    expect(await originHits(path)).toBe(1);
  });
});
