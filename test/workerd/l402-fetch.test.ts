import { env, SELF } from "cloudflare:test";
import { sha256 } from "@noble/hashes/sha2.js";
import { describe, expect, it } from "vitest";
import { createL402Fetch, L402Error, lndWallet, memoryStore, readOffer, type StoredToken, type Wallet } from "../../src/client/index.ts";
import { encodeMacaroon } from "../../src/macaroon/index.ts";
import { createKeyring, formatChallenge, mint, serviceCaveats, toBase64 } from "../../src/l402/index.ts";
import { BASE, buyToken, callWithEnv, originUrl, sim } from "./support/paywall-client.ts";

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

/** The client as another Worker would use it: its fetch reaches the paywall Worker. */
const clientWith = (wallet: Wallet, maxCostSats = 100, store = memoryStore()) =>
  ({ store, fetch: createL402Fetch({ wallet, maxCostSats, store, fetch: (input, init) => SELF.fetch(input as Request | string, init) }) });

describe("l402Fetch inside a Worker, against the paywall", () => {
  it("pays a 402 once, retries, and reuses the token for the host", async () => {
    const wallet = countingWallet();
    const { fetch, store } = clientWith(wallet);
    const first = await fetch(`${BASE}/api/one`);
    expect(first.status).toBe(200);
    expect(((await first.json()) as { path: string }).path).toBe("/one");
    const second = await fetch(`${BASE}/api/two`, { method: "POST", body: "payload" });
    expect(second.status).toBe(200);
    expect(((await second.json()) as { bodyBytes: number }).bodyBytes).toBe(7);
    expect(wallet.payments).toBe(1);
    expect((await store.get(BASE)).map((t) => t.services)).toEqual([["api"]]);
  });

  it("refuses a price above the budget and pays nothing", async () => {
    const wallet = countingWallet();
    const { fetch, store } = clientWith(wallet, 9);
    await expect(fetch(`${BASE}/api/dear`)).rejects.toMatchObject({ name: "L402Error", code: "over_budget" });
    expect(wallet.payments).toBe(0);
    expect(await store.keys()).toEqual([]);
  });

  it("drops a token the server rejects and pays again, once", async () => {
    const wallet = countingWallet();
    const store = memoryStore();
    const real = await buyToken("/api/seed");
    const broken: StoredToken = { macaroon: real.macaroonBase64, preimage: "00".repeat(32), services: ["api"], paidMsat: "10000", createdAt: 0 };
    await store.put(BASE, broken);
    const { fetch } = clientWith(wallet, 100, store);
    const response = await fetch(`${BASE}/api/recover`);
    expect(response.status).toBe(200);
    expect(wallet.payments).toBe(1);
    const kept = await store.get(BASE);
    expect(kept).toHaveLength(1);
    expect(kept[0]?.preimage).not.toBe(broken.preimage);
  });

  it("concurrent requests to one service pay once", async () => {
    const wallet = countingWallet();
    const { fetch } = clientWith(wallet);
    const responses = await Promise.all(Array.from({ length: 8 }, (_, i) => fetch(`${BASE}/api/race/${i}`)));
    expect(responses.map((r) => r.status)).toEqual(Array(8).fill(200));
    expect(wallet.payments).toBe(1);
  });

  it("clients sharing one memory store (each with its own budget) pay once between them", async () => {
    const wallet = countingWallet();
    const store = memoryStore();
    const clients = [clientWith(wallet, 100, store), clientWith(wallet, 50, store)];
    const responses = await Promise.all(clients.flatMap(({ fetch }, c) => Array.from({ length: 3 }, (_, i) => fetch(`${BASE}/api/shared-store/${c}/${i}`))));
    expect(responses.map((r) => r.status)).toEqual(Array(6).fill(200));
    expect(wallet.payments).toBe(1);
    expect(await store.get(BASE)).toHaveLength(1);
  });

  it("keeps one token per service on a host with several, and picks the right one", async () => {
    const wallet = countingWallet();
    const { fetch, store } = clientWith(wallet);
    expect((await fetch(`${BASE}/api/a`)).status).toBe(200);
    expect((await fetch(`${BASE}/other/b`)).status).toBe(200);
    expect((await fetch(`${BASE}/api/c`)).status).toBe(200);
    expect((await fetch(`${BASE}/other/d`)).status).toBe(200);
    expect(wallet.payments).toBe(2);
    expect((await store.get(BASE)).map((t) => t.services[0]).sort()).toEqual(["api", "other"]);
  });

  it("what it learns of one origin's paths it never applies to another's: a token held is sent at once", async () => {
    const hosted = { ...env, L402_SERVICES: JSON.stringify([
      { name: "x-here", match: ["paywall.test/x/*"], price_sats: 1, origin: { url: originUrl() } },
      { name: "x-there", match: ["mirror.test/x/*"], price_sats: 1, origin: { url: originUrl() } },
    ]) };
    let calls = 0;
    const wallet = countingWallet();
    const fetch = createL402Fetch({ wallet, maxCostSats: 100, fetch: (input, init) => (calls++, callWithEnv(hosted, String(input), init)) });
    expect((await fetch("https://paywall.test/x/1")).status).toBe(200);
    expect((await fetch("https://mirror.test/x/1")).status).toBe(200);
    calls = 0;
    expect((await fetch("https://paywall.test/x/2")).status).toBe(200);
    // Its own token, sent with the request: no unpaid round trip first.
    expect(calls).toBe(1);
    expect(wallet.payments).toBe(2);
  });

  it("a failed payment is a payment_failed error", async () => {
    const failing: Wallet = lndWallet({ url: sim().url, macaroonHex: sim().invoiceMacaroonHex, feeLimitSats: 10, timeoutSeconds: 30 });
    const { fetch } = clientWith(failing);
    await expect(fetch(`${BASE}/api/unpaid`)).rejects.toMatchObject({ code: "payment_failed", message: expect.stringMatching(/permission denied/) });
  });
});

