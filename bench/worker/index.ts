import { nativeHmacSha256 } from "../../src/worker/native-hmac.ts";
import { chainNoble, chainWebCrypto, chainWith, verifyJsMacaroon, verifyOurs } from "../verify-cases.ts";

/**
 * Runs `n` iterations of one case inside workerd. Timing is done by the caller:
 * workerd's clocks do not advance during synchronous work.
 */

const CASES: Record<string, () => unknown> = {
  noop: () => true,
  "verify/ours": () => verifyOurs(),
  "verify/ours+native": () => verifyOurs(nativeHmacSha256),
  "verify/js-macaroon": verifyJsMacaroon,
  "chain/noble": chainNoble,
  "chain/node-crypto": () => chainWith(nativeHmacSha256),
  "chain/web-crypto": () => chainWebCrypto(crypto.subtle),
};

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const run = CASES[url.searchParams.get("case") ?? ""];
    const n = Number(url.searchParams.get("n") ?? "0");
    if (run === undefined || !Number.isInteger(n) || n < 0) return new Response("unknown case", { status: 400 });
    let last: unknown;
    for (let i = 0; i < n; i++) last = await run();
    return Response.json({ ok: last === undefined || last === true || last instanceof Uint8Array });
  },
};
