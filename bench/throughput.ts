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
 * Requests/s and latency through the Worker in workerd with a valid token, against
 * the same Worker with auth off for that route, on loopback. Rounds alternate so
 * drift on the machine affects both sides alike.
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
  const quiet = console.log;
  try {
    const challenge = await fetch(new URL("/paid/x", url));
    const parsed = parseChallenge(challenge.headers.get("www-authenticate") ?? "");
    if (!parsed.ok) throw new Error("no challenge from the Worker");
    const paid = await payInvoice({ url: sim.url, macaroonHex: sim.adminMacaroonHex }, parsed.value.invoice);
    const authorization = `L402 ${toBase64(parsed.value.macaroon)}:${paid.preimageHex}`;

    // The third case sends the same header to the free route: it separates the cost
    // of carrying the credential from the cost of verifying it.
    const results: Record<"paid" | "free" | "freeWithHeader", LoadResult[]> = { paid: [], free: [], freeWithHeader: [] };
    const load = (path: string, headers: Record<string, string> = {}) =>
      runLoad({ url: new URL(path, url).href, headers, concurrency: CONCURRENCY, durationMs: ROUND_MS, expectStatus: 200 });
    for (let round = 0; round < ROUNDS; round++) {
      results.paid.push(await load("/paid/item", { authorization }));
      results.free.push(await load("/free/item"));
      results.freeWithHeader.push(await load("/free/item", { authorization }));
    }
    const summary = (runs: LoadResult[]) => ({
      rps: runs.reduce((sum, r) => sum + r.requestsPerSecond, 0) / runs.length,
      p50: runs.reduce((sum, r) => sum + r.p50Ms, 0) / runs.length,
      p99: runs.reduce((sum, r) => sum + r.p99Ms, 0) / runs.length,
      errors: runs.reduce((sum, r) => sum + r.errors, 0),
      requests: runs.reduce((sum, r) => sum + r.requests, 0),
    });
    const [p, f, h] = [summary(results.paid), summary(results.free), summary(results.freeWithHeader)];
    quiet(`\nThrough the Worker in workerd, concurrency ${CONCURRENCY}, ${ROUNDS} alternating rounds × ${ROUND_MS / 1000} s`);
    quiet(`${"route".padEnd(26)}${"req/s".padStart(9)}${"p50 ms".padStart(9)}${"p99 ms".padStart(9)}${"errors".padStart(8)}${"requests".padStart(10)}`);
    for (const [name, s] of [["valid L402 token", p], ["auth off (same Worker)", f], ["auth off, same header", h]] as const) {
      quiet(`${name.padEnd(26)}${s.rps.toFixed(0).padStart(9)}${s.p50.toFixed(2).padStart(9)}${s.p99.toFixed(2).padStart(9)}${String(s.errors).padStart(8)}${String(s.requests).padStart(10)}`);
    }
    quiet(`paid/free throughput ratio: ${(p.rps / f.rps).toFixed(3)}; p50 +${(p.p50 - f.p50).toFixed(3)} ms`);
  } finally {
    await mf.dispose();
    await sim.close();
    origin.close();
  }
}
