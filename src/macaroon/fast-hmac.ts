/** HMAC-SHA256: key and message in, the 32-byte MAC out. */
export type HmacSha256 = (key: Uint8Array, message: Uint8Array) => Uint8Array;

/**
 * HMAC-SHA256 for the short messages of a macaroon chain, without allocation
 * on the way but for the 32-byte result, in 32-bit words from the message's
 * bytes to the digest (a chain's MACs key the next step as words), and with a
 * key's pads hashed once when the key is used again and again (the master keys,
 * the key generator's constant).
 *
 * Why our own: a token's verification is ~21 SHA-256 compressions, and what a
 * general library adds around them (objects per call, pads rehashed per call,
 * a native call's crossing) costs more than the compressions themselves;
 * `npm run bench` measures this against node:crypto and @noble/hashes. It is
 * checked against both on 100,000 generated inputs of every length from 0 to 300
 * bytes and on the NIST and RFC 4231 vectors (test/node/fast-hmac.test.ts).
 */

// Int32Array throughout: V8 keeps the words as 32-bit integers (a Uint32Array's
// values above 2^31 would become doubles).
const K = Int32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
  0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const IV = Int32Array.from([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);

// Scratch, reused by every call (JavaScript runs one call at a time here).
// W's first 16 words are the block being compressed; `compress` leaves them as they were.
const W = new Int32Array(64);
const state = new Int32Array(8);
/** A MAC's words, before they become bytes or key the next step of a chain. */
const macWords = new Int32Array(8);

const wordAt = (bytes: Uint8Array, j: number): number =>
  ((bytes[j] as number) << 24) | ((bytes[j + 1] as number) << 16) | ((bytes[j + 2] as number) << 8) | (bytes[j + 3] as number);

/** `bytes[from..to)` (at most 64) into W's block, big-endian, zeros after. */
function loadBlock(bytes: Uint8Array, from: number, to: number): void {
  let i = 0;
  let j = from;
  for (; j + 4 <= to; i++, j += 4) W[i] = wordAt(bytes, j);
  let word = 0;
  for (let shift = 24; j < to; j++, shift -= 8) word |= (bytes[j] as number) << shift;
  for (; i < 16; i++, word = 0) W[i] = word;
}

/** One compression of W's block into `h`. */
function compress(h: Int32Array): void {
  for (let i = 16; i < 64; i++) {
    const w15 = W[i - 15] as number;
    const w2 = W[i - 2] as number;
    const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
    const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
    W[i] = ((W[i - 16] as number) + s0 + (W[i - 7] as number) + s1) | 0;
  }
  let a = h[0] as number;
  let b = h[1] as number;
  let c = h[2] as number;
  let d = h[3] as number;
  let e = h[4] as number;
  let f = h[5] as number;
  let g = h[6] as number;
  let hh = h[7] as number;
  let t1: number;
  let t2: number;
  // Eight rounds per pass, the variables' roles rotating, so nothing is shuffled between rounds.
  for (let i = 0; i < 64; i += 8) {
    t1 = (hh + ((((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7)))) + ((e & f) ^ (~e & g)) + (K[i + 0] as number) + (W[i + 0] as number)) | 0;
    t2 = ((((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    d = (d + t1) | 0;
    hh = (t1 + t2) | 0;
    t1 = (g + ((((d >>> 6) | (d << 26)) ^ ((d >>> 11) | (d << 21)) ^ ((d >>> 25) | (d << 7)))) + ((d & e) ^ (~d & f)) + (K[i + 1] as number) + (W[i + 1] as number)) | 0;
    t2 = ((((hh >>> 2) | (hh << 30)) ^ ((hh >>> 13) | (hh << 19)) ^ ((hh >>> 22) | (hh << 10))) + ((hh & a) ^ (hh & b) ^ (a & b))) | 0;
    c = (c + t1) | 0;
    g = (t1 + t2) | 0;
    t1 = (f + ((((c >>> 6) | (c << 26)) ^ ((c >>> 11) | (c << 21)) ^ ((c >>> 25) | (c << 7)))) + ((c & d) ^ (~c & e)) + (K[i + 2] as number) + (W[i + 2] as number)) | 0;
    t2 = ((((g >>> 2) | (g << 30)) ^ ((g >>> 13) | (g << 19)) ^ ((g >>> 22) | (g << 10))) + ((g & hh) ^ (g & a) ^ (hh & a))) | 0;
    b = (b + t1) | 0;
    f = (t1 + t2) | 0;
    t1 = (e + ((((b >>> 6) | (b << 26)) ^ ((b >>> 11) | (b << 21)) ^ ((b >>> 25) | (b << 7)))) + ((b & c) ^ (~b & d)) + (K[i + 3] as number) + (W[i + 3] as number)) | 0;
    t2 = ((((f >>> 2) | (f << 30)) ^ ((f >>> 13) | (f << 19)) ^ ((f >>> 22) | (f << 10))) + ((f & g) ^ (f & hh) ^ (g & hh))) | 0;
    a = (a + t1) | 0;
    e = (t1 + t2) | 0;
    t1 = (d + ((((a >>> 6) | (a << 26)) ^ ((a >>> 11) | (a << 21)) ^ ((a >>> 25) | (a << 7)))) + ((a & b) ^ (~a & c)) + (K[i + 4] as number) + (W[i + 4] as number)) | 0;
    t2 = ((((e >>> 2) | (e << 30)) ^ ((e >>> 13) | (e << 19)) ^ ((e >>> 22) | (e << 10))) + ((e & f) ^ (e & g) ^ (f & g))) | 0;
    hh = (hh + t1) | 0;
    d = (t1 + t2) | 0;
    t1 = (c + ((((hh >>> 6) | (hh << 26)) ^ ((hh >>> 11) | (hh << 21)) ^ ((hh >>> 25) | (hh << 7)))) + ((hh & a) ^ (~hh & b)) + (K[i + 5] as number) + (W[i + 5] as number)) | 0;
    t2 = ((((d >>> 2) | (d << 30)) ^ ((d >>> 13) | (d << 19)) ^ ((d >>> 22) | (d << 10))) + ((d & e) ^ (d & f) ^ (e & f))) | 0;
    g = (g + t1) | 0;
    c = (t1 + t2) | 0;
    t1 = (b + ((((g >>> 6) | (g << 26)) ^ ((g >>> 11) | (g << 21)) ^ ((g >>> 25) | (g << 7)))) + ((g & hh) ^ (~g & a)) + (K[i + 6] as number) + (W[i + 6] as number)) | 0;
    t2 = ((((c >>> 2) | (c << 30)) ^ ((c >>> 13) | (c << 19)) ^ ((c >>> 22) | (c << 10))) + ((c & d) ^ (c & e) ^ (d & e))) | 0;
    f = (f + t1) | 0;
    b = (t1 + t2) | 0;
    t1 = (a + ((((f >>> 6) | (f << 26)) ^ ((f >>> 11) | (f << 21)) ^ ((f >>> 25) | (f << 7)))) + ((f & g) ^ (~f & hh)) + (K[i + 7] as number) + (W[i + 7] as number)) | 0;
    t2 = ((((b >>> 2) | (b << 30)) ^ ((b >>> 13) | (b << 19)) ^ ((b >>> 22) | (b << 10))) + ((b & c) ^ (b & d) ^ (c & d))) | 0;
    e = (e + t1) | 0;
    a = (t1 + t2) | 0;
  }
  h[0] = ((h[0] as number) + a) | 0;
  h[1] = ((h[1] as number) + b) | 0;
  h[2] = ((h[2] as number) + c) | 0;
  h[3] = ((h[3] as number) + d) | 0;
  h[4] = ((h[4] as number) + e) | 0;
  h[5] = ((h[5] as number) + f) | 0;
  h[6] = ((h[6] as number) + g) | 0;
  h[7] = ((h[7] as number) + hh) | 0;
}

/**
 * Hashes `message` into `h`, which already holds `prefixLength` bytes' worth of
 * state (0 for a plain hash, 64 after an HMAC pad), leaving the digest's words in `h`.
 */
function hashInto(h: Int32Array, prefixLength: number, message: Uint8Array): void {
  const length = message.length;
  let offset = 0;
  for (; offset + 64 <= length; offset += 64) {
    loadBlock(message, offset, offset + 64);
    compress(h);
  }
  // The last block, built as words: the message's rest, a 0x80 byte, zeros, the length in bits.
  const rest = length - offset;
  loadBlock(message, offset, length);
  W[rest >> 2] = (W[rest >> 2] as number) | (0x80 << (24 - 8 * (rest & 3)));
  if (rest >= 56) {
    // No room left for the length: it goes in a block of its own.
    compress(h);
    W.fill(0, 0, 14);
  }
  const bits = (prefixLength + length) * 8;
  W[14] = Math.floor(bits / 2 ** 32);
  W[15] = bits | 0;
  compress(h);
}

/** 8 words from one state to another: a loop, cheaper than `set`'s call on so few. */
function copyState(from: Int32Array, to: Int32Array): void {
  for (let i = 0; i < 8; i++) to[i] = from[i] as number;
}

/** A digest's words as its 32 bytes. */
function digestBytes(h: Int32Array): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 8; i++) {
    const word = h[i] as number;
    out[i * 4] = word >>> 24;
    out[i * 4 + 1] = word >>> 16;
    out[i * 4 + 2] = word >>> 8;
    out[i * 4 + 3] = word;
  }
  return out;
}

/** SHA-256 of `message`. */
export function sha256(message: Uint8Array): Uint8Array {
  copyState(IV, state);
  hashInto(state, 0, message);
  return digestBytes(state);
}

/** A key's HMAC pads, hashed: the states after the first block of the inner and outer hash. */
interface Pads {
  readonly inner: Int32Array;
  readonly outer: Int32Array;
}

const IPAD = 0x36363636;
/** The outer pad's bytes over the inner's: 0x36 ^ 0x5c in each byte. */
const IPAD_TO_OPAD = 0x6a6a6a6a;

/** The pads of the key in W's block (its words, zeros after). */
function padsOfBlock(inner: Int32Array, outer: Int32Array): void {
  for (let i = 0; i < 16; i++) W[i] = (W[i] as number) ^ IPAD;
  copyState(IV, inner);
  compress(inner);
  for (let i = 0; i < 16; i++) W[i] = (W[i] as number) ^ IPAD_TO_OPAD;
  copyState(IV, outer);
  compress(outer);
}

function padsInto(key: Uint8Array, inner: Int32Array, outer: Int32Array): void {
  if (key.length > 64) {
    copyState(IV, state);
    hashInto(state, 0, key);
    loadWords(state);
  } else {
    loadBlock(key, 0, key.length);
  }
  padsOfBlock(inner, outer);
}

/** 8 words (a 32-byte key, a digest) into W's block, zeros after. */
function loadWords(words: Int32Array): void {
  for (let i = 0; i < 8; i++) W[i] = words[i] as number;
  for (let i = 8; i < 16; i++) W[i] = 0;
}

const scratchPads: Pads = { inner: new Int32Array(8), outer: new Int32Array(8) };

/** HMAC of `message` under a key's pads, its words left in `out`. */
function macInto(pads: Pads, message: Uint8Array, out: Int32Array): void {
  copyState(pads.inner, state);
  hashInto(state, 64, message);
  copyState(pads.outer, out);
  // The inner digest, padded, is the outer hash's last block: 32 bytes, 0x80, the length of pad and digest.
  loadWords(state);
  W[8] = 0x80000000 | 0;
  W[15] = (64 + 32) * 8;
  compress(out);
}

/**
 * Keys whose pads are kept: registered by `keepPads` (long-lived keys), held
 * weakly so a dropped keyring takes its pads with it.
 */
const kept = new WeakMap<Uint8Array, Pads>();

/** Hash this key's pads once and reuse them for every HMAC under it. For keys used many times. */
export function keepPads(key: Uint8Array): void {
  if (kept.has(key)) return;
  const pads = { inner: new Int32Array(8), outer: new Int32Array(8) };
  padsInto(key, pads.inner, pads.outer);
  kept.set(key, pads);
}

/** The pads of `key`: its kept ones, or hashed now into scratch. */
function padsOf(key: Uint8Array): Pads {
  const pads = kept.get(key);
  if (pads !== undefined) return pads;
  padsInto(key, scratchPads.inner, scratchPads.outer);
  return scratchPads;
}

/** HMAC-SHA256, the `HmacSha256` the macaroon chain takes. */
export const fastHmacSha256: HmacSha256 = (key, message) => {
  macInto(padsOf(key), message, macWords);
  return digestBytes(macWords);
};

/**
 * HMAC of each message under the MAC of the one before it, the first under
 * `key`: the shape of a macaroon's signature chain. Each MAC stays in words to
 * key the next step (no bytes written and read back); only the last becomes bytes.
 */
export function hmacChain(key: Uint8Array, messages: readonly [Uint8Array, ...Uint8Array[]]): Uint8Array {
  macInto(padsOf(key), messages[0], macWords);
  for (let i = 1; i < messages.length; i++) {
    loadWords(macWords);
    padsOfBlock(scratchPads.inner, scratchPads.outer);
    macInto(scratchPads, messages[i] as Uint8Array, macWords);
  }
  return digestBytes(macWords);
}
