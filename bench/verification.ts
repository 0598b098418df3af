import { createHmac } from "node:crypto";
import { fmt, median, microsPerCall } from "./measure.ts";
import { fastHmacSha256 } from "../src/macaroon/index.ts";
import {
  chainNoble,
  chainWebCrypto,
  chainWith,
  coldVerifyCompressions,
  SHA256_BLOCKS_APART,
  sha256ManyBlocks,
  sha256OneBlock,
  verifyJsMacaroon,
  verifyOurs,
  verifyWarm,
} from "./verify-cases.ts";
import { bundleWorker, startWorkerd } from "../dev/workerd.ts";
import { sha256Wasm } from "./wasm-hmac.ts";

const ITERATIONS = 5000;
const ROUNDS = 7;

/**
 * µs per verification of a 3-caveat token (cold: decode, preimage, root key,
 * HMAC chain, caveats; warm: a credential already proven), and per HMAC chain
 * with each HMAC on offer, in Node and inside workerd; and the cold
 * verification's floor: the SHA-256 compressions it needs, each at the cost of
 * one compression of the same SHA-256, measured in the same run; and cold ÷
 * floor again from rounds that time both back to back (coldOverFloor).
 */
export async function benchVerification(): Promise<void> {
  if (!verifyOurs() || !verifyWarm() || !verifyJsMacaroon()) throw new Error("a verification case does not verify");
  const nodeHmac = (key: Uint8Array, message: Uint8Array) => new Uint8Array(createHmac("sha256", key).update(message).digest());
  const node: Record<string, number> = {
    "verify/ours": await microsPerCall(() => verifyOurs(), ITERATIONS, ROUNDS),
    "verify/warm": await microsPerCall(verifyWarm, ITERATIONS * 10, ROUNDS),
    "verify/ours+native": await microsPerCall(() => verifyOurs(nodeHmac), ITERATIONS, ROUNDS),
    "verify/js-macaroon": await microsPerCall(verifyJsMacaroon, ITERATIONS, ROUNDS),
    "chain/fast": await microsPerCall(() => chainWith(fastHmacSha256), ITERATIONS, ROUNDS),
    "chain/node-crypto": await microsPerCall(() => chainWith(nodeHmac), ITERATIONS, ROUNDS),
    "chain/noble": await microsPerCall(chainNoble, ITERATIONS, ROUNDS),
    "chain/web-crypto": await microsPerCall(() => chainWebCrypto(crypto.subtle), ITERATIONS, ROUNDS),
    "sha256/1 block": await microsPerCall(sha256OneBlock, ITERATIONS * 10, ROUNDS),
    "sha256/65 blocks": await microsPerCall(sha256ManyBlocks, ITERATIONS, ROUNDS),
  };
  const nodeCases: Record<string, () => unknown> = { "verify/ours": () => verifyOurs(), "sha256/1 block": sha256OneBlock, "sha256/65 blocks": sha256ManyBlocks };
  const nodeColdOverFloor = await coldOverFloor(async (name, n) => {
    const run = nodeCases[name] as () => unknown;
    const start = performance.now();
    for (let i = 0; i < n; i++) run();
    return ((performance.now() - start) * 1000) / n;
  });
  const { results: workerd, coldOverFloor: workerdColdOverFloor } = await inWorkerd([...Object.keys(node), "verify/ours+wasm", "chain/wasm"]);

  console.log(`\nToken verification, 3 caveats (median of ${ROUNDS} rounds)`);
  console.log(`${"case".padEnd(22)}${"Node".padStart(11)}${"workerd".padStart(11)}`);
  for (const name of Object.keys(workerd)) {
    console.log(`${name.padEnd(22)}${name in node ? fmt(node[name] as number) : "        —   "}${fmt(workerd[name] ?? NaN)}`);
  }
  const ratio = (a: string, b: string) => ((workerd[a] ?? NaN) / (workerd[b] ?? NaN)).toFixed(1);
  console.log(`in workerd, cold: ${ratio("verify/js-macaroon", "verify/ours")}× faster than js-macaroon; warm: ${ratio("verify/ours", "verify/warm")}× faster than cold`);
  console.log(`HMAC chain in workerd: fast-hmac ${ratio("chain/node-crypto", "chain/fast")}× faster than node:crypto, ${ratio("chain/wasm", "chain/fast")}× than WebAssembly (hash-wasm)`);
  const compressions = coldVerifyCompressions();
  for (const [where, times, interleaved] of [["Node", node, nodeColdOverFloor], ["workerd", workerd, workerdColdOverFloor]] as const) {
    const floor = compressions * compressionMicros(times["sha256/1 block"] ?? NaN, times["sha256/65 blocks"] ?? NaN);
    console.log(`cold floor in ${where}: ${compressions} SHA-256 compressions = ${floor.toFixed(2)} µs; cold / floor ${((times["verify/ours"] ?? NaN) / floor).toFixed(2)}×, and ${interleaved.toFixed(2)}× as the median of ${FLOOR_ROUNDS} rounds each timing both`);
  }
}

