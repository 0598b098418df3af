import { createHmac } from "node:crypto";
import type { HmacSha256 } from "../macaroon/index.ts";

/**
 * workerd's native HMAC-SHA256 (BoringSSL behind node:crypto). `npm run bench`
 * measured it ~1.8× faster than @noble/hashes inside workerd for a token's whole
 * signature chain, and Web Crypto slower than both (async, a key import per step).
 */
export const nativeHmacSha256: HmacSha256 = (key, message) => createHmac("sha256", key).update(message).digest();
