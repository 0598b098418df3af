import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { startSimulator } from "../dev/lnd-sim/server.ts";
import { parseChallenge, toBase64 } from "../src/l402/index.ts";
import { payInvoice } from "../dev/lnd-sim/payer.ts";
import { runLoad, type LoadResult } from "./load.ts";
import { bundleWorker, startWorkerd } from "../dev/workerd.ts";

const CONCURRENCY = 32;
const ROUND_MS = 4000;
const ROUNDS = 3;

/**
 * A Worker that only forwards, to the same origin: the floor any Worker in front
 * of an origin pays, against which the paywall's own cost shows.
 */
const BARE_WORKER = `export default {
  fetch(request, env) {
    const url = new URL(request.url);
    return fetch(env.ORIGIN + url.pathname + url.search, { method: request.method, headers: request.headers, body: request.body });
  },
};`;

/**
 * Requests/s and latency on loopback: through the paywall Worker in workerd with
 * a valid token (warm: the same credential again and again, as a client
 * reusing its token sends), through the same Worker with auth off for that
 * route, and through a bare Worker that only forwards. Rounds alternate so drift
 * on the machine affects every case alike.
 */
export async function benchThroughput(): Promise<void> {
  const origin = createServer((_request, response) => {
    response.writeHead(200, { "content-type": "application/json" });
    response.end('{"ok":true}');
  });
  await new Promise<void>((resolve) => origin.listen(0, "127.0.0.1", resolve));
  const originUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
  const sim = await startSimulator();
  const script = await bundleWorker(new URL("../src/worker/index.ts", import.meta.url));
  const { mf, url } = await startWorkerd(script, {
    L402_MASTER_KEYS: "55".repeat(32),
    LND_REST_URL: sim.url,
    LND_MACAROON: sim.paywallMacaroonHex,
    L402_NETWORK: "regtest",
    L402_SERVICES: JSON.stringify([
      { name: "paid", match: ["/paid/*"], price_sats: 1, timeout: 3600, origin: { url: originUrl } },
      { name: "free", match: ["/free/*"], price_sats: 1, auth: false, origin: { url: originUrl } },
    ]),
  });
  const bare = await startWorkerd(BARE_WORKER, { ORIGIN: originUrl });
  const quiet = console.log;
  try {
    const challenge = await fetch(new URL("/paid/x", url));
    const parsed = parseChallenge(challenge.headers.get("www-authenticate") ?? "");
    if (!parsed.ok) throw new Error("no challenge from the Worker");
    const paid = await payInvoice({ url: sim.url, macaroonHex: sim.adminMacaroonHex }, parsed.value.invoice);
    const authorization = `L402 ${toBase64(parsed.value.macaroon)}:${paid.preimageHex}`;

    // "auth off, same header" sends the credential to the free route: it separates the
    // cost of carrying the header from the cost of checking it.
    const cases = {
      "valid L402 token": { base: url, path: "/paid/item", headers: { authorization } },
      "auth off, same Worker": { base: url, path: "/free/item", headers: {} },
      "auth off, same header": { base: url, path: "/free/item", headers: { authorization } },
      "bare Worker, forwards": { base: bare.url, path: "/item", headers: {} },
    } as const;
    const results = Object.fromEntries(Object.keys(cases).map((name) => [name, [] as LoadResult[]])) as Record<keyof typeof cases, LoadResult[]>;
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, { base, path, headers }] of Object.entries(cases) as [keyof typeof cases, (typeof cases)[keyof typeof cases]][]) {
        results[name].push(await runLoad({ url: new URL(path, base).href, headers, concurrency: CONCURRENCY, durationMs: ROUND_MS, expectStatus: 200 }));
      }
    }
    const summary = (runs: LoadResult[]) => ({
      rps: runs.reduce((sum, r) => sum + r.requestsPerSecond, 0) / runs.length,
      p50: runs.reduce((sum, r) => sum + r.p50Ms, 0) / runs.length,
      p99: runs.reduce((sum, r) => sum + r.p99Ms, 0) / runs.length,
      errors: runs.reduce((sum, r) => sum + r.errors, 0),
      requests: runs.reduce((sum, r) => sum + r.requests, 0),
    });
    quiet(`\nThrough workerd on loopback, concurrency ${CONCURRENCY}, ${ROUNDS} alternating rounds × ${ROUND_MS / 1000} s`);
    quiet(`${"route".padEnd(26)}${"req/s".padStart(9)}${"p50 ms".padStart(9)}${"p99 ms".padStart(9)}${"errors".padStart(8)}${"requests".padStart(10)}`);
    const summaries = Object.fromEntries(Object.entries(results).map(([name, runs]) => [name, summary(runs)])) as Record<keyof typeof cases, ReturnType<typeof summary>>;
    for (const [name, s] of Object.entries(summaries)) {
      quiet(`${name.padEnd(26)}${s.rps.toFixed(0).padStart(9)}${s.p50.toFixed(2).padStart(9)}${s.p99.toFixed(2).padStart(9)}${String(s.errors).padStart(8)}${String(s.requests).padStart(10)}`);
    }
    const paidRps = summaries["valid L402 token"].rps;
    quiet(`paid / auth off: ${(paidRps / summaries["auth off, same Worker"].rps).toFixed(3)}; paid / bare Worker: ${(paidRps / summaries["bare Worker, forwards"].rps).toFixed(3)}`);
    quiet("(CPU time per request: workerd run locally does not report it; Cloudflare's dashboard does.)");
  } finally {
    await Promise.all([mf.dispose(), bare.mf.dispose()]);
    await sim.close();
    origin.close();
  }
}
