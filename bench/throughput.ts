import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deployBundle } from "../dev/deploy-bundle.ts";
import { startSimulator } from "../dev/lnd-sim/server.ts";
import { runLoad, type LoadResult } from "./load.ts";
import { request } from "undici";
import { bundleWorker, startWorkerd, startWorkerdGroup } from "../dev/workerd.ts";
import { paidAuthorization } from "./paid-token.ts";
import { BARE_WORKER, MINIMAL_PAYWALL_WORKER } from "./bare-worker.ts";
import { startJsonOrigin } from "./json-origin.ts";
import { median } from "./measure.ts";
import { cpuNanoseconds, withPid } from "./workerd-cpu.ts";

const CONCURRENCY = 32;
const ROUND_MS = 2000;
/** Many short rounds: on a shared machine one round can run far from the next, and a ratio is the median of each round's. */
const ROUNDS = 7;
/** What a balance token buys (sats), and what each request on it costs (msat): enough for every round. */
const CREDIT_SATS = 100_000;
const PRICE_MSAT = 1;

/**
 * Requests/s and latency on loopback: through the paywall Worker in workerd with
 * a valid token (warm: the same credential again and again, as a client
 * reusing its token sends) on each kind of paid service — one price (the
 * token alone: HMAC, no storage), `uses` (a TokenMeter Durable Object counts
 * each request) and `balance` (a TokenBalance Durable Object debits each
 * request's price) — the one-price route again through the Worker with the
 * operator's features on (metrics: a counter and an Analytics Engine data
 * point per decision; the payment context: an Ed25519 signature per paid
 * request), through the
 * same Worker with auth off for that route, through the template as deployed
 * (wrangler.toml's build) logging every request or 1% of those let through,
 * through a bare Worker that only forwards (twice: two identical Workers, whose
 * ratio is the run's own noise), and through a minimal paywall
 * Worker (bare-worker.ts: what a paid pass cannot leave out, with nothing
 * else). Every Worker runs in one workerd process, each answering its own Host
 * (startWorkerdGroup): in separate processes, identical Workers measured 20%
 * apart. Rounds alternate so drift on the machine affects every case alike.
 */
