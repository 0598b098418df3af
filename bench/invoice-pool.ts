import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { bundleWorker, startWorkerd } from "../dev/workerd.ts";
import { runLoad, type LoadResult } from "./load.ts";
import { median } from "./measure.ts";

/** The node's distance, and how much it varies call to call. */
const LATENCY_MS = 150;
const JITTER_MS = 20;
/** What the rate-limited node makes, at most (the rest queue: dev/lnd-sim/pace.ts). */
const NODE_INVOICES_PER_SECOND = 50;
const POOL_SIZE = 100;
const POOL_RATE = 100;
const ROUNDS = 3;
const REQUESTS_PER_ROUND = 60;
/** Unpaid requests arrive one at a time, this far apart: a pace the pool keeps up with (each take's refill is a node call away). */
const GAP_MS = 20;
const LOAD_SECONDS = 8;
const LOAD_CLIENTS = 16;

type Stack = Awaited<ReturnType<typeof startWorkerd>> & { readonly name: string };

/**
 * Challenge issuance with the node far away: the LND simulator answering each
 * call after 150 ± 20 ms, the template Worker in workerd. Three ways a 402 is
 * answered: a fresh invoice from the node (no pool, no cache), an invoice
 * from the pool (from the isolate's buffer, topped up after the answer from
 * the pool's Durable Object in the same workerd), and a client's own recent challenge (the
 * challenge cache, a hit). Rounds alternate between them. Then the node is
 * also limited to 50 invoices/s, and 16 clients ask as fast as they are
 * answered for 8 s: how many 402s a second the whole stack gives with and
 * without the pool (fresh clients each request), and with the cache (clients
 * asking again). The simulator runs in a process of its own: its invoices'
 * signatures would otherwise run in the event loop that times the requests.
 */
