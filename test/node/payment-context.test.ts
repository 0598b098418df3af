import type { Miniflare } from "miniflare";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { AddressInfo } from "node:net";
import { createRemoteJWKSet, errors, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startSimulator, type Simulator } from "../../dev/lnd-sim/server.ts";
import { freePort } from "../../dev/ports.ts";
import { bundleWorker, startWorkerd } from "../../dev/workerd.ts";
import { paidAuthorization } from "../../bench/paid-token.ts";
import { verifyPaymentContext, type VerifiedPaymentContext } from "../../src/origin/index.ts";
import { contextKey, payloadOf, withPayload, withSignatureFlipped, type PrivateJwk } from "../fixtures/context-keys.ts";

/**
 * The payment context between real processes: the bundled Worker in workerd on
 * a loopback port, in front of a Node origin that verifies each context with
 * l402-edge/origin against the JWKS it fetches from the Worker over a socket.
 * Keys are rotated as the README says: the new key published beside the old,
 * then signing while the old is still published, then the old removed.
 */
const MASTER_KEY = "66".repeat(32);
let sim: Simulator;
let origin: { server: Server; url: string; seen: { context: string | undefined; verified: VerifiedPaymentContext }[] };
/** Where the origin fetches its keys: the Worker in front of it at the moment. */
let jwksUrl: URL;
let script: string;
const workers: { mf: Miniflare; url: URL }[] = [];
let oldKey: PrivateJwk;
let newKey: PrivateJwk;

async function startPaywall(keys: PrivateJwk[]): Promise<URL> {
  const worker = await startWorkerd(script, {
    L402_MASTER_KEYS: MASTER_KEY,
    LND_REST_URL: sim.url,
    LND_MACAROON: sim.paywallMacaroonHex,
    L402_NETWORK: "regtest",
    L402_CONTEXT_KEYS: JSON.stringify(keys),
    L402_SERVICES: JSON.stringify([{ name: "report", match: ["/report/*"], price_sats: 2, timeout: 3600, origin: { url: origin.url } }]),
  });
  workers.push(worker);
  return worker.url;
}

