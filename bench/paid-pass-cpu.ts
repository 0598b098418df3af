import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { deployBundle } from "../dev/deploy-bundle.ts";
import { startSimulator } from "../dev/lnd-sim/server.ts";
import { bundleWorker, startWorkerd } from "../dev/workerd.ts";
import { BARE_WORKER, MINIMAL_PAYWALL_WORKER } from "./bare-worker.ts";
import { startJsonOrigin } from "./json-origin.ts";
import { median } from "./measure.ts";
import { paidAuthorization } from "./paid-token.ts";
import { cpuNanoseconds, withPid } from "./workerd-cpu.ts";

/** Passes per call: a Worker's request may make 1,000 subrequests, each pass one. */
const PASSES = 500;
const ROUNDS = 9;

/**
 * The loop, run inside one workerd request: `passes` requests handed to one of
 * the Workers in turn (as the runtime hands a Worker its request, without a
 * client connection), each answer read whole. The Workers' own origin fetches
 * are real: sockets to the origin on loopback. A call without `case` is passed
 * to the template, to buy its token.
 */
const LOOP_ENTRY = `
import template from "./template.js";
import bare from "./bare.js";
import minimal from "./minimal.js";
const envs = new Map();
const envFor = (name, env, authorization) => {
  let made = envs.get(name);
  if (made === undefined) {
    made = name === "sampled" ? { ...env, L402_LOG_PASSES: "sample:0.01" } : name === "minimal" ? { ORIGIN: env.ORIGIN, CREDENTIAL: authorization } : env;
    envs.set(name, made);
  }
  return made;
};
const workers = { bare, minimal, template, sampled: template };
export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    const name = url.searchParams.get("case");
    if (name === null) return template.fetch(request, env, ctx);
    const worker = workers[name];
    const authorization = request.headers.get("authorization");
    const headers = { authorization, accept: "*/*", "user-agent": "bench", "cf-connecting-ip": "203.0.113.9" };
    const passes = Number(url.searchParams.get("passes"));
    for (let i = 0; i < passes; i++) {
      const answer = await worker.fetch(new Request("https://paywall.bench/paid/item", { headers }), envFor(name, env, authorization), ctx);
      if (answer.status !== 200) return new Response(name + " answered " + answer.status + ": " + (await answer.text()), { status: 500 });
      await answer.arrayBuffer();
    }
    return new Response("done");
  },
};
`;

/**
 * workerd's CPU per paid pass, with the client's connection left out: the
 * throughput run (throughput.ts) carries the cost of a connection to the
 * Worker per request, alike in every case, and rounds whose machine noise is
 * larger than the gap between cases. Here one request to workerd runs 500
 * passes through a Worker, each a real fetch to the origin, and the process's
 * CPU time (Linux /proc) over them is divided by 500: the bare forward, the
 * minimal paywall (bare-worker.ts) and the template as deployed, logging
 * every pass or 1% (L402_LOG_PASSES). Parts of a pass measured this way (a
 * timer, a log line) moved 10–20 µs from run to run; these four cases' ratios
 * moved a few hundredths.
 */
export async function benchPaidPassCpu(): Promise<void> {
  const origin = await startJsonOrigin();
  const originUrl = origin.url;
  const sim = await startSimulator();
  const dir = mkdtempSync(join(tmpdir(), "l402-pass-cpu-"));
  let script: string;
  try {
    writeFileSync(join(dir, "template.js"), deployBundle(join(dir, "out")));
    writeFileSync(join(dir, "bare.js"), BARE_WORKER);
    writeFileSync(join(dir, "minimal.js"), MINIMAL_PAYWALL_WORKER);
    writeFileSync(join(dir, "entry.js"), LOOP_ENTRY);
    script = await bundleWorker(pathToFileURL(join(dir, "entry.js")));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const bindings = {
    ORIGIN: originUrl,
    L402_MASTER_KEYS: "55".repeat(32),
    LND_REST_URL: sim.url,
    LND_MACAROON: sim.paywallMacaroonHex,
    L402_NETWORK: "regtest",
    L402_SERVICES: JSON.stringify([{ name: "paid", match: ["/paid/*"], price_sats: 1, timeout: 3600, origin: { url: originUrl } }]),
  };
  // wrangler.toml's compatibility flags (none), as the throughput run gives the template.
  const workerd = await withPid(() => startWorkerd(script, bindings, { compatibilityFlags: [] }));
  const quiet = console.log;
  try {
    const authorization = await paidAuthorization(new URL("/paid/item", workerd.url), sim);
    const cases = {
      "bare forward": "bare",
      "minimal paywall": "minimal",
      "template build": "template",
      "template, 1% of passes logged": "sampled",
    } as const;
    type Case = keyof typeof cases;
    const micros = Object.fromEntries(Object.keys(cases).map((name) => [name, [] as number[]])) as Record<Case, number[]>;
    const inOrder = Object.keys(cases) as Case[];
    const run = async (name: Case) => {
      const response = await fetch(new URL(`/loop?case=${cases[name]}&passes=${PASSES}`, workerd.url), { headers: { authorization }, signal: AbortSignal.timeout(60_000) });
      const text = await response.text();
      if (text !== "done") throw new Error(`paid pass CPU, ${name}: ${text.slice(0, 300)}`);
    };
    // One call each first: every Worker's code compiled and its app built before anything is counted.
    for (const name of inOrder) await run(name);
    for (let round = 0; round < ROUNDS; round++) {
      for (const name of round % 2 === 0 ? inOrder : [...inOrder].reverse()) {
        const before = cpuNanoseconds(workerd.pid);
        await run(name);
        const after = cpuNanoseconds(workerd.pid);
        micros[name].push(before === undefined || after === undefined ? NaN : (after - before) / 1000 / PASSES);
      }
    }
    const cpu = (name: Case) => median(micros[name]);
    // Each round's bare CPU over the case's, then their median: 1 is as cheap as the bare forward.
    const ratio = (name: Case) => median(micros[name].map((value, round) => (micros["bare forward"][round] ?? NaN) / value)).toFixed(3);
    quiet(`\nCPU per paid pass inside workerd, no client connection (one request runs ${PASSES} passes through a Worker, each a real fetch to the origin on loopback; workerd's CPU over them, median of ${ROUNDS} alternating rounds)`);
    if (Number.isNaN(cpu("bare forward"))) {
      quiet("no figure: workerd's CPU time is read from Linux /proc");
      return;
    }
    quiet(`${"case".padEnd(32)}${"CPU µs".padStart(8)}${"over bare".padStart(11)}${"bare / case".padStart(13)}`);
    for (const name of inOrder) quiet(`${name.padEnd(32)}${cpu(name).toFixed(1).padStart(8)}${(cpu(name) - cpu("bare forward")).toFixed(1).padStart(11)}${ratio(name).padStart(13)}`);
    quiet("Add a client connection's CPU (the throughput run's bare CPU per request less this run's bare forward) to each case for what a client's request costs.");
  } finally {
    await workerd.mf.dispose();
    await sim.close();
    origin.close();
  }
}
