import { fail, succeed, type Result } from "../l402/index.ts";
import { decodeBase64UrlText, encodeBase64UrlText } from "./base64url.ts";

/** `Payment-Receipt` on a paid answer (draft-httpauth-payment §5.3; lightning charge §receipt). */
export const RECEIPT_HEADER = "Payment-Receipt";

export interface PaymentReceipt {
  readonly status: "success";
  readonly method: string;
  /** RFC 3339. */
  readonly timestamp: string;
  /** Lightning: the payment hash (never the preimage, a bearer secret). */
  readonly reference: string;
  readonly challengeId?: string;
}

/** base64url of the receipt's JSON, fields in the order other implementations write them. */
export function formatReceipt(receipt: PaymentReceipt): string {
  const { status, method, timestamp, reference, challengeId } = receipt;
  return encodeBase64UrlText(JSON.stringify({ status, method, timestamp, reference, ...(challengeId === undefined ? {} : { challengeId }) }));
}

/** The receipt's JSON text (kept as text: a method may carry integers beyond a double's precision). */
export function readReceipt(header: string): Result<string, "malformed"> {
  const text = decodeBase64UrlText(header.trim());
  if (text === undefined) return fail("malformed", "the receipt is not base64url");
  try {
    JSON.parse(text);
  } catch {
    return fail("malformed", "the receipt is not JSON");
  }
  return succeed(text);
}
