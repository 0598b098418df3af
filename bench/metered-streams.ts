import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Agent, request } from "undici";
import { startSimulator } from "../dev/lnd-sim/server.ts";
import { bundleWorker, startWorkerd } from "../dev/workerd.ts";
import { openAiCompletion } from "./completion.ts";
import { median } from "./measure.ts";
import { paidAuthorization } from "./paid-token.ts";
import { cpuNanoseconds, withPid } from "./workerd-cpu.ts";

const ROUNDS = 7;
const BODY_BYTES = 32 * 1024 * 1024;

/** A chunk of completion.ts's is 185 to 187 bytes: this many make about BODY_BYTES. */
const COMPLETION_TOKENS = Math.floor(BODY_BYTES / 186);

/** A Worker that only forwards (the body never enters JavaScript): the floor any Worker in front of an origin pays. */
const BARE_WORKER = `export default {
  fetch(request, env) {
    const url = new URL(request.url);
    return fetch(env.ORIGIN + url.pathname + url.search);
  },
};`;

/** What each case costs beyond the forwarding, said beside its figures. */
const CASES = [
  { name: "paywall, no meter", path: "plain", note: "1 DO call (the reservation, which is the cost); the body is piped natively" },
  {
    name: "paywall, metered",
    path: "metered",
    note: "DO calls: the reservation (1,000 sats), a lease when the cost passes it, a release at the end: 3 for the download (1,638 sats), 4 for the completion (4,387 sats); the body passes through meterStream",
  },
  { name: "bare Worker, native", path: "bare", note: "no paywall; the body is piped natively" },
  { name: "bare Worker, JS stream", path: "js", note: "no paywall; the body read as meterStream reads it, nothing counted" },
] as const;
type CaseName = (typeof CASES)[number]["name"];

/**
 * Streamed throughput through the paywall Worker in workerd, one body at a
 * time on loopback: a 32 MiB download priced per KiB, and a 32 MiB OpenAI
 * chat completion (about 180,000 events) priced per token from the usage it
 * reports, each on a balance service with `meter`, against the same body
 * through a balance service without one, and through bare Workers (one that
 * pipes, one that reads the body in JavaScript as meterStream does, to show
 * what any JavaScript stream costs in workerd). Rounds alternate so drift on
 * the machine affects every case alike; MB/s from the request to the last
 * byte, and the CPU time workerd spent on the body (workerd-cpu.ts), the
 * median of the rounds.
 */