export async function benchThroughput(): Promise<void> {
  const origin = await startJsonOrigin();
  const originUrl = origin.url;
  const sim = await startSimulator();
  const script = await bundleWorker(new URL("../src/worker/index.ts", import.meta.url));
  const node = { L402_MASTER_KEYS: "55".repeat(32), LND_REST_URL: sim.url, LND_MACAROON: sim.paywallMacaroonHex, L402_NETWORK: "regtest" };
  const onePrice = JSON.stringify([{ name: "paid", match: ["/paid/*"], price_sats: 1, timeout: 3600, origin: { url: originUrl } }]);
  const paywall = {
    script,
    bindings: {
      ...node,
      L402_SERVICES: JSON.stringify([
        { name: "paid", match: ["/paid/*"], price_sats: 1, timeout: 3600, origin: { url: originUrl } },
        { name: "counted", match: ["/counted/*"], price_sats: 1, uses: 1_000_000, origin: { url: originUrl } },
        // The price is what each request debits (no cost header, no meter): one call to the balance, never a release.
        { name: "credit", match: ["/credit/*"], price_msat: PRICE_MSAT, balance: { amounts_sats: [CREDIT_SATS] }, origin: { url: originUrl } },
        { name: "free", match: ["/free/*"], price_sats: 1, auth: false, origin: { url: originUrl } },
      ]),
    },
    extras: { durableObjects: { L402_METER: "TokenMeter", L402_BALANCES: "TokenBalance" } },
  };
  // The tokens, bought once from a Worker of their own (same master key, same node): the minimal paywall compares the credential it is started with.
  const shop = await startWorkerd(paywall.script, paywall.bindings, paywall.extras);
  const buy = async (path: string) => ({ authorization: await paidAuthorization(new URL(path, shop.url), sim) });
  const [paid, counted, credit] = await Promise.all([buy("/paid/x"), buy("/counted/x"), buy("/credit/x")]).finally(() => shop.mf.dispose());
  // The same Worker with the operator's features on (metrics to an Analytics Engine dataset, and the signed payment context): its one-price round beside the one above.
  const contextKey = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as { privateKey: Parameters<typeof crypto.subtle.exportKey>[1] };
  const contextJwk = await crypto.subtle.exportKey("jwk", contextKey.privateKey);
  // The template as `wrangler deploy` builds it (wrangler.toml's defines: LND, no optional feature), logging every request (the default) or 1% of those let through (L402_LOG_PASSES).
  const out = mkdtempSync(join(tmpdir(), "l402-throughput-"));
  const templateScript = deployBundle(out);
  rmSync(out, { recursive: true, force: true });
  // wrangler.toml's compatibility flags (none), for the template and the Workers it is compared with; the full build runs with startWorkerd's default, nodejs_compat.
  const asDeployed = { compatibilityFlags: [] };
  const template = (logPasses: string) => ({ script: templateScript, bindings: { ...node, L402_LOG_PASSES: logPasses, L402_SERVICES: onePrice }, extras: asDeployed });
  const bare = { script: BARE_WORKER, bindings: { ORIGIN: originUrl }, extras: asDeployed };
  const workerd = await withPid(() => startWorkerdGroup({
    paywall,
    features: {
      script,
      bindings: { ...node, L402_CONTEXT_KEYS: JSON.stringify([{ ...contextJwk, kid: "bench" }]), L402_SERVICES: onePrice },
      extras: { analyticsEngineDatasets: { L402_ANALYTICS: { dataset: "l402_bench" } } },
    },
    template: template("all"),
    sampled: template("sample:0.01"),
    bare,
    again: bare,
    minimal: { script: MINIMAL_PAYWALL_WORKER, bindings: { ORIGIN: originUrl, CREDENTIAL: paid.authorization }, extras: asDeployed },
  }));
  const quiet = console.log;
  try {
    // "auth off, same header" sends the credential to the free route: it separates the
    // cost of carrying the header from the cost of checking it.
    const cases = {
      "one price (token only)": { worker: "paywall", path: "/paid/item", headers: paid, objectCalls: 0 },
      // The same token (same master key), through the Worker with metrics and the payment context on: a data point written and a context signed per paid request.
      "one price, features on": { worker: "features", path: "/paid/item", headers: paid, objectCalls: 0 },
      "uses (TokenMeter)": { worker: "paywall", path: "/counted/item", headers: counted, objectCalls: 1 },
      "balance (TokenBalance)": { worker: "paywall", path: "/credit/item", headers: credit, objectCalls: 1 },
      // The same token again (same master key), through the template as deployed.
      "template build": { worker: "template", path: "/paid/item", headers: paid, objectCalls: 0 },
      "template, 1% passes logged": { worker: "sampled", path: "/paid/item", headers: paid, objectCalls: 0 },
      "auth off, same Worker": { worker: "paywall", path: "/free/item", headers: {}, objectCalls: 0 },
      "auth off, same header": { worker: "paywall", path: "/free/item", headers: paid, objectCalls: 0 },
      "bare Worker, forwards": { worker: "bare", path: "/item", headers: {}, objectCalls: 0 },
      "the same bare Worker again": { worker: "again", path: "/item", headers: {}, objectCalls: 0 },
      "minimal paywall Worker": { worker: "minimal", path: "/item", headers: paid, objectCalls: 0 },
    } as const;
    type Case = keyof typeof cases;
    const results = Object.fromEntries(Object.keys(cases).map((name) => [name, [] as LoadResult[]])) as Record<Case, LoadResult[]>;
    // workerd's CPU per request (every Worker's and Durable Object's, one process) in each of a case's rounds.
    const cpuPerRequest = Object.fromEntries(Object.keys(cases).map((name) => [name, [] as number[]])) as Record<Case, number[]>;
    const inOrder = Object.entries(cases) as [Case, (typeof cases)[Case]][];
    for (let round = 0; round < ROUNDS; round++) {
      // Every other round backwards: a machine speeding up or slowing down within a round favours no case.
      for (const [name, { worker, path, headers }] of round % 2 === 0 ? inOrder : [...inOrder].reverse()) {
        const before = cpuNanoseconds(workerd.pid);
        const run = await runLoad({ url: new URL(path, workerd.url).href, headers: { ...headers, host: workerd.host(worker) }, concurrency: CONCURRENCY, durationMs: ROUND_MS, expectStatus: 200 });
        const after = cpuNanoseconds(workerd.pid);
        results[name].push(run);
        cpuPerRequest[name].push(before === undefined || after === undefined ? NaN : (after - before) / 1000 / run.requests);
      }
    }
    const summary = (runs: LoadResult[]) => ({
      rps: runs.reduce((sum, r) => sum + r.requestsPerSecond, 0) / runs.length,
      p50: runs.reduce((sum, r) => sum + r.p50Ms, 0) / runs.length,
      p99: runs.reduce((sum, r) => sum + r.p99Ms, 0) / runs.length,
      errors: runs.reduce((sum, r) => sum + r.errors, 0),
      requests: runs.reduce((sum, r) => sum + r.requests, 0),
    });
    quiet(`\nThrough one workerd on loopback, every Worker in it, concurrency ${CONCURRENCY}, ${ROUNDS} alternating rounds × ${ROUND_MS / 1000} s (a valid token on each paid route)`);
    quiet(`${"route".padEnd(26)}${"DO calls".padStart(9)}${"req/s".padStart(9)}${"p50 ms".padStart(9)}${"p99 ms".padStart(9)}${"CPU µs".padStart(9)}${"errors".padStart(8)}${"requests".padStart(10)}`);
    const summaries = Object.fromEntries(Object.entries(results).map(([name, runs]) => [name, summary(runs)])) as Record<Case, ReturnType<typeof summary>>;
    for (const [name, s] of Object.entries(summaries) as [Case, ReturnType<typeof summary>][]) {
      const cpuMicros = median(cpuPerRequest[name]);
      quiet(`${name.padEnd(26)}${String(cases[name].objectCalls).padStart(9)}${s.rps.toFixed(0).padStart(9)}${s.p50.toFixed(2).padStart(9)}${s.p99.toFixed(2).padStart(9)}${(Number.isNaN(cpuMicros) ? "n/a" : cpuMicros.toFixed(0)).padStart(9)}${String(s.errors).padStart(8)}${String(s.requests).padStart(10)}`);
    }
    // Each round's ratio, then their median: a round the machine slowed for one case alone counts once, not in full.
    const ratio = (of: Case, to: Case) => median(results[of].map((run, round) => run.requestsPerSecond / (results[to][round]?.requestsPerSecond ?? NaN))).toFixed(3);
    // The same by CPU: the bare Worker's CPU per request over the case's, so that 1 is as cheap and less is costlier.
    const cpuRatio = (of: Case, to: Case) => median(cpuPerRequest[of].map((micros, round) => (cpuPerRequest[to][round] ?? NaN) / micros)).toFixed(3);
    quiet(`Ratios of req/s, the median of the ${ROUNDS} rounds' own (by workerd's CPU per request, the bare Worker's over the case's, in brackets):`);
    quiet(`the same bare Worker twice (the run's own noise): ${ratio("the same bare Worker again", "bare Worker, forwards")} (${cpuRatio("the same bare Worker again", "bare Worker, forwards")})`);
    quiet(`paid / bare Worker by CPU: template build ${cpuRatio("template build", "bare Worker, forwards")}, with 1% of passes logged ${cpuRatio("template, 1% passes logged", "bare Worker, forwards")}; full build ${cpuRatio("one price (token only)", "bare Worker, forwards")}; the minimal paywall ${cpuRatio("minimal paywall Worker", "bare Worker, forwards")}`);
    quiet(`paid / bare Worker: template build ${ratio("template build", "bare Worker, forwards")}, with 1% of passes logged ${ratio("template, 1% passes logged", "bare Worker, forwards")}; full build ${ratio("one price (token only)", "bare Worker, forwards")}`);
    quiet(`the minimal paywall / bare Worker: ${ratio("minimal paywall Worker", "bare Worker, forwards")}; paid / the minimal paywall: template build ${ratio("template build", "minimal paywall Worker")}, with 1% of passes logged ${ratio("template, 1% passes logged", "minimal paywall Worker")}; full build ${ratio("one price (token only)", "minimal paywall Worker")}`);
    quiet(`one price / auth off (full build): ${ratio("one price (token only)", "auth off, same Worker")}`);
    quiet(`one price with metrics (Analytics Engine) + the payment context on / off: ${ratio("one price, features on", "one price (token only)")}`);
    quiet(`uses / one price: ${ratio("uses (TokenMeter)", "one price (token only)")}; balance / one price: ${ratio("balance (TokenBalance)", "one price (token only)")}`);
    quiet("DO calls: Durable Object calls per request on the paid path. One price: none (the token's HMAC alone). uses: one (TokenMeter counts the request). balance: one (TokenBalance reserves the price, which is the cost: nothing to release).");
    // The balance must have gone down by exactly the requests served: a path that skipped debits would show here.
    const check = await request(new URL("/credit/item", workerd.url), { headers: { ...credit, host: workerd.host("paywall") } });
    await check.body.dump();
    const served = results["balance (TokenBalance)"].reduce((sum, r) => sum + (r.statuses[200] ?? 0), 0) + 1;
    const expected = BigInt(CREDIT_SATS) * 1000n - BigInt(PRICE_MSAT) * BigInt(served);
    const left = check.headers["x-l402-balance"];
    quiet(`the balance token after ${served} paid requests: ${left} msat left, ${left === String(expected) ? "debited exactly" : `NOT debited exactly (expected ${expected})`}`);
    quiet("CPU µs: workerd's CPU time per request (Linux /proc), the median of the rounds': the Worker's and, here where they share its process, the Durable Objects'; on Cloudflare an object's time is its own.");
  } finally {
    await workerd.mf.dispose();
    await sim.close();
    origin.close();
  }
}
