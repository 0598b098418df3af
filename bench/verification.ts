import { createHmac } from "node:crypto";
import { fmt, median, microsPerCall } from "./measure.ts";
import { fastHmacSha256 } from "../src/macaroon/index.ts";
import { chainNoble, chainWebCrypto, chainWith, verifyJsMacaroon, verifyOurs } from "./verify-cases.ts";
import { bundleWorker, startWorkerd } from "../dev/workerd.ts";
import { sha256Wasm } from "./wasm-hmac.ts";

const ITERATIONS = 5000;
const ROUNDS = 7;

/** µs per verification of a 3-caveat token, and per HMAC chain, in Node and in workerd. */
export async function benchVerification(): Promise<void> {
  if (!verifyOurs() || !verifyJsMacaroon()) throw new Error("a verification case does not verify");
  const nodeHmac = (key: Uint8Array, message: Uint8Array) => new Uint8Array(createHmac("sha256", key).update(message).digest());
  const node = {
    "verify/ours": await microsPerCall(() => verifyOurs(), ITERATIONS, ROUNDS),
    "verify/ours+native": await microsPerCall(() => verifyOurs(nodeHmac), ITERATIONS, ROUNDS),
    "verify/js-macaroon": await microsPerCall(verifyJsMacaroon, ITERATIONS, ROUNDS),
    "chain/noble": await microsPerCall(chainNoble, ITERATIONS, ROUNDS),
    "chain/fast": await microsPerCall(() => chainWith(fastHmacSha256), ITERATIONS, ROUNDS),
    "verify/ours+fast": await microsPerCall(() => verifyOurs(fastHmacSha256), ITERATIONS, ROUNDS),
    "chain/node-crypto": await microsPerCall(() => chainWith(nodeHmac), ITERATIONS, ROUNDS),
    "chain/web-crypto": await microsPerCall(() => chainWebCrypto(crypto.subtle), ITERATIONS, ROUNDS),
  };
  const workerd = await inWorkerd([...Object.keys(node), "chain/wasm", "verify/ours+wasm"]);

  console.log(`\nToken verification, 3 caveats (median of ${ROUNDS} rounds × ${ITERATIONS})`);
  console.log(`${"case".padEnd(22)}${"Node".padStart(11)}${"workerd".padStart(11)}`);
  for (const name of Object.keys(workerd)) {
    console.log(`${name.padEnd(22)}${name in node ? fmt(node[name as keyof typeof node]) : "        —   "}${fmt(workerd[name] ?? NaN)}`);
  }
  const ratio = (where: Record<string, number>) => ((where["verify/js-macaroon"] ?? NaN) / (where["verify/ours"] ?? NaN)).toFixed(1);
  console.log(`ours (noble) is ${ratio(node)}× faster than js-macaroon in Node, ${ratio(workerd)}× in workerd`);
  const native = (where: Record<string, number>) =>
    ((where["verify/js-macaroon"] ?? NaN) / (where["verify/ours+native"] ?? NaN)).toFixed(1);
  console.log(`ours with the native HMAC (what the Worker runs) is ${native(workerd)}× faster than js-macaroon in workerd`);
}

/**
 * workerd's clocks stand still during synchronous work, so each case runs `n`
 * times inside one request and is timed from here, minus an empty loop.
 */
async function inWorkerd(cases: string[]): Promise<Record<string, number>> {
  // js-macaroon and tweetnacl are CommonJS and require() Node built-ins; esbuild's
  // require shim uses a module-scope `require` when one exists.
  const script = await bundleWorker(
    new URL("./worker/index.ts", import.meta.url),
    'import * as __util from "node:util"; import * as __crypto from "node:crypto"; const require = (m) => ({ util: __util, crypto: __crypto })[m];',
  );
  const { mf } = await startWorkerd(script, {}, {}, { "sha256.wasm": sha256Wasm() });
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
      await timeRequest(name, 2000);
      const samples: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const elapsed = (await timeRequest(name, ITERATIONS)) - (await timeRequest("noop", ITERATIONS));
        samples.push((elapsed * 1000) / ITERATIONS);
      }
      results[name] = median(samples);
    }
    return results;
  } finally {
    await mf.dispose();
  }
}