beforeAll(async () => {
  sim = await startSimulator();
  const seen: { context: string | undefined; verified: VerifiedPaymentContext }[] = [];
  // The origin, as the README's: it verifies the request it received (Node's own req) against the paywall's JWKS.
  const server = createServer((request, response) => {
    void verifyPaymentContext(request, { jwksUrl, audience: origin.url }).then((verified) => {
      const context = request.headers["payment-context"];
      seen.push({ context: typeof context === "string" ? context : undefined, verified });
      response.writeHead(verified.ok ? 200 : 403, { "content-type": "application/json" });
      response.end(JSON.stringify(verified.ok ? { paidBy: verified.claims.sub } : { refused: verified.reason }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
  script = await bundleWorker(new URL("../../src/worker/index.ts", import.meta.url));
  [oldKey, newKey] = [await contextKey("2026-11"), await contextKey("2026-12")];
}, 60_000);

afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.mf.dispose()));
  origin?.server.close();
  await sim?.close();
});

const jwksOf = (paywall: URL) => new URL("/.well-known/jwks.json", paywall);

/** A paid request through the paywall: what the origin answered, and the context it received. */
async function paidThrough(paywall: URL, authorization: string, path = "/report/q3"): Promise<{ status: number; context: string; verified: VerifiedPaymentContext }> {
  const response = await fetch(new URL(path, paywall), { headers: { Authorization: authorization } });
  await response.body?.cancel();
  const last = origin.seen.at(-1);
  if (last?.context === undefined) throw new Error("the origin received no payment context");
  return { status: response.status, context: last.context, verified: last.verified };
}

describe("the payment context between a Worker in workerd and a Node origin", () => {
  let paywallBefore: URL;
  let authorization: string;
  let signedBefore: string;

  it("before rotation: the origin verifies each paid request's context with the JWKS it fetches from the Worker; jose directly agrees", async () => {
    paywallBefore = await startPaywall([oldKey]);
    jwksUrl = jwksOf(paywallBefore);
    authorization = await paidAuthorization(new URL("/report/q3", paywallBefore), sim);
    const paid = await paidThrough(paywallBefore, authorization);
    expect(paid.status).toBe(200);
    expect(paid.verified).toMatchObject({ ok: true, claims: { iss: paywallBefore.origin, aud: origin.url, svc: "report", scheme: "l402", amount_msat: "2000", method: "GET", path: "/report/q3" } });
    signedBefore = paid.context;
    const { protectedHeader } = await jwtVerify(signedBefore, createRemoteJWKSet(jwksOf(paywallBefore)), { algorithms: ["EdDSA"], audience: origin.url, issuer: paywallBefore.origin });
    expect(protectedHeader.kid).toBe("2026-11");
  });

  it("tampered with, its payload or its signature: refused by the helper and by jose", async () => {
    const keys = createRemoteJWKSet(jwksOf(paywallBefore));
    for (const bad of [withPayload(signedBefore, (claims) => ({ ...claims, sub: "00".repeat(32) })), withSignatureFlipped(signedBefore)]) {
      expect(await verifyPaymentContext(bad, { jwksUrl: jwksOf(paywallBefore), audience: origin.url, matchRequest: false })).toMatchObject({ ok: false, reason: "bad_signature" });
      await expect(jwtVerify(bad, keys, { algorithms: ["EdDSA"] })).rejects.toBeInstanceOf(errors.JWSSignatureVerificationFailed);
    }
  });

  it("expired: refused once its exp (and the clock tolerance) has passed", async () => {
    const { exp } = payloadOf(signedBefore) as { exp: number };
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime((exp + 6) * 1000);
      expect(await verifyPaymentContext(signedBefore, { jwksUrl: jwksOf(paywallBefore), audience: origin.url, matchRequest: false })).toMatchObject({ ok: false, reason: "expired" });
      await expect(jwtVerify(signedBefore, createRemoteJWKSet(jwksOf(paywallBefore)), { algorithms: ["EdDSA"] })).rejects.toBeInstanceOf(errors.JWTExpired);
      vi.setSystemTime((exp + 4) * 1000);
      expect(await verifyPaymentContext(signedBefore, { jwksUrl: jwksOf(paywallBefore), audience: origin.url, matchRequest: false })).toMatchObject({ ok: true });
    } finally {
      vi.useRealTimers();
    }
  });

  it("rotated (the new key signs, the old still published): a context signed before still verifies; new ones name the new key", async () => {
    const rotated = await startPaywall([newKey, oldKey]);
    jwksUrl = jwksOf(rotated);
    expect(await verifyPaymentContext(signedBefore, { jwksUrl: jwksOf(rotated), audience: origin.url, matchRequest: false })).toMatchObject({ ok: true, claims: { iss: paywallBefore.origin } });
    // The same token (the master key did not change) through the rotated Worker.
    const paid = await paidThrough(rotated, authorization);
    expect(paid.status).toBe(200);
    expect(paid.verified.ok).toBe(true);
    const { protectedHeader } = await jwtVerify(paid.context, createRemoteJWKSet(jwksOf(rotated)), { algorithms: ["EdDSA"] });
    expect(protectedHeader.kid).toBe("2026-12");
  });

  it("the old key removed from the JWKS: what it signed is refused (unknown key), by the helper, jose and the origin", async () => {
    const after = await startPaywall([newKey]);
    jwksUrl = jwksOf(after);
    expect(await verifyPaymentContext(signedBefore, { jwksUrl: jwksOf(after), audience: origin.url, matchRequest: false })).toMatchObject({ ok: false, reason: "unknown_key" });
    await expect(jwtVerify(signedBefore, createRemoteJWKSet(jwksOf(after)), { algorithms: ["EdDSA"] })).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey);
    // Sent straight to the origin, skipping the paywall: refused.
    const replayed = await fetch(new URL("/report/q3", origin.url), { headers: { "Payment-Context": signedBefore } });
    expect([replayed.status, await replayed.json()]).toEqual([403, { refused: "unknown_key" }]);
    const paid = await paidThrough(after, authorization);
    expect([paid.status, paid.verified.ok]).toEqual([200, true]);
  });

  it("a JWKS that cannot be fetched is told apart from a bad context", async () => {
    expect(await verifyPaymentContext(signedBefore, { jwksUrl: "http://127.0.0.1:9/.well-known/jwks.json", audience: origin.url, matchRequest: false })).toMatchObject({ ok: false, reason: "jwks_unavailable" });
    expect(await verifyPaymentContext("not.a.jws", { jwksUrl: jwksOf(paywallBefore), audience: origin.url, matchRequest: false })).toMatchObject({ ok: false, reason: "malformed" });
    expect(await verifyPaymentContext(undefined, { jwksUrl: jwksOf(paywallBefore), audience: origin.url, matchRequest: false })).toMatchObject({ ok: false, reason: "missing" });
  });
});