export async function benchInvoicePool(): Promise<void> {
  const sim = await startSimulatorProcess(["--latency-ms", String(LATENCY_MS), "--jitter-ms", String(JITTER_MS)]);
  const script = await bundleWorker(new URL("../src/worker/index.ts", import.meta.url));
  const base = {
    L402_MASTER_KEYS: "5a".repeat(32),
    L402_NETWORK: "regtest",
    LND_REST_URL: sim.url,
    LND_MACAROON: sim.paywallMacaroonHex,
    L402_SERVICES: JSON.stringify([{ name: "paid", match: ["/paid/*"], price_sats: 1, origin: { url: "http://127.0.0.1:9" } }]),
    // A queue at the node is waited for, not given up on, in the load below.
    L402_NODE_TIMEOUT_MS: "10000",
  };
  const pool = { L402_INVOICE_POOL_SIZE: String(POOL_SIZE), L402_INVOICE_POOL_RATE: String(POOL_RATE), L402_CHALLENGE_CACHE_SECONDS: "0" };
  const start = async (name: string, vars: Record<string, string>): Promise<Stack> => ({
    name,
    ...(await startWorkerd(script, { ...base, ...vars }, { durableObjects: { L402_INVOICE_POOL: { className: "InvoicePoolShard", useSQLite: true } } })),
  });
  const stacks = [await start("node (no pool)", { L402_CHALLENGE_CACHE_SECONDS: "0" }), await start("pool", pool), await start("challenge cache hit", { L402_CHALLENGE_CACHE_SECONDS: "300" })];
  try {
    const samples = await issuanceLatency(stacks);
    console.log(`\nChallenge issuance with the node ${LATENCY_MS} ± ${JITTER_MS} ms away (LND simulator), through workerd, one request each ${GAP_MS} ms, ${ROUNDS} alternating rounds × ${REQUESTS_PER_ROUND}; pool of ${POOL_SIZE}`);
    console.log(`${"402 from".padEnd(24)}${"p50 ms".padStart(9)}${"p90 ms".padStart(9)}${"p99 ms".padStart(9)}`);
    for (const [name, values] of samples) console.log(`${name.padEnd(24)}${median(values).toFixed(2).padStart(9)}${quantile(values, 0.9).toFixed(2).padStart(9)}${quantile(values, 0.99).toFixed(2).padStart(9)}`);

    await fetch(`${sim.url}/_sim/faults`, { method: "POST", body: JSON.stringify({ invoicesPerSecond: NODE_INVOICES_PER_SECOND }) });
    console.log(`\nSustained: ${LOAD_CLIENTS} clients for ${LOAD_SECONDS} s against the same node limited to ${NODE_INVOICES_PER_SECOND} invoices/s (the rest queue); pool of ${POOL_SIZE} filled first`);
    console.log(`${"402 from".padEnd(24)}${"402/s".padStart(8)}${"other/s".padStart(9)}${"p50 ms".padStart(9)}${"p99 ms".padStart(9)}${"node invoices/s".padStart(17)}`);
    for (const stack of stacks) {
      const before = await invoiceCount(sim);
      const result = await runLoad({ url: new URL(`/paid/${stack.name === "challenge cache hit" ? "again" : "fresh"}`, stack.url).href, concurrency: LOAD_CLIENTS, durationMs: LOAD_SECONDS * 1000, expectStatus: 402 });
      report(stack.name, result, ((await invoiceCount(sim)) - before) / LOAD_SECONDS);
      // The queue the run left at the node drains before the next.
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  } finally {
    await Promise.all(stacks.map((stack) => stack.mf.dispose()));
    sim.stop();
  }
}

interface SimulatorProcess {
  readonly url: string;
  readonly paywallMacaroonHex: string;
  stop(): void;
}

/** `npm run lnd-sim` with these flags, in a child process: its first line says where it is. */
async function startSimulatorProcess(flags: readonly string[]): Promise<SimulatorProcess> {
  const child = spawn(process.execPath, [new URL("../dev/lnd-sim/main.ts", import.meta.url).pathname, "--port", "0", ...flags], { stdio: ["ignore", "pipe", "inherit"] });
  const [line] = (await once(createInterface({ input: child.stdout }), "line")) as [string];
  const { url, paywallMacaroon } = JSON.parse(line) as { url: string; paywallMacaroon: string };
  return { url, paywallMacaroonHex: paywallMacaroon, stop: () => void child.kill() };
}

/** Milliseconds per 402, per stack, in alternating rounds. The pool and the cache are warmed first. */
async function issuanceLatency(stacks: readonly Stack[]): Promise<Map<string, number[]>> {
  const samples = new Map<string, number[]>(stacks.map((stack) => [stack.name, []]));
  const issue = async (stack: Stack, into?: number[]) => {
    // The cache's client asks for one path again and again; the others a new one each time (a new buyer).
    const path = stack.name === "challenge cache hit" ? "/paid/again" : `/paid/${crypto.randomUUID()}`;
    const startedAt = performance.now();
    const response = await fetch(new URL(path, stack.url));
    const body = await response.text();
    if (response.status !== 402) throw new Error(`${stack.name}: expected a 402, got ${response.status}: ${body.slice(0, 200)}`);
    into?.push(performance.now() - startedAt);
    await new Promise((resolve) => setTimeout(resolve, GAP_MS));
  };
  // The pool grows by one a take (invoice-pool-shard.ts), and the isolate's buffer takes from it every other challenge (paywall/pool-buffer.ts): twice as many challenges as it holds fill it.
  for (const stack of stacks) for (let i = 0; i < (stack.name === "pool" ? 2 * POOL_SIZE : 5); i++) await issue(stack);
  for (let round = 0; round < ROUNDS; round++) {
    for (const stack of stacks) for (let i = 0; i < REQUESTS_PER_ROUND; i++) await issue(stack, samples.get(stack.name));
  }
  return samples;
}

const quantile = (values: readonly number[], q: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * q))] as number;

function report(name: string, result: LoadResult, nodeInvoicesPerSecond: number): void {
  const seconds = result.requests / result.requestsPerSecond;
  const answered = (result.statuses[402] ?? 0) / seconds;
  const other = (result.requests - (result.statuses[402] ?? 0)) / seconds;
  console.log(`${name.padEnd(24)}${answered.toFixed(0).padStart(8)}${other.toFixed(0).padStart(9)}${result.p50Ms.toFixed(1).padStart(9)}${result.p99Ms.toFixed(1).padStart(9)}${nodeInvoicesPerSecond.toFixed(0).padStart(17)}`);
}

async function invoiceCount(sim: SimulatorProcess): Promise<number> {
  const response = await fetch(`${sim.url}/_sim/stats`);
  return ((await response.json()) as { invoices: number }).invoices;
}
