import { base64, base64nopad, base64url, base64urlnopad, hex } from "@scure/base";

/**
 * Bytes are `Uint8Array` inside the code; their text forms exist only at the
 * edges, and only through this module: hex, base64 in the alphabets clients
 * use, UTF-8. Written canonically, read strictly unless a function says
 * otherwise.
 */

export const toHex = (bytes: Uint8Array): string => hex.encode(bytes);
export const toBase64 = (bytes: Uint8Array): string => base64.encode(bytes);
export const toBase64Url = (bytes: Uint8Array): string => base64urlnopad.encode(bytes);
/** URL-safe base64 with its padding (LND's REST paths take bytes so). */
export const toBase64UrlPadded = (bytes: Uint8Array): string => base64url.encode(bytes);

/** Hex known to be hex (checked by the caller's own pattern): the bytes, or a TypeError. */
export const hexToBytes = (text: string): Uint8Array => hex.decode(text.toLowerCase());
/** Standard base64, padded: the bytes, or a TypeError. */
export const base64ToBytes = (text: string): Uint8Array => base64.decode(text);

const HEX = /^(?:[0-9a-fA-F]{2})*$/;
/** Hex in either case; undefined unless the whole string is hex of whole bytes. */
export function fromHex(text: string): Uint8Array | undefined {
  return HEX.test(text) ? hex.decode(text.toLowerCase()) : undefined;
}

const BASE64_STD = /^[A-Za-z0-9+/]*$/;
const BASE64_URL = /^[A-Za-z0-9_-]*$/;
/**
 * Base64 in the standard or the URL-safe alphabet (not mixed), padded or not:
 * clients in the field emit all four. Undefined for anything else.
 */
export function fromBase64Lenient(text: string): Uint8Array | undefined {
  const body = text.replace(/={1,2}$/, "");
  if (body.length !== text.length && text.length % 4 !== 0) return undefined;
  const coder = BASE64_STD.test(body) ? base64nopad : BASE64_URL.test(body) ? base64urlnopad : undefined;
  if (coder === undefined || body.length % 4 === 1) return undefined;
  try {
    return coder.decode(body);
  } catch {
    return undefined;
  }
}

/**
 * base64url as the Payment scheme uses it: read with or without padding, and
 * nothing else. Strict on purpose (as Aperture is): encoded forms are compared
 * and hashed as text, so one payload must not have two spellings (no non-zero
 * trailing bits, no line breaks, no standard alphabet, no padding but at the
 * end of a whole quantum).
 */
export function fromBase64UrlStrict(text: string): Uint8Array | undefined {
  const unpadded = text.replace(/={1,2}$/, "");
  if (unpadded.length !== text.length && text.length % 4 !== 0) return undefined;
  if (!BASE64_URL.test(unpadded)) return undefined;
  try {
    return base64urlnopad.decode(unpadded);
  } catch {
    return undefined;
  }
}

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
// Pure: a build that never reads a body as text (no usage metering) leaves it out.
const bodyDecoder = /* @__PURE__ */ new TextDecoder();

export const utf8 = (text: string): Uint8Array => encoder.encode(text);

/** The text UTF-8 bytes hold; undefined when they are not UTF-8. */
export function fromUtf8(bytes: Uint8Array): string | undefined {
  const ascii = asciiText(bytes);
  if (ascii !== undefined) return ascii;
  try {
    return strictDecoder.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * A body's text as fetch()'s text() and json() read it (the Encoding
 * standard's UTF-8 decode): a leading byte order mark dropped, bytes that are
 * not UTF-8 read as U+FFFD. For reading what a client will read.
 */
export const bodyText = (bytes: Uint8Array): string => bodyDecoder.decode(bytes);

/**
 * Short ASCII bytes as text (ASCII is UTF-8 read a byte at a time); undefined
 * for any other byte or a longer input, left to TextDecoder. In workerd, where
 * each TextDecoder call crosses into the runtime (~120 ns whatever the length),
 * this is the faster up to about 32 bytes (52 ns at 8, even at 32, 223 ns at
 * 64): most caveats, a macaroon's location. In Node it is never the faster.
 */
const ASCII_FAST_MAX_BYTES = 32;

function asciiText(bytes: Uint8Array): string | undefined {
  if (bytes.length > ASCII_FAST_MAX_BYTES) return undefined;
  for (let i = 0; i < bytes.length; i++) if ((bytes[i] as number) >= 0x80) return undefined;
  // One call for the whole input: a string built a character at a time costs several times more.
  return String.fromCharCode.apply(null, bytes as unknown as number[]);
}

/**
 * SHA-256 and HMAC-SHA256: the macaroon core's (src/macaroon/fast-hmac.ts,
 * checked against noble's and node:crypto's), faster than noble's at every
 * length here, so that a Worker ships one implementation.
 */
export { fastHmacSha256 as hmacSha256, sha256 } from "./macaroon/fast-hmac.ts";

/** Equality in time independent of where the bytes differ: for secrets and tags. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return difference === 0;
}

export const randomBytes = (length: number): Uint8Array => crypto.getRandomValues(new Uint8Array(length));

/** Bytes joined, in order. */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((length, part) => length + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
