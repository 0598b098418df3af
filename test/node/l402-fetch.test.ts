import { describe, expect, it } from "vitest";
import { encodeInvoice, fields } from "../../dev/lnd-sim/bolt11.ts";
import { refusalReason } from "../../src/client/challenge-offer.ts";
import { createL402Fetch, memoryLedger, memoryStore } from "../../src/client/index.ts";
import { readInvoice } from "../../src/lightning/index.ts";
import { formatChallenge, toBase64, toHex } from "../../src/l402/index.ts";
import { paidToken } from "../fixtures/tokens.ts";

/**
 * createL402Fetch against a hostile server (a fetch of the test's own): what
 * it cannot make the client do. The client against the real paywall:
 * test/workerd/l402-fetch*.test.ts.
 */
const BASE = "https://hostile.test";
const NODE_KEY = new Uint8Array(32).fill(1);
const invoiceFor = (paymentHash: Uint8Array, amountMsat: bigint, timestamp = Math.floor(Date.now() / 1000)) =>
  encodeInvoice({ network: "bc", amountMsat, timestamp, fields: [fields.paymentHash(paymentHash), fields.paymentSecret(new Uint8Array(32).fill(2))], privateKey: NODE_KEY });

/** A wallet paying the invoices whose preimages the test's server kept (by payment hash), counting its payments. */
function walletFor(preimages: ReadonlyMap<string, Uint8Array>) {
  let payments = 0;
  return {
    payments: () => payments,
    pay: async (invoice: string) => {
      payments++;
      const read = readInvoice(invoice);
      if (!read.ok) throw new Error(read.detail);
      return { preimage: preimages.get(read.value.paymentHash) ?? new Uint8Array(32), feeMsat: 0n };
    },
  };
}

/**
 * A call whose caller leaves while its payment is under way: the wallet pays
 * once the caller has gone, and the call rejects with the abort's reason. The
 * client, and how many payments were asked.
 */
async function paidAfterTheCallerLeft(offer: ReturnType<typeof paidToken>, seller: (url: string, init?: RequestInit) => Promise<Response>, url: string, init: RequestInit) {
  let complete: () => void = () => undefined;
  let payments = 0;
  const wallet = { pay: () => (payments++, new Promise<{ preimage: Uint8Array; feeMsat: bigint }>((resolve) => (complete = () => resolve({ preimage: offer.preimage, feeMsat: 0n })))) };
  const client = createL402Fetch({ wallet, maxCostSats: 10, fetch: seller as typeof fetch });
  const abort = new AbortController();
  const asked = client(url, { ...init, signal: abort.signal });
  await expect.poll(() => payments).toBe(1);
  abort.abort(new Error("the caller's time is up"));
  await expect(asked).rejects.toThrow("the caller's time is up");
  complete();
  // The payment's end reaches the client (its token kept) a few turns of the event loop later.
  await new Promise((resolve) => setTimeout(resolve, 10));
  return { client, payments: () => payments };
}