/** One compression alone, without a call's set-up and the digest's allocation: the slope between 65 blocks and 1. */
const compressionMicros = (oneBlock: number, manyBlocks: number): number => (manyBlocks - oneBlock) / SHA256_BLOCKS_APART;

/** µs per call of the named case, run `n` times. */
type TimeCase = (name: string, n: number) => Promise<number>;

const FLOOR_ROUNDS = 15;

/**
 * Cold verification ÷ its floor, with the two timed back to back in each round
 * (the verification, then the SHA-256 cases the floor is read from), median of
 * the rounds' own ratios: on a shared machine, cases timed minutes apart
 * drifted apart more than the gap being measured.
 */
async function coldOverFloor(time: TimeCase): Promise<number> {
  const compressions = coldVerifyCompressions();
  const ratios: number[] = [];
  for (let round = 0; round < FLOOR_ROUNDS; round++) {
    const cold = await time("verify/ours", ITERATIONS);
    const compression = compressionMicros(await time("sha256/1 block", ITERATIONS * 4), await time("sha256/65 blocks", ITERATIONS / 4));
    ratios.push(cold / (compressions * compression));
  }
  return median(ratios);
}

/**
 * workerd's clocks stand still during synchronous work, so each case runs `n`
 * times inside one request and is timed from here, minus an empty loop.
 */
async function inWorkerd(cases: string[]): Promise<{ results: Record<string, number>; coldOverFloor: number }> {
  // js-macaroon and tweetnacl are CommonJS and require() Node built-ins; esbuild's
  // require shim uses a module-scope `require` when one exists.
  const script = await bundleWorker(
    new URL("./worker/index.ts", import.meta.url),
    'import * as __util from "node:util"; import * as __crypto from "node:crypto"; const require = (m) => ({ util: __util, crypto: __crypto })[m];',
  );
  const { mf } = await startWorkerd(script, {}, { wasmModules: { "sha256.wasm": sha256Wasm() } });
  try {
    const timeRequest = async (name: string, n: number): Promise<number> => {
      const start = performance.now();
      const response = await mf.dispatchFetch(`http://bench/?case=${encodeURIComponent(name)}&n=${n}`);
      const body = (await response.json()) as { ok: boolean };
      if (!body.ok) throw new Error(`${name} failed inside workerd`);
      return performance.now() - start;
    };
    await timeRequest("check/wasm", 1);
    const results: Record<string, number> = {};
    for (const name of cases) {
      // Sub-microsecond work needs more iterations to stand out of a request's own cost.
      const n = name === "verify/warm" ? ITERATIONS * 40 : ITERATIONS;
      // workerd's JIT takes a few rounds' worth of calls to settle: rounds timed before that ran slower, in old code and new alike.
      await timeRequest(name, n * 4);
      const samples: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const elapsed = (await timeRequest(name, n)) - (await timeRequest("noop", n));
        samples.push((elapsed * 1000) / n);
      }
      results[name] = median(samples);
    }
    const perCall: TimeCase = async (name, n) => (((await timeRequest(name, n)) - (await timeRequest("noop", n))) * 1000) / n;
    return { results, coldOverFloor: await coldOverFloor(perCall) };
  } finally {
    await mf.dispose();
  }
}
