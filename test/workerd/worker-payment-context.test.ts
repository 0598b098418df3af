import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { createLocalJWKSet, createRemoteJWKSet, customFetch, jwtVerify } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { payInvoice } from "../../dev/lnd-sim/payer.ts";
import { formatPaymentCredential, parsePaymentChallenges, readChargeRequest } from "../../src/payment/index.ts";
import { verifyPaymentContext } from "../../src/origin/index.ts";
import { createWorkerApp } from "../../src/worker/app.ts";
import { contextKey, payloadOf, withPayload, withSignatureFlipped } from "../fixtures/context-keys.ts";
import { originHits, originUrl, payChallenge, sim, uniquePath, type PaidToken } from "./support/paywall-client.ts";

/**
 * The signed payment context through the template Worker in workerd: what
 * the origin receives on each kind of paid request (one price, uses, balance,
 * the Payment scheme), checked by jose and by l402-edge/origin against the
 * JWKS the Worker serves; a client's own header never passes.
 */
const services = () => [
  { name: "one", match: ["/one/*"], price_sats: 2, timeout: 3600, origin: { url: `${originUrl()}/base`, strip_prefix: "/one" } },
  { name: "counted", match: ["/counted/*"], price_sats: 3, uses: 3, origin: { url: originUrl() } },
  { name: "credit", match: ["/credit/*"], price_msat: 1000, balance: { amounts_sats: [50] }, origin: { url: originUrl() } },
  { name: "charge", match: ["/charge/*"], price_sats: 3, schemes: ["mpp"], origin: { url: originUrl() } },
  { name: "open", match: ["/open/*"], price_sats: 1, auth: false, origin: { url: originUrl() } },
];
const BASE = "https://paywall.test";
const app = createWorkerApp();
let contextEnv: object;
let signerKid: string;

beforeAll(async () => {
  const [signer, published] = [await contextKey("ctx-new"), await contextKey("ctx-old")];
  signerKid = signer.kid;
  contextEnv = { ...env, L402_SERVICES: JSON.stringify(services()), L402_CONTEXT_KEYS: JSON.stringify([signer, published]), L402_ORIGIN_SECRET: "" };
});

async function send(path: string, init?: RequestInit, workerEnv: object = contextEnv): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await app.fetch(new Request(`${BASE}${path}`, init), workerEnv, ctx);
  const body = await response.arrayBuffer();
  await waitOnExecutionContext(ctx);
  return new Response(body, response);
}

/** What the test origin saw: it echoes the request's method, path and headers. */
async function echoed(response: Response): Promise<{ method: string; path: string; query: string; headers: Record<string, string | undefined> }> {
  expect(response.status).toBe(200);
  return (await response.json()) as { method: string; path: string; query: string; headers: Record<string, string | undefined> };
}
const contextOf = async (response: Response): Promise<string> => {
  const context = (await echoed(response)).headers["payment-context"];
  if (context === undefined) throw new Error("the origin received no payment context");
  return context;
};

const jwksServed = async () => (await send("/.well-known/jwks.json")).json() as Promise<{ keys: Record<string, unknown>[] }>;
const withToken = (token: PaidToken, init: RequestInit = {}): RequestInit => ({ ...init, headers: { ...(init.headers as Record<string, string>), Authorization: token.authorization } });

describe("the JWKS", () => {
  it("publishes every key's public half, the signer first, cacheable, never a private member", async () => {
    const response = await send("/.well-known/jwks.json");
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("public, max-age=300");
    const text = await response.clone().text();
    const { keys } = (await response.json()) as { keys: Record<string, unknown>[] };
    expect(keys.map((key) => key["kid"])).toEqual(["ctx-new", "ctx-old"]);
    for (const key of keys) expect(Object.keys(key).sort()).toEqual(["alg", "crv", "kid", "kty", "use", "x"]);
    expect(text).not.toMatch(/"d"\s*:/);
    expect(keys[0]).toMatchObject({ kty: "OKP", crv: "Ed25519", alg: "EdDSA", use: "sig", x: expect.stringMatching(/^[\w-]{43}$/) });
  });

  it("is not served by a Worker without L402_CONTEXT_KEYS (the request is the paywall's like any other)", async () => {
    const response = await send("/.well-known/jwks.json", undefined, { ...env, L402_SERVICES: JSON.stringify(services()) });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ reason: "no_service" });
  });
});