describe("reading a challenge before paying it", () => {
  it("refuses a macaroon that is not bound to the invoice: paying would buy nothing", async () => {
    const genuine = await SELF.fetch(`${BASE}/api/offer`);
    const offer = readOffer(genuine);
    expect(offer).toMatchObject({ priceMsat: 10_000n, services: ["api"] });
    const unrelated = mint({ keyring: createKeyring(new Uint8Array(32).fill(1)), paymentHash: sha256(new Uint8Array(32)), caveats: serviceCaveats({ service: "api" }) });
    const [line] = formatChallenge(encodeMacaroon(unrelated.macaroon), offer.invoice);
    const forged = new Response(null, { status: 402, headers: { "WWW-Authenticate": line } });
    expect(() => readOffer(forged)).toThrow(L402Error);
    expect(() => readOffer(forged)).toThrow(/not bound to its invoice/);
    expect(() => readOffer(new Response(null, { status: 402, headers: { "WWW-Authenticate": `L402 macaroon="${toBase64(encodeMacaroon(unrelated.macaroon))}", invoice="lnbcrt1nope"` } }))).toThrow(/does not decode/);
    expect(() => readOffer(new Response(null, { status: 402 }))).toThrow(/no usable L402, Payment \(lightning charge\) or x402 \(Lightning entry\) challenge/);
  });
});

describe("l402Fetch and the Payment scheme", () => {
  it("pays a Payment charge where it is the only offer: one request bought, nothing kept", async () => {
    const wallet = countingWallet();
    const { fetch, store } = clientWith(wallet);
    const answer = await fetch(`${BASE}/charge/one`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get("payment-receipt")).toMatch(/^[\w-]+$/);
    expect(wallet.payments).toBe(1);
    expect(await store.keys()).toEqual([]);
    // The next request is another charge.
    expect((await fetch(`${BASE}/charge/two`)).status).toBe(200);
    expect(wallet.payments).toBe(2);
  });

  it("prefers L402 where both are offered (its token is reused); a client limited to Payment pays each request", async () => {
    const wallet = countingWallet();
    const { fetch, store } = clientWith(wallet);
    expect((await fetch(`${BASE}/dual/a`)).status).toBe(200);
    expect((await fetch(`${BASE}/dual/b`)).status).toBe(200);
    expect(wallet.payments).toBe(1);
    expect((await store.get(BASE)).map((t) => t.services)).toEqual([["dual"]]);

    const paymentOnly = countingWallet();
    const chargeClient = createL402Fetch({ wallet: paymentOnly, maxCostSats: 100, schemes: ["payment"], fetch: (input, init) => SELF.fetch(input as Request | string, init) });
    const answers = [await chargeClient(`${BASE}/dual/c`), await chargeClient(`${BASE}/dual/d`)];
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    expect(answers.every((a) => a.headers.has("payment-receipt"))).toBe(true);
    expect(paymentOnly.payments).toBe(2);
  });

  it("keeps the budget for charges too, and refuses a charge whose request does not match its invoice", async () => {
    const wallet = countingWallet();
    await expect(clientWith(wallet, 1).fetch(`${BASE}/charge/dear`)).rejects.toMatchObject({ code: "over_budget" });
    expect(wallet.payments).toBe(0);
    const genuine = await SELF.fetch(`${BASE}/charge/offer`);
    const header = genuine.headers.get("www-authenticate") ?? "";
    await genuine.body?.cancel();
    const request = /request="([^"]+)"/.exec(header)?.[1] ?? "";
    const decoded = JSON.parse(atob(request.replace(/-/g, "+").replace(/_/g, "/"))) as { amount: string };
    const cheaper = btoa(JSON.stringify({ ...decoded, amount: "1" })).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    const forged = new Response(null, { status: 402, headers: { "WWW-Authenticate": header.replace(request, cheaper) } });
    expect(() => readOffer(forged)).toThrow(/amount or payment hash is not its invoice's/);
    // Kept no longer than the challenge's expires, where that comes before the invoice's end.
    const invoiceEnds = readOffer(new Response(null, { status: 402, headers: { "WWW-Authenticate": header } })).expiresAt;
    const sooner = new Date((invoiceEnds - 30) * 1000).toISOString();
    const expiring = header.replace(/expires="[^"]+"/, `expires="${sooner}"`);
    expect(expiring).not.toBe(header);
    expect(readOffer(new Response(null, { status: 402, headers: { "WWW-Authenticate": expiring } })).expiresAt).toBe(invoiceEnds - 30);
  });
});