export async function benchMeteredStreams(): Promise<void> {
  const bodies = {
    bytes: { type: "application/octet-stream", bytes: Buffer.alloc(BODY_BYTES, 0x5a) },
    sse: { type: "text/event-stream", bytes: Buffer.from(openAiCompletion(COMPLETION_TOKENS)) },
  } as const;
  // An event stream has no Content-Length, as an LLM API sends it; a download has one.
  const origin = createServer((incoming, response) => {
    const body = incoming.url?.endsWith("/sse") === true ? bodies.sse : bodies.bytes;
    response.writeHead(200, { "content-type": body.type, ...(body === bodies.bytes ? { "content-length": String(body.bytes.length) } : {}) });
    response.end(body.bytes);
  });
  await new Promise<void>((resolve) => origin.listen(0, "127.0.0.1", resolve));
  const originUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
  const sim = await startSimulator();
  const balance = { amounts_sats: [1_000_000] };
  const meter = { per_kib_msat: 50, per_1k_input_tokens_msat: 3000, per_1k_output_tokens_msat: 15000 };
  const paywallScript = await bundleWorker(new URL("../src/worker/index.ts", import.meta.url));
  const paywall = await withPid(() => startWorkerd(
    paywallScript,
    {
      L402_MASTER_KEYS: "56".repeat(32),
      LND_REST_URL: sim.url,
      LND_MACAROON: sim.paywallMacaroonHex,
      L402_NETWORK: "regtest",
      L402_SERVICES: JSON.stringify([
        // The download's bytes are priced (its Content-Type is not an event stream); the completion's tokens (and its bytes: the same meter).
        { name: "metered", match: ["/metered/*"], price_msat: 1, max_cost_sats: 1000, balance, meter, origin: { url: originUrl } },
        { name: "plain", match: ["/plain/*"], price_msat: 1, balance, origin: { url: originUrl } },
      ]),
    },
    { durableObjects: { L402_BALANCES: "TokenBalance" } },
  ));
  const bare = await withPid(() => startWorkerd(BARE_WORKER, { ORIGIN: originUrl }));
  const jsScript = await bundleWorker(new URL("./worker/js-forward.ts", import.meta.url));
  const js = await withPid(() => startWorkerd(jsScript, { ORIGIN: originUrl }));
  const dispatcher = new Agent({ connections: 1 });
  try {
    const authorization = {
      metered: await paidAuthorization(new URL("/metered/bytes", paywall.url), sim),
      plain: await paidAuthorization(new URL("/plain/bytes", paywall.url), sim),
    };
    const target = (path: (typeof CASES)[number]["path"], body: keyof typeof bodies) => {
      if (path === "bare") return { worker: bare, url: new URL(`/${body}`, bare.url), headers: {} };
      if (path === "js") return { worker: js, url: new URL(`/${body}`, js.url), headers: {} };
      return { worker: paywall, url: new URL(`/${path}/${body}`, paywall.url), headers: { authorization: authorization[path] } };
    };
    /** MB/s from the request to the last byte, and the CPU time workerd spent on the body (undefined off Linux). */
    const stream = async (path: (typeof CASES)[number]["path"], body: keyof typeof bodies): Promise<{ mbPerSecond: number; cpuMs: number | undefined }> => {
      const { worker, url, headers } = target(path, body);
      const cpuBefore = cpuNanoseconds(worker.pid);
      const start = performance.now();
      const response = await request(url.href, { headers, dispatcher });
      let received = 0;
      for await (const chunk of response.body) received += (chunk as Buffer).length;
      const ms = performance.now() - start;
      const cpuAfter = cpuNanoseconds(worker.pid);
      if (response.statusCode !== 200 || received !== bodies[body].bytes.length) throw new Error(`${path}/${body}: HTTP ${response.statusCode}, ${received} of ${bodies[body].bytes.length} bytes`);
      return { mbPerSecond: received / 1e3 / ms, cpuMs: cpuBefore === undefined || cpuAfter === undefined ? undefined : (cpuAfter - cpuBefore) / 1e6 };
    };
    const rates = new Map<string, number[]>();
    const cpu = new Map<string, number[]>();
    for (let round = 0; round <= ROUNDS; round++) {
      for (const body of Object.keys(bodies) as (keyof typeof bodies)[]) {
        for (const { name, path } of CASES) {
          const { mbPerSecond, cpuMs } = await stream(path, body);
          // Round 0 warms the isolates, the sockets and the JIT.
          if (round === 0) continue;
          rates.set(`${body} ${name}`, [...(rates.get(`${body} ${name}`) ?? []), mbPerSecond]);
          if (cpuMs !== undefined) cpu.set(`${body} ${name}`, [...(cpu.get(`${body} ${name}`) ?? []), cpuMs]);
        }
      }
    }
    const rate = (body: keyof typeof bodies, name: CaseName) => median(rates.get(`${body} ${name}`) ?? []);
    const cpuOf = (body: keyof typeof bodies, name: CaseName): number | undefined => {
      const samples = cpu.get(`${body} ${name}`);
      return samples === undefined ? undefined : median(samples);
    };
    const column = (rateOf: number, cpuMs: number | undefined) => `${rateOf.toFixed(0).padStart(7)} MB/s ${cpuMs === undefined ? "" : `${cpuMs.toFixed(0).padStart(5)} ms`}`.padEnd(22);
    console.log(`\nMetered streams through workerd on loopback, one 32 MiB body at a time, median of ${ROUNDS} alternating rounds: MB/s from request to last byte, and workerd's CPU time per body`);
    console.log(`${"".padEnd(24)}${"download, per KiB".padEnd(22)}${"completion, per token (~180,000 events)"}`);
    for (const { name } of CASES) console.log(`${name.padEnd(24)}${column(rate("bytes", name), cpuOf("bytes", name))}${column(rate("sse", name), cpuOf("sse", name))}`);
    /** metered ÷ another, in MB/s and in bodies per CPU second (the inverse ratio of CPU times). */
    const ratio = (body: keyof typeof bodies, of: CaseName) => {
      const metered = cpuOf(body, "paywall, metered");
      const other = cpuOf(body, of);
      return `${(rate(body, "paywall, metered") / rate(body, of)).toFixed(2).padStart(7)} wall ${metered === undefined || other === undefined ? "" : `${(other / metered).toFixed(2)} CPU`}`.padEnd(22);
    };
    console.log(`${"metered / no meter".padEnd(24)}${ratio("bytes", "paywall, no meter")}${ratio("sse", "paywall, no meter")}`);
    console.log(`${"metered / JS stream".padEnd(24)}${ratio("bytes", "bare Worker, JS stream")}${ratio("sse", "bare Worker, JS stream")}`);
    const meteredCpu = cpuOf("sse", "paywall, metered");
    const jsCpu = cpuOf("sse", "bare Worker, JS stream");
    if (meteredCpu !== undefined && jsCpu !== undefined) console.log(`metering's own CPU in workerd (metered less JS stream, completion): ${(((meteredCpu - jsCpu) * 1e6) / COMPLETION_TOKENS).toFixed(0)} ns per event`);
    for (const { name, note } of CASES) console.log(`  ${name}: ${note}`);
  } finally {
    await dispatcher.close();
    await Promise.all([paywall.mf.dispose(), bare.mf.dispose(), js.mf.dispose()]);
    await sim.close();
    origin.close();
  }
}
