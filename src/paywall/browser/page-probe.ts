import { concatBytes, constantTimeEqual, fromBase64Lenient, toBase64Url, utf8 } from "../../bytes.ts";
import type { Keyring } from "../../l402/index.ts";

/**
 * The probe cookie's value: `<payment hash, hex>.<tag>`, the tag an HMAC under
 * the current master key over the service and the payment hash of the page
 * invoice its client already holds (open-page-invoice.ts).
 *
 * A browser that sends it back has kept a cookie, so it may get an invoice of
 * its own (page-challenge.ts). It names the invoice that was open when it was
 * set, and that one only: once the browser's own invoice replaces it, the same
 * probe is worth nothing, so a crawler replaying one probe while dropping every
 * other cookie makes one invoice, not one per view.
 */
const LABEL = utf8("l402-edge/page-probe/v1\u0000");

export function sealProbe(keyring: Keyring, service: string, paymentHash: string): string {
  return `${paymentHash}.${toBase64Url(tag(keyring, service, paymentHash))}`;
}

/** The payment hash a probe was sealed for (for this service, under the current key), or undefined. */
export function openProbe(keyring: Keyring, service: string, value: string): string | undefined {
  const parts = value.split(".");
  if (parts.length !== 2) return undefined;
  const [paymentHash, encodedTag] = parts as [string, string];
  if (!/^[0-9a-f]{64}$/.test(paymentHash)) return undefined;
  const presented = fromBase64Lenient(encodedTag);
  if (presented === undefined || !constantTimeEqual(presented, tag(keyring, service, paymentHash))) return undefined;
  return paymentHash;
}

const tag = (keyring: Keyring, service: string, paymentHash: string): Uint8Array => keyring.mac(keyring.current.secret, concatBytes(LABEL, utf8(`${service}\u0000${paymentHash}`)));