describe("what the origin receives on a paid request", () => {
  it("one price: the token, service, scheme, amount, expiry and the request as the origin gets it; verified by jose and by the helper", async () => {
    const token = await payChallenge(await send(uniquePath("/one/buy")));
    const before = Math.floor(Date.now() / 1000);
    const seen = await echoed(await send("/one/report/./item?q=1", withToken(token, { method: "POST", body: "x" })));
    const context = seen.headers["payment-context"] as string;
    const jwks = await jwksServed();
    const { payload, protectedHeader } = await jwtVerify(context, createLocalJWKSet(jwks as never), { algorithms: ["EdDSA"], typ: "payment-context+jwt", audience: new URL(originUrl()).origin, issuer: BASE });
    expect(protectedHeader).toEqual({ alg: "EdDSA", kid: signerKid, typ: "payment-context+jwt" });
    expect(payload).toEqual({
      iss: BASE,
      aud: new URL(originUrl()).origin,
      sub: expect.stringMatching(/^[0-9a-f]{64}$/),
      iat: expect.any(Number),
      exp: (payload.iat as number) + 120,
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
      svc: "one",
      scheme: "l402",
      amount_msat: "2000",
      token_exp: expect.any(Number),
      method: "POST",
      // The canonical path, its prefix swapped for the origin's base: what the origin itself sees.
      path: "/base/report/item",
      query: "q=1",
    });
    expect(seen.path).toBe(payload.path);
    expect(payload.iat).toBeGreaterThanOrEqual(before);
    expect(payload.token_exp).toBeGreaterThanOrEqual(before + 3600 - 5);
    // The helper, given the JWKS document the Worker serves and the request as the origin received it.
    const verified = await verifyPaymentContext({ method: seen.method, url: `${seen.path}${seen.query}`, headers: { "payment-context": context } }, { jwks: jwks as never, audience: new URL(originUrl()).origin, issuer: BASE });
    expect(verified).toEqual({ ok: true, claims: payload });
    // …and refusing it for another request.
    expect(await verifyPaymentContext({ method: "GET", url: `${seen.path}?q=1`, headers: { "payment-context": context } }, { jwks: jwks as never, audience: new URL(originUrl()).origin })).toMatchObject({ ok: false, reason: "request_mismatch" });
    // …or for the same method and path with another query, or none (the price may depend on the query).
    for (const url of [`${seen.path}?q=2`, seen.path, `${seen.path}?q=1&x=2`]) {
      expect(await verifyPaymentContext({ method: "POST", url, headers: { "payment-context": context } }, { jwks: jwks as never, audience: new URL(originUrl()).origin }), url).toMatchObject({ ok: false, reason: "request_mismatch" });
    }
    // A path beginning `//` is a path (Express routes it as one), not a host and the signed path after it.
    const doubled = { method: "POST", url: `//elsewhere${seen.path}${seen.query}`, headers: { "payment-context": context } };
    expect(await verifyPaymentContext(doubled, { jwks: jwks as never, audience: new URL(originUrl()).origin })).toMatchObject({ ok: false, reason: "request_mismatch" });
    // An absolute target Node's parser takes and URL does not: refused, never thrown.
    for (const url of [`http://1.2.3.4.5${seen.path}`, `http://x:99999${seen.path}`]) {
      expect(await verifyPaymentContext({ method: "POST", url, headers: { "payment-context": context } }, { jwks: jwks as never, audience: new URL(originUrl()).origin }), url).toMatchObject({ ok: false, reason: "request_mismatch" });
    }
    // The service the route sells: a context bought for another service at this origin is refused.
    const asReceived = { method: seen.method, url: `${seen.path}${seen.query}`, headers: { "payment-context": context } };
    expect(await verifyPaymentContext(asReceived, { jwks: jwks as never, audience: new URL(originUrl()).origin, service: [String(payload["svc"]), "other"] })).toMatchObject({ ok: true });
    expect(await verifyPaymentContext(asReceived, { jwks: jwks as never, audience: new URL(originUrl()).origin, service: "dearer" })).toMatchObject({ ok: false, reason: "wrong_service" });
    // Options that would check less than they seem to are a programming error, thrown: no audience; the header alone, unmatched.
    await expect(verifyPaymentContext(asReceived, { jwks: jwks as never } as never)).rejects.toThrow(/needs audience/);
    await expect(verifyPaymentContext(context, { jwks: jwks as never, audience: new URL(originUrl()).origin })).rejects.toThrow(/pass the request, or matchRequest: false/);
  });

  it("uses: the requests left after this one, as X-L402-Remaining says", async () => {
    const token = await payChallenge(await send(uniquePath("/counted/buy")));
    for (const left of [2, 1]) {
      const response = await send("/counted/item", withToken(token));
      expect(response.headers.get("x-l402-remaining")).toBe(String(left));
      expect(payloadOf(await contextOf(response))).toMatchObject({ svc: "counted", scheme: "l402", amount_msat: "3000", remaining: left, method: "GET", path: "/counted/item" });
    }
  });

  it("balance: the balance after this request's reservation, as X-L402-Balance says; the amount is the credit bought", async () => {
    const token = await payChallenge(await send(uniquePath("/credit/buy")));
    const response = await send("/credit/item", withToken(token));
    expect(response.headers.get("x-l402-balance")).toBe("49000");
    const claims = payloadOf(await contextOf(response));
    expect(claims).toMatchObject({ svc: "credit", scheme: "l402", amount_msat: "50000", balance_msat: "49000", path: "/credit/item" });
    expect(claims).not.toHaveProperty("remaining");
  });

  it("the Payment scheme: scheme payment, the charge's amount", async () => {
    const offered = await send(uniquePath("/charge/buy"));
    const [challenge] = parsePaymentChallenges(offered.headers.get("www-authenticate") ?? "");
    if (challenge === undefined) throw new Error("no Payment challenge");
    const request = readChargeRequest(challenge.request);
    if (!request.ok) throw new Error(request.detail);
    const paid = await payInvoice({ url: sim().url, macaroonHex: sim().adminMacaroonHex }, request.value.methodDetails.invoice);
    const authorization = formatPaymentCredential({ challenge, payload: { preimage: paid.preimageHex as string } });
    const claims = payloadOf(await contextOf(await send("/charge/item", { headers: { Authorization: authorization } })));
    expect(claims).toMatchObject({ svc: "charge", scheme: "payment", amount_msat: "3000", method: "GET", path: "/charge/item" });
  });
});

