import { secp256k1 } from "@noble/curves/secp256k1.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bech32 } from "@scure/base";

/**
 * A BOLT 11 invoice encoder: human-readable part with the amount, a 35-bit
 * timestamp, tagged fields in the order given, and a recoverable secp256k1
 * signature (RFC 6979, low-S) over sha256(hrp || data). Writing the spec's fields
 * in the spec's order reproduces its examples byte for byte.
 */
export type Network = "bc" | "tb" | "tbs" | "bcrt";

export interface TaggedField {
  readonly type: number;
  readonly words: readonly number[];
}

/** Tag types, by their bech32 character. */
export const TAG = { p: 1, s: 16, d: 13, h: 23, x: 6, c: 24, features: 5, m: 27 } as const;

const field = (type: number, words: readonly number[]): TaggedField => ({ type, words });
const bytesField = (type: number, bytes: Uint8Array): TaggedField => field(type, bech32.toWords(bytes));

/** Minimal big-endian 5-bit words of a non-negative integer. */
function intWords(value: number): number[] {
  const words: number[] = [];
  for (let rest = value; rest > 0; rest = Math.floor(rest / 32)) words.unshift(rest % 32);
  return words;
}

export const fields = {
  paymentHash: (hash: Uint8Array) => bytesField(TAG.p, hash),
  paymentSecret: (secret: Uint8Array) => bytesField(TAG.s, secret),
  description: (text: string) => bytesField(TAG.d, new TextEncoder().encode(text)),
  descriptionHash: (hash: Uint8Array) => bytesField(TAG.h, hash),
  expiry: (seconds: number) => field(TAG.x, intWords(seconds)),
  minFinalCltvExpiry: (blocks: number) => field(TAG.c, intWords(blocks)),
  metadata: (bytes: Uint8Array) => bytesField(TAG.m, bytes),
  /** Feature bits as a big-endian bitfield, as short as the highest bit allows. */
  features(bits: readonly number[]): TaggedField {
    const length = Math.ceil((Math.max(...bits) + 1) / 5);
    const words = new Array<number>(length).fill(0);
    for (const bit of bits) {
      const index = length - 1 - Math.floor(bit / 5);
      words[index] = (words[index] as number) | (1 << bit % 5);
    }
    return field(TAG.features, words);
  },
};

const MSAT_PER_BTC = 100_000_000_000n;
const UNITS: readonly [string, bigint][] = [
  ["", 1_000_000_000_000n], // pico-BTC per unit
  ["m", 1_000_000_000n],
  ["u", 1_000_000n],
  ["n", 1_000n],
  ["p", 1n],
];

/** The amount part: the largest unit that expresses the amount exactly, as LND writes it. */
export function encodeAmount(amountMsat: bigint): string {
  const pico = (amountMsat * 1_000_000_000_000n) / MSAT_PER_BTC;
  for (const [unit, size] of UNITS) if (pico % size === 0n) return `${pico / size}${unit}`;
  throw new RangeError("unreachable: every amount is a whole number of pico-BTC");
}

interface InvoiceInput {
  readonly network: Network;
  /** Absent for an any-amount invoice. */
  readonly amountMsat?: bigint;
  /** Unix seconds. */
  readonly timestamp: number;
  readonly fields: readonly TaggedField[];
  readonly privateKey: Uint8Array;
}

export function encodeInvoice(input: InvoiceInput): string {
  const hrp = `ln${input.network}${input.amountMsat === undefined ? "" : encodeAmount(input.amountMsat)}`;
  const data = [...timestampWords(input.timestamp)];
  for (const { type, words } of input.fields) {
    if (words.length >= 1024) throw new RangeError("tagged field too long");
    data.push(type, words.length >> 5, words.length & 31, ...words);
  }
  const digest = sha256(new Uint8Array([...new TextEncoder().encode(hrp), ...wordsToBytesPadded(data)]));
  const recovered = secp256k1.sign(digest, input.privateKey, { prehash: false, format: "recovered" });
  // noble puts the recovery id first; BOLT 11 wants r || s || recovery id.
  const signature = new Uint8Array([...recovered.subarray(1), recovered[0] as number]);
  return bech32.encode(hrp, [...data, ...bech32.toWords(signature)], false);
}

function timestampWords(seconds: number): number[] {
  const words = intWords(seconds);
  if (words.length > 7) throw new RangeError("timestamp does not fit 35 bits");
  return [...new Array<number>(7 - words.length).fill(0), ...words];
}

/** 5-bit words to bytes, zero-padding the last byte (what gets signed). */
function wordsToBytesPadded(words: readonly number[]): Uint8Array {
  const bytes: number[] = [];
  let accumulator = 0;
  let bits = 0;
  for (const word of words) {
    accumulator = (accumulator << 5) | word;
    bits += 5;
    while (bits >= 8) {
      bits -= 8;
      bytes.push((accumulator >> bits) & 0xff);
    }
    accumulator &= (1 << bits) - 1;
  }
  if (bits > 0) bytes.push((accumulator << (8 - bits)) & 0xff);
  return Uint8Array.from(bytes);
}

export const publicKeyOf = (privateKey: Uint8Array): Uint8Array => secp256k1.getPublicKey(privateKey, true);

/** The payee's node key, recovered from an invoice's signature (what LND's DecodePayReq reports). */
export function recoverPayee(invoice: string): Uint8Array {
  const { prefix, words } = bech32.decode(invoice.toLowerCase() as `${string}1${string}`, false);
  const signature = bech32.fromWords(words.slice(-104));
  const digest = sha256(new Uint8Array([...new TextEncoder().encode(prefix), ...wordsToBytesPadded(words.slice(0, -104))]));
  const recovered = new Uint8Array([signature[64] as number, ...signature.subarray(0, 64)]);
  return secp256k1.recoverPublicKey(recovered, digest, { prehash: false });
}
