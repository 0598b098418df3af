import { base64, base64nopad, base64urlnopad, hex } from "@scure/base";

/**
 * The text forms of L402's bytes (hex, and base64 in every alphabet clients
 * use): read leniently, written canonically. Bytes are Uint8Array inside.
 */

export const toHex = (bytes: Uint8Array): string => hex.encode(bytes);
export const toBase64 = (bytes: Uint8Array): string => base64.encode(bytes);

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