/** The README's Express origin (*Operating it*), its placeholders filled: the paywall's URLs, the port it listens on. */
function readmeExpressOrigin(values: { paywall: URL; port: number }): string {
  const readme = readFileSync(fileURLToPath(new URL("../../README.md", import.meta.url)), "utf8");
  const start = readme.indexOf("### The origin's side: the payment context");
  const block = /```js\n([\s\S]*?)```/.exec(readme.slice(start))?.[1];
  if (start < 0 || block === undefined) throw new Error("the README has no Express origin in its payment context section");
  return block
    .replace('"l402-edge/origin"', JSON.stringify(pathToFileURL(fileURLToPath(new URL("../../src/origin/index.ts", import.meta.url))).href))
    .replaceAll("https://paywall.example.com", values.paywall.origin)
    .replace("https://api.internal.example.com", `http://127.0.0.1:${values.port}`)
    .replace("app.listen(8080);", `export const server = app.listen(${values.port});`);
}

describe("the README's Express origin, as written", () => {
  it("answers a request paid through the Worker from the verified context; one sent straight to it is refused", async () => {
    // A free port for the origin, known before the Worker that forwards to it starts.
    const port = await freePort();
    const worker = await startWorkerd(script, {
      L402_MASTER_KEYS: MASTER_KEY,
      LND_REST_URL: sim.url,
      LND_MACAROON: sim.paywallMacaroonHex,
      L402_NETWORK: "regtest",
      L402_CONTEXT_KEYS: JSON.stringify([newKey]),
      L402_SERVICES: JSON.stringify([{ name: "reports", match: ["/report/*"], price_sats: 3, origin: { url: `http://127.0.0.1:${port}` } }]),
    });
    workers.push(worker);
    // Beside the repository's node_modules, so the example's own import of express resolves.
    const dir = join(fileURLToPath(new URL("../../node_modules/.cache/", import.meta.url)), `readme-origin-${crypto.randomUUID()}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "origin.mjs"), readmeExpressOrigin({ paywall: worker.url, port }));
    const { server } = (await import(pathToFileURL(join(dir, "origin.mjs")).href)) as { server: Server };
    try {
      await new Promise((resolve) => (server.listening ? resolve(undefined) : server.once("listening", resolve)));
      const authorization = await paidAuthorization(new URL("/report/q3", worker.url), sim);
      const paid = await fetch(new URL("/report/q3", worker.url), { headers: { Authorization: authorization } });
      expect([paid.status, await paid.json()]).toEqual([200, { quarter: "q3", paidBy: expect.stringMatching(/^[0-9a-f]{64}$/), paidMsat: "3000", usesLeft: null }]);
      const straight = await fetch(`http://127.0.0.1:${port}/report/q3`);
      expect([straight.status, await straight.json()]).toEqual([403, { refused: "missing" }]);
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
