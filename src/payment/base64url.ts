import { fromBase64UrlStrict, fromUtf8, toBase64Url, utf8 } from "../bytes.ts";

/**
 * base64url as the Payment scheme uses it everywhere: written without padding,
 * read with or without it, and nothing else (src/bytes.ts says why strictly).
 */
export const encodeBase64Url = toBase64Url;
export const decodeBase64Url = fromBase64UrlStrict;

export const encodeBase64UrlText = (text: string): string => toBase64Url(utf8(text));

/** The UTF-8 text a base64url value carries, when it is both. */
export function decodeBase64UrlText(text: string): string | undefined {
  const bytes = fromBase64UrlStrict(text);
  return bytes === undefined ? undefined : fromUtf8(bytes);
}
