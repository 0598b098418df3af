import { fastHmacSha256 } from "../../src/macaroon/index.ts";
import { createHmac } from "node:crypto";
import { chainNoble, chainWebCrypto, chainWith, sha256ManyBlocks, sha256OneBlock, verifyJsMacaroon, verifyOurs, verifyWarm } from "../verify-cases.ts";
import sha256Module from "./sha256.wasm";
import { wasmHmac } from "./wasm-hmac.ts";

/**
 * Runs `n` iterations of one case inside workerd. Timing is done by the caller:
 * workerd's clocks do not advance during synchronous work.
 */

/** workerd's node:crypto HMAC (BoringSSL), the Worker's choice before fast-hmac.ts measured faster. */
const nativeHmacSha256 = (key: Uint8Array, message: Uint8Array): Uint8Array => createHmac("sha256", key).update(message).digest();

const wasm = wasmHmac(sha256Module);
const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((byte, i) => byte === b[i]);

const CASES: Record<string, () => unknown> = {
  noop: () => true,
  "verify/ours": () => verifyOurs(),
  "verify/warm": verifyWarm,
  "verify/ours+native": () => verifyOurs(nativeHmacSha256),
  "verify/js-macaroon": verifyJsMacaroon,
  "chain/noble": chainNoble,
  "chain/fast": () => chainWith(fastHmacSha256),
  "chain/node-crypto": () => chainWith(nativeHmacSha256),
  "chain/web-crypto": () => chainWebCrypto(crypto.subtle),
  "chain/wasm": () => chainWith(wasm),
  "verify/ours+wasm": () => verifyOurs(wasm),
  "sha256/1 block": sha256OneBlock,
  "sha256/65 blocks": sha256ManyBlocks,
  // The WebAssembly chain must agree with ours before it is timed.
  "check/wasm": () => sameBytes(chainWith(wasm), chainWith(fastHmacSha256)),
};

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const run = CASES[url.searchParams.get("case") ?? ""];
    const n = Number(url.searchParams.get("n") ?? "0");
    if (run === undefined || !Number.isInteger(n) || n < 0) return new Response("unknown case", { status: 400 });
    let last: unknown;
    // Synchronous cases are not awaited: a microtask per call would be most of a warm verification.
    for (let i = 0; i < n; i++) {
      const value = run();
      last = value instanceof Promise ? await value : value;
    }
    return Response.json({ ok: last === true || last instanceof Uint8Array });
  },
};
