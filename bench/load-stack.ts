import { parseArgs } from "node:util";
import { demoServices, startDemoOrigin } from "../dev/demo-origin.ts";
import { startSimulator } from "../dev/lnd-sim/server.ts";
import { freePort } from "../dev/ports.ts";
import { createL402Fetch, lndWallet, memoryStore } from "../src/client/index.ts";
import { runLoad, type LoadResult } from "./load.ts";
import { bundleWorker, startWorkerd } from "../dev/workerd.ts";

/**
 * `npm run load`: the local stack (the Worker in workerd, the LND simulator, the
 * demo origin, with the production rate limit and challenge cache) under paid
 * traffic at high concurrency, while unpaid traffic runs alongside. Loopback only,
 * bounded in time. Reports requests/s, p50/p99 and errors.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { concurrency: { type: "string", default: "64" }, seconds: { type: "string", default: "20" }, "unpaid-concurrency": { type: "string", default: "8" } } });
  const concurrency = Number(values.concurrency);
  const durationMs = Number(values.seconds) * 1000;
  const unpaidConcurrency = Number(values["unpaid-concurrency"]);

  const sim = await startSimulator();
  const secret = "load-test-origin-secret";
  const origin = await startDemoOrigin(await freePort(), secret);
  const { mf, url } = await startWorkerd(await bundleWorker(new URL("../src/worker/index.ts", import.meta.url)), {
    L402_MASTER_KEYS: "66".repeat(32),
    LND_REST_URL: sim.url,
    LND_MACAROON: sim.paywallMacaroonHex,
    L402_NETWORK: "regtest",
    // The services the load uses need no binding but the rate limit, which is given; the demo's
    // metered, free-allowance, browser and balance services need Durable Objects this bare workerd lacks.
    L402_SERVICES: JSON.stringify(demoServices(origin.url).filter((service) => !("uses" in service || "freebies" in service || "browser" in service || "balance" in service))),
    L402_ORIGIN_SECRET: secret,
  }, { ratelimits: { L402_MINT_LIMITER: { namespace_id: "4021", simple: { limit: 30, period: 60 } } } });
  try {
    // Buy one token with the project's own client, then replay it from the load generator.
    const store = memoryStore();
    const wallet = lndWallet({ url: sim.url, macaroonHex: sim.adminMacaroonHex, feeLimitSats: 10, timeoutSeconds: 30 });
    const target = new URL("/api/quote", url).href;
    const paidOnce = await createL402Fetch({ wallet, maxCostSats: 100, store })(target);
    if (paidOnce.status !== 200) throw new Error(`could not buy a token: HTTP ${paidOnce.status}`);
    await paidOnce.body?.cancel();
    const [token] = await store.get(url.origin);
    if (token === undefined) throw new Error("the client kept no token");
    const authorization = `L402 ${token.macaroon}:${token.preimage}`;

    console.log(`load: ${concurrency} paid clients + ${unpaidConcurrency} unpaid clients for ${durationMs / 1000} s against ${url.origin} (loopback)`);
    const [paid, unpaid] = await Promise.all([
      runLoad({ url: target, headers: { authorization }, concurrency, durationMs, expectStatus: 200 }),
      runLoad({ url: new URL("/api/weather?city=Oslo", url).href, concurrency: unpaidConcurrency, durationMs, expectStatus: 402 }),
    ]);
    report("paid (valid token)", paid);
    report("unpaid (no token)", unpaid);
    console.log(`unpaid answers: ${Object.entries(unpaid.statuses).map(([status, count]) => `${count} × ${status}`).join(", ")}`);
    console.log(`invoices created by the node during the run: ${(await invoiceCount(sim.url, sim.adminMacaroonHex)) - 1}`);
    if (paid.errors > 0) process.exitCode = 1;
  } finally {
    await mf.dispose();
    await Promise.all([sim.close(), origin.close()]);
  }
}

function report(name: string, result: LoadResult): void {
  console.log(`${name.padEnd(20)} ${result.requestsPerSecond.toFixed(0).padStart(6)} req/s  p50 ${result.p50Ms.toFixed(1).padStart(6)} ms  p99 ${result.p99Ms.toFixed(1).padStart(6)} ms  errors ${result.errors}  (${result.requests} requests)`);
}

async function invoiceCount(simUrl: string, macaroonHex: string): Promise<number> {
  const response = await fetch(`${simUrl}/v1/invoices?num_max_invoices=100000`, { headers: { "Grpc-Metadata-macaroon": macaroonHex } });
  return ((await response.json()) as { invoices: unknown[] }).invoices.length;
}

await main();