describe("createL402Fetch against a hostile server", () => {
  it("a top-up paid and never credited, answered with top-up offers again and again: sent again once, then the 402 is the answer (no endless loop)", async () => {
    const token = paidToken({ service: "credit", creditMsat: 5000n, validUntil: null });
    const store = memoryStore();
    await store.put(BASE, { macaroon: toBase64(token.bytes), preimage: toHex(token.preimage), services: ["credit"], paidMsat: "5000", createdAt: 0, creditMsat: "5000", pendingTopUp: `AAAA:${"00".repeat(32)}` });
    let requests = 0;
    let payments = 0;
    const hostile = async () => {
      if (++requests > 50) throw new Error(`still asking after ${requests - 1} requests`);
      const offer = paidToken({ service: "credit", creditMsat: 5000n, topupFor: toHex(token.tokenId), validUntil: null });
      const [challenge] = formatChallenge(offer.bytes, invoiceFor(offer.paymentHash, 5000n));
      return new Response("{}", { status: 402, headers: { "WWW-Authenticate": challenge ?? "", "Content-Type": "application/json" } });
    };
    const wallet = { pay: async () => (payments++, Promise.reject(new Error("a payment the test never allows"))) };
    const answer = await createL402Fetch({ wallet, maxCostSats: 100, store, fetch: hostile as typeof fetch })(`${BASE}/credit/a`);
    expect(answer.status).toBe(402);
    expect(requests).toBeLessThanOrEqual(3);
    expect(payments).toBe(0);
  });

  it("a server refusing every held token goes through 8 rounds of 402s at most, then its 402 is the answer, nothing paid", async () => {
    const store = memoryStore();
    for (let i = 0; i < 12; i++) {
      const held = paidToken({ service: "svc", validUntil: null });
      await store.put(BASE, { macaroon: toBase64(held.bytes), preimage: toHex(held.preimage), services: ["svc"], paidMsat: "3000", createdAt: i });
    }
    let requests = 0;
    const refusing = async () => {
      requests++;
      const offer = paidToken({ service: "svc", validUntil: null });
      const [challenge] = formatChallenge(offer.bytes, invoiceFor(offer.paymentHash, 3000n));
      return Response.json({ reason: "revoked" }, { status: 402, headers: { "WWW-Authenticate": challenge ?? "" } });
    };
    let payments = 0;
    const wallet = { pay: async () => (payments++, Promise.reject(new Error("a payment the test never allows"))) };
    const answer = await createL402Fetch({ wallet, maxCostSats: 100, store, fetch: refusing as typeof fetch })(`${BASE}/svc/a`);
    expect(answer.status).toBe(402);
    // The first request, then one per round: each held token tried once, until the cap.
    expect(requests).toBe(1 + 8);
    expect(payments).toBe(0);
  });

  it("over plain http:// to a host other than this machine: no token sent, a 402 refused unpaid (insecure_origin), unless allowHttp; loopback is paid", async () => {
    const held = paidToken({ service: "svc", validUntil: null });
    const store = memoryStore();
    for (const origin of ["http://shop.test", "http://127.0.0.1:8080", "http://localhost:8080"]) {
      await store.put(origin, { macaroon: toBase64(held.bytes), preimage: toHex(held.preimage), services: ["svc"], paidMsat: "3000", createdAt: 0 });
    }
    const preimages = new Map<string, Uint8Array>();
    const credentialsSeen: string[] = [];
    const seller = async (url: string | URL | Request, init?: RequestInit) => {
      const authorization = new Headers(init?.headers).get("authorization");
      if (authorization !== null) credentialsSeen.push(new URL(String(url)).origin);
      // The held token is refused (a fresh challenge); one bought here passes.
      if (authorization !== null && !authorization.includes(toBase64(held.bytes))) return new Response("paid");
      const offer = paidToken({ service: "svc", validUntil: null });
      preimages.set(toHex(offer.paymentHash), offer.preimage);
      const [challenge] = formatChallenge(offer.bytes, invoiceFor(offer.paymentHash, 3000n));
      return new Response("{}", { status: 402, headers: { "WWW-Authenticate": challenge ?? "", "Content-Type": "application/json" } });
    };
    const wallet = walletFor(preimages);
    const client = createL402Fetch({ wallet, maxCostSats: 10, store, fetch: seller as typeof fetch });
    await expect(client("http://shop.test/svc/a")).rejects.toMatchObject({ code: "insecure_origin" });
    expect(wallet.payments()).toBe(0);
    expect(credentialsSeen).toEqual([]);
    // This machine's own plain http (a local paywall, the simulators) is paid as https is.
    expect((await client("http://127.0.0.1:8080/svc/a")).status).toBe(200);
    expect((await client("http://localhost:8080/svc/a")).status).toBe(200);
    expect(wallet.payments()).toBe(2);
    expect(credentialsSeen.filter((origin) => origin === "http://shop.test")).toEqual([]);
    const allowing = createL402Fetch({ wallet, maxCostSats: 10, store, fetch: seller as typeof fetch, allowHttp: true });
    expect((await allowing("http://shop.test/svc/a")).status).toBe(200);
    expect(wallet.payments()).toBe(3);
  });

  it("a balance token refused as balance_short with a new token on offer (no top-up) is replaced: the new one bought and used, the old one, never sent again, dropped", async () => {
    const held = paidToken({ service: "credit", creditMsat: 2000n, validUntil: null });
    const store = memoryStore();
    await store.put(BASE, { macaroon: toBase64(held.bytes), preimage: toHex(held.preimage), services: ["credit"], paidMsat: "2000", createdAt: 0, creditMsat: "2000" });
    const preimages = new Map<string, Uint8Array>();
    const seller = async (_url: unknown, init?: RequestInit) => {
      const authorization = new Headers(init?.headers).get("authorization");
      if (authorization !== null && !authorization.includes(toBase64(held.bytes))) return new Response("paid");
      const offer = paidToken({ service: "credit", creditMsat: 5000n, validUntil: null });
      preimages.set(toHex(offer.paymentHash), offer.preimage);
      const [challenge] = formatChallenge(offer.bytes, invoiceFor(offer.paymentHash, 5000n));
      const reason = authorization === null ? "missing" : "balance_short";
      return Response.json({ reason, balance_msat: "2000", required_msat: "3000" }, { status: 402, headers: { "WWW-Authenticate": challenge ?? "" } });
    };
    const wallet = walletFor(preimages);
    const answer = await createL402Fetch({ wallet, maxCostSats: 10, store, fetch: seller as typeof fetch })(`${BASE}/credit/a`);
    expect([answer.status, await answer.text()]).toEqual([200, "paid"]);
    expect(wallet.payments()).toBe(1);
    const kept = (await store.get(BASE)).map((token) => token.macaroon);
    expect(kept).toHaveLength(1);
    expect(kept).not.toContain(toBase64(held.bytes));
  });

  it("a token refused for a capability this request needs is kept for the requests it grants: a new one bought for this one", async () => {
    const held = paidToken({ service: "svc", validUntil: null });
    const store = memoryStore();
    await store.put(BASE, { macaroon: toBase64(held.bytes), preimage: toHex(held.preimage), services: ["svc"], paidMsat: "3000", createdAt: 0 });
    const preimages = new Map<string, Uint8Array>();
    const seller = async (url: unknown, init?: RequestInit) => {
      const authorization = new Headers(init?.headers).get("authorization");
      if (authorization !== null && !authorization.includes(toBase64(held.bytes))) return new Response("written");
      if (authorization !== null && !String(url).endsWith("/write")) return new Response("read");
      const offer = paidToken({ service: "svc", validUntil: null });
      preimages.set(toHex(offer.paymentHash), offer.preimage);
      const [challenge] = formatChallenge(offer.bytes, invoiceFor(offer.paymentHash, 3000n));
      return Response.json({ reason: authorization === null ? "missing" : "capability_denied" }, { status: 402, headers: { "WWW-Authenticate": challenge ?? "" } });
    };
    const wallet = walletFor(preimages);
    const answer = await createL402Fetch({ wallet, maxCostSats: 10, store, fetch: seller as typeof fetch })(`${BASE}/svc/write`);
    expect([answer.status, await answer.text()]).toEqual([200, "written"]);
    expect(wallet.payments()).toBe(1);
    expect((await store.get(BASE)).map((token) => token.macaroon)).toContain(toBase64(held.bytes));
  });

  it("a pending top-up answered topup_spent without X-L402-Balance (a proxy took it off) is counted, and the token sent: nothing bought, nothing dropped", async () => {
    const held = paidToken({ service: "credit", creditMsat: 5000n, validUntil: null });
    const store = memoryStore();
    await store.put(BASE, { macaroon: toBase64(held.bytes), preimage: toHex(held.preimage), services: ["credit"], paidMsat: "5000", createdAt: 0, creditMsat: "5000", pendingTopUp: `AAAA:${"00".repeat(32)}` });
    const seller = async (_url: unknown, init?: RequestInit) => {
      const authorization = new Headers(init?.headers).get("authorization") ?? "";
      if (authorization.includes(toBase64(held.bytes))) return new Response("paid");
      const offer = paidToken({ service: "credit", creditMsat: 5000n, validUntil: null });
      const [challenge] = formatChallenge(offer.bytes, invoiceFor(offer.paymentHash, 5000n));
      return Response.json({ reason: authorization.includes("AAAA") ? "topup_spent" : "missing", topup_for: toHex(held.tokenId) }, { status: 402, headers: { "WWW-Authenticate": challenge ?? "" } });
    };
    let payments = 0;
    const wallet = { pay: async () => (payments++, Promise.reject(new Error("a payment the test never allows"))) };
    const answer = await createL402Fetch({ wallet, maxCostSats: 10, store, fetch: seller as typeof fetch })(`${BASE}/credit/a`);
    expect([answer.status, await answer.text()]).toEqual([200, "paid"]);
    expect(payments).toBe(0);
    expect(await store.get(BASE)).toEqual([expect.objectContaining({ macaroon: toBase64(held.bytes), topUps: 1 })]);
    expect((await store.get(BASE))[0]?.pendingTopUp).toBeUndefined();
  });

  it("the per-host window counts a host spelled with a trailing dot as that host", async () => {
    const preimages = new Map<string, Uint8Array>();
    const seller = async (_url: unknown, init?: RequestInit) => {
      if (new Headers(init?.headers).has("authorization")) return new Response("paid");
      const offer = paidToken({ service: "svc", validUntil: null });
      preimages.set(toHex(offer.paymentHash), offer.preimage);
      const [challenge] = formatChallenge(offer.bytes, invoiceFor(offer.paymentHash, 3000n));
      return new Response("{}", { status: 402, headers: { "WWW-Authenticate": challenge ?? "", "Content-Type": "application/json" } });
    };
    const wallet = walletFor(preimages);
    const client = createL402Fetch({ wallet, maxCostSats: 10, limits: { perHostSats: 4 }, fetch: seller as typeof fetch });
    expect((await client(`${BASE}/svc/a`)).status).toBe(200);
    await expect(client(`${BASE}./svc/b`)).rejects.toMatchObject({ code: "over_window" });
  });

  it("a request aborted while its payment is under way stops waiting: the abort's reason is thrown, the token kept in doubt, and bought once paid", async () => {
    const offer = paidToken({ service: "svc", validUntil: null });
    const seller = async (_url: unknown, init?: RequestInit) => {
      if (new Headers(init?.headers).has("authorization")) return new Response("paid");
      const [challenge] = formatChallenge(offer.bytes, invoiceFor(offer.paymentHash, 3000n));
      return new Response("{}", { status: 402, headers: { "WWW-Authenticate": challenge ?? "", "Content-Type": "application/json" } });
    };
    let complete: () => void = () => undefined;
    let payments = 0;
    const wallet = {
      pay: () => (payments++, new Promise<{ preimage: Uint8Array; feeMsat: bigint }>((resolve) => (complete = () => resolve({ preimage: offer.preimage, feeMsat: 0n })))),
      lookup: async () => ({ status: "pending" as const }),
    };
    const store = memoryStore();
    const client = createL402Fetch({ wallet, maxCostSats: 10, store, fetch: seller as typeof fetch });
    const abort = new AbortController();
    const asked = client(`${BASE}/svc/a`, { signal: abort.signal });
    await expect.poll(() => payments).toBe(1);
    abort.abort(new Error("the caller's time is up"));
    await expect(asked).rejects.toThrow("the caller's time is up");
    expect(await store.get(BASE)).toMatchObject([{ paymentInDoubt: expect.anything() }]);
    // The wallet's payment completes after all: the purchase goes on without the request, and the next one uses its token.
    complete();
    await expect.poll(async () => (await store.get(BASE))[0]?.preimage).toBe(toHex(offer.preimage));
    expect((await client(`${BASE}/svc/b`)).status).toBe(200);
    expect(payments).toBe(1);
  });

  it("a POST answered by a 303 to a page asking for payment: the paid request is that page's GET, without the body; the POST is never sent again", async () => {
    const offer = paidToken({ service: "svc" });
    const seen: string[] = [];
    const seller = async (url: string, init?: RequestInit) => {
      const headers = new Headers(init?.headers);
      seen.push(`${init?.method} ${new URL(url).pathname} ${headers.has("authorization") ? "paid" : "unpaid"} ${headers.get("content-type") ?? "untyped"} ${init?.body == null ? "empty" : "body"}`);
      if (new URL(url).pathname === "/order") return new Response(null, { status: 303, headers: { Location: "/receipt" } });
      if (headers.has("authorization")) return new Response("receipt");
      const [challenge] = formatChallenge(offer.bytes, invoiceFor(offer.paymentHash, 3000n));
      return new Response("{}", { status: 402, headers: { "WWW-Authenticate": challenge ?? "", "Content-Type": "application/json" } });
    };
    const wallet = walletFor(new Map([[toHex(offer.paymentHash), offer.preimage]]));
    const answer = await createL402Fetch({ wallet, maxCostSats: 10, fetch: seller as typeof fetch })(`${BASE}/order`, { method: "POST", body: "one order", headers: { "Content-Type": "text/plain" } });
    expect(await answer.text()).toBe("receipt");
    expect(seen).toEqual(["POST /order unpaid text/plain body", "GET /receipt unpaid untyped empty", "GET /receipt paid untyped empty"]);
    expect(wallet.payments()).toBe(1);
  });

  it("a token bound to its request, paid after its caller left: the same request's next call sends it and pays nothing", async () => {
    const offer = paidToken({ service: "svc", request: "ab".repeat(32) });
    const sent: (string | null)[] = [];
    const seller = async (_url: string, init?: RequestInit) => {
      const authorization = new Headers(init?.headers).get("authorization");
      sent.push(authorization);
      if (authorization !== null) return new Response("done");
      const [challenge] = formatChallenge(offer.bytes, invoiceFor(offer.paymentHash, 3000n));
      return new Response("{}", { status: 402, headers: { "WWW-Authenticate": challenge ?? "", "Content-Type": "application/json" } });
    };
    const { client, payments } = await paidAfterTheCallerLeft(offer, seller, `${BASE}/svc/act`, { method: "POST", body: "transfer 5" });
    const again = await client(`${BASE}/svc/act`, { method: "POST", body: "transfer 5" });
    expect(await again.text()).toBe("done");
    expect(payments()).toBe(1);
    expect(sent).toEqual([null, `L402 ${toBase64(offer.bytes)}:${toHex(offer.preimage)}`]);
  });

  it("a credential kept for the request a redirect led to (a 307 keeps it a POST) is sent when the same call is made again, and nothing more is paid", async () => {
    const offer = paidToken({ service: "svc", request: "cd".repeat(32) });
    const seen: string[] = [];
    const seller = async (url: string, init?: RequestInit) => {
      const authorization = new Headers(init?.headers).get("authorization");
      seen.push(`${init?.method} ${new URL(url).pathname} ${authorization === null ? "unpaid" : "paid"}`);
      if (new URL(url).pathname === "/svc/old") return new Response(null, { status: 307, headers: { Location: "/svc/new" } });
      if (authorization !== null) return new Response("done");
      const [challenge] = formatChallenge(offer.bytes, invoiceFor(offer.paymentHash, 3000n));
      return new Response("{}", { status: 402, headers: { "WWW-Authenticate": challenge ?? "", "Content-Type": "application/json" } });
    };
    const { client, payments } = await paidAfterTheCallerLeft(offer, seller, `${BASE}/svc/old`, { method: "POST", body: "act" });
    expect(await (await client(`${BASE}/svc/old`, { method: "POST", body: "act" })).text()).toBe("done");
    expect(payments()).toBe(1);
    expect(seen).toEqual(["POST /svc/old unpaid", "POST /svc/new unpaid", "POST /svc/old unpaid", "POST /svc/new unpaid", "POST /svc/new paid"]);
  });

  it("a kept credential refused when sent after a redirect is its own refusal: the token sent before the redirect stays held", async () => {
    const held = paidToken({ service: "svc" });
    const [bound, next] = [paidToken({ service: "svc", request: "ef".repeat(32) }), paidToken({ service: "svc", request: "ef".repeat(32) })];
    const credential = (token: ReturnType<typeof paidToken>) => `L402 ${toBase64(token.bytes)}:${toHex(token.preimage)}`;
    const challenge = (offer: ReturnType<typeof paidToken>, reason: string) =>
      new Response(JSON.stringify({ reason }), { status: 402, headers: { "WWW-Authenticate": formatChallenge(offer.bytes, invoiceFor(offer.paymentHash, 3000n))[0] ?? "", "Content-Type": "application/json" } });
    const seller = async (url: string, init?: RequestInit) => {
      const authorization = new Headers(init?.headers).get("authorization");
      if (new URL(url).pathname === "/svc/old") return new Response(null, { status: 307, headers: { Location: "/svc/new" } });
      if (authorization === credential(next)) return new Response("done");
      // The kept token was spent meanwhile (its request went through another way): another is sold.
      if (authorization === credential(bound)) return challenge(next, "spent");
      return challenge(bound, "price_exceeds_token");
    };
    const store = memoryStore();
    await store.put(BASE, { macaroon: toBase64(held.bytes), preimage: toHex(held.preimage), services: ["svc"], paidMsat: "1000", createdAt: 1 });
    let complete: () => void = () => undefined;
    let payments = 0;
    const wallet = {
      pay: (invoice: string) => {
        payments++;
        const read = readInvoice(invoice);
        const preimage = read.ok && read.value.paymentHash === toHex(next.paymentHash) ? next.preimage : bound.preimage;
        // The first payment completes after its caller left; the second at once.
        return preimage === next.preimage ? Promise.resolve({ preimage, feeMsat: 0n }) : new Promise<{ preimage: Uint8Array; feeMsat: bigint }>((resolve) => (complete = () => resolve({ preimage, feeMsat: 0n })));
      },
    };
    const client = createL402Fetch({ wallet, maxCostSats: 10, store, fetch: seller as typeof fetch });
    const abort = new AbortController();
    const asked = client(`${BASE}/svc/old`, { method: "POST", body: "act", signal: abort.signal });
    await expect.poll(() => payments).toBe(1);
    abort.abort(new Error("the caller's time is up"));
    await expect(asked).rejects.toThrow("the caller's time is up");
    complete();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await (await client(`${BASE}/svc/old`, { method: "POST", body: "act" })).text()).toBe("done");
    expect((await store.get(BASE)).map((token) => token.macaroon)).toEqual([toBase64(held.bytes)]);
    expect(payments).toBe(2);
  });

  it("a redirect loop ends after 20 redirects, and redirect: \"error\" after none: a network failure (TypeError) saying which, nothing paid", async () => {
    let requests = 0;
    const looping = async (url: string) => (requests++, new Response(null, { status: 302, headers: { Location: `${url}/again` } }));
    const wallet = { pay: async () => Promise.reject(new Error("a payment the test never allows")) };
    const l402Fetch = createL402Fetch({ wallet, maxCostSats: 100, fetch: looping as typeof fetch });
    const loop = await l402Fetch(`${BASE}/loop`).then(() => undefined, (error: unknown) => error);
    expect(loop).toBeInstanceOf(TypeError);
    expect((loop as TypeError).message).toBe(`more than 20 redirects from ${BASE}/loop`);
    // The request, then 20 redirects followed.
    expect(requests).toBe(21);
    requests = 0;
    const refused = await l402Fetch(`${BASE}/loop`, { redirect: "error" }).then(() => undefined, (error: unknown) => error);
    expect(refused).toBeInstanceOf(TypeError);
    expect((refused as TypeError).message).toBe(`redirect from ${BASE}/loop refused (redirect: "error")`);
    expect(requests).toBe(1);
  });
  it("an invoice already expired is not paid (bad_challenge): the wallet is not asked, and nothing is counted in the spend windows", async () => {
    const seller = async () => {
      const offer = paidToken({ service: "svc", validUntil: null });
      // Issued two hours ago, expiring after one (BOLT 11's default).
      const [challenge] = formatChallenge(offer.bytes, invoiceFor(offer.paymentHash, 3000n, Math.floor(Date.now() / 1000) - 7200));
      return new Response("{}", { status: 402, headers: { "WWW-Authenticate": challenge ?? "", "Content-Type": "application/json" } });
    };
    let payments = 0;
    const wallet = { pay: async () => (payments++, Promise.reject(new Error("a payment the test never allows"))) };
    const ledger = memoryLedger();
    const client = createL402Fetch({ wallet, maxCostSats: 10, ledger, limits: { perDaySats: 100 }, fetch: seller as typeof fetch });
    await expect(client(`${BASE}/svc/a`)).rejects.toMatchObject({ code: "bad_challenge", message: expect.stringMatching(/expired/) });
    expect(payments).toBe(0);
    expect(await ledger.change((records) => ({ records, result: records }))).toEqual([]);
  });

  it("a 402 whose body stalls after its headers: its reason is given up on after the wait (undefined), its copy cancelled, the answer itself still whole to read", async () => {
    let cancelled = false;
    const stalled = new ReadableStream<Uint8Array>({
      start: (controller) => controller.enqueue(new TextEncoder().encode('{"reason":')),
      cancel: () => void (cancelled = true),
    });
    const response = new Response(stalled, { status: 402, headers: { "Content-Type": "application/json" } });
    expect(await refusalReason(response, 50)).toBeUndefined();
    const whole = await refusalReason(Response.json({ reason: "revoked" }, { status: 402 }), 50);
    expect(whole).toBe("revoked");
    // The caller's answer is untouched: its body reads what came.
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('{"reason":');
    await reader.cancel();
    expect(cancelled).toBe(true);
  });
});
