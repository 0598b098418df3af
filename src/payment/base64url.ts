import { base64urlnopad } from "@scure/base";

/**
 * base64url as the Payment scheme uses it everywhere: written without padding,
 * read with or without it, and nothing else. Strict on purpose (as Aperture
 * is): the encoded forms are compared and hashed as text, so one payload must
 * not have two spellings (no non-zero trailing bits, no line breaks, no
 * standard alphabet, no padding but at the end of a whole quantum).
 */
const ALPHABET = /^[A-Za-z0-9_-]*$/;

export const encodeBase64Url = (bytes: Uint8Array): string => base64urlnopad.encode(bytes);

export const encodeBase64UrlText = (text: string): string => encodeBase64Url(new TextEncoder().encode(text));

export function decodeBase64Url(text: string): Uint8Array | undefined {
  const unpadded = text.replace(/={1,2}$/, "");
  if (unpadded.length !== text.length && text.length % 4 !== 0) return undefined;
  if (!ALPHABET.test(unpadded)) return undefined;
  try {
    return base64urlnopad.decode(unpadded);
  } catch {
    return undefined;
  }
}

/** The UTF-8 text a base64url value carries, when it is both. */
export function decodeBase64UrlText(text: string): string | undefined {
  const bytes = decodeBase64Url(text);
  if (bytes === undefined) return undefined;
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return undefined;
  }
}