describe("a context the client sends", () => {
  it("is removed from a paid request (replaced by the Worker's) and from a free one, in any case", async () => {
    const token = await payChallenge(await send(uniquePath("/one/buy")));
    const forged = withPayload(await contextOf(await send("/one/x", withToken(token))), (claims) => ({ ...claims, svc: "forged" }));
    const paid = await echoed(await send("/one/x", withToken(token, { headers: { "PAYMENT-CONTEXT": forged } })));
    expect(paid.headers["payment-context"]).not.toBe(forged);
    expect(payloadOf(paid.headers["payment-context"] as string)["svc"]).toBe("one");
    const free = await echoed(await send(uniquePath("/open/x"), { headers: { "payment-context": forged } }));
    expect(free.headers).not.toHaveProperty("payment-context");
    // A Worker that signs no context still removes one: no origin trusts a header a client wrote.
    const unsigned = await echoed(await send(uniquePath("/open/y"), { headers: { "payment-context": forged } }, { ...env, L402_SERVICES: JSON.stringify(services()) }));
    expect(unsigned.headers).not.toHaveProperty("payment-context");
  });

  it("a tampered payload or signature is refused by jose and the helper; an unpaid request reaches no origin", async () => {
    const token = await payChallenge(await send(uniquePath("/one/buy")));
    const context = await contextOf(await send("/one/x", withToken(token)));
    const jwks = await jwksServed();
    // jose with its remote key set, fetching the document from the Worker itself.
    const remote = createRemoteJWKSet(new URL(`${BASE}/.well-known/jwks.json`), { [customFetch]: (url: string, init: RequestInit) => send(new URL(url).pathname, init) });
    expect((await jwtVerify(context, remote, { algorithms: ["EdDSA"] })).payload["svc"]).toBe("one");
    for (const bad of [withPayload(context, (claims) => ({ ...claims, amount_msat: "1" })), withSignatureFlipped(context)]) {
      await expect(jwtVerify(bad, remote, { algorithms: ["EdDSA"] })).rejects.toThrow(/signature verification failed/);
      expect(await verifyPaymentContext(bad, { jwks: jwks as never, audience: new URL(originUrl()).origin, matchRequest: false })).toMatchObject({ ok: false, reason: "bad_signature" });
    }
    const path = uniquePath("/one/unpaid");
    expect((await send(path, { headers: { "payment-context": context } })).status).toBe(402);
    expect(await originHits(path.replace("/one", "/base"))).toBe(0);
  });
});

describe("bad keys", () => {
  it("L402_CONTEXT_KEYS that do not parse: the Worker is misconfigured (500), naming the field, never a key", async () => {
    const key = await contextKey("k");
    // The seed alone where a JWK belongs (a slip easily made): quoted by no message.
    for (const keys of ["not json", "[]", JSON.stringify([{ ...key, crv: "P-256" }]), JSON.stringify([key, key]), JSON.stringify([{ ...key, d: "short" }]), JSON.stringify([key.d]), JSON.stringify({ keys: [key.d] })]) {
      const response = await send("/one/x", undefined, { ...contextEnv, L402_CONTEXT_KEYS: keys });
      expect(response.status).toBe(500);
      const health = await (await send("/.well-known/l402/health", undefined, { ...contextEnv, L402_CONTEXT_KEYS: keys })).text();
      expect(health).toMatch(/L402_CONTEXT_KEYS/);
      expect(health).not.toContain(String(key.d));
    }
  });

  it("a JWK whose x is not its d's public key: a paid request answers 500 and never reaches the origin", async () => {
    const [key, other] = [await contextKey("k"), await contextKey("other")];
    const badEnv = { ...contextEnv, L402_CONTEXT_KEYS: JSON.stringify([{ ...key, x: other.x }]) };
    const token = await payChallenge(await send(uniquePath("/one/buy"), undefined, badEnv));
    const path = uniquePath("/one/mismatch");
    const response = await send(path, withToken(token), badEnv);
    expect(response.status).toBe(500);
    expect(await response.text()).not.toContain(String(key.d));
    expect(await originHits(path.replace("/one", "/base"))).toBe(0);
  });
});
