import { sha256, toHex } from "../bytes.ts";
import { formatPaymentCredential } from "../payment/index.ts";
import { encodeHeaderJson, PAYMENT_SIGNATURE_HEADER, X402_VERSION } from "../x402/index.ts";
import type { Offer } from "./challenge-offer.ts";
import type { Credential } from "./send-to-origin.ts";

/**
 * What a paid offer of one request sends: the Payment credential, or x402's
 * `PAYMENT-SIGNATURE` echoing the entry as it came with the preimage (#2861's
 * payload, which the paywall verifies without asking its node).
 */
export function oneRequestCredential(offer: Offer & { scheme: "payment" | "x402" }, preimage: string): Credential {
  if (offer.scheme === "payment") return { header: "Authorization", value: formatPaymentCredential({ challenge: offer.challenge, payload: { preimage } }) };
  return { header: PAYMENT_SIGNATURE_HEADER, value: encodeHeaderJson({ x402Version: X402_VERSION, accepted: offer.accepted, payload: { preimage } }) };
}

/** The most kept: a client is not a store of payments its callers walked away from. */
const MAX_KEPT = 64;

/**
 * One-request credentials (a Payment charge, an x402 payment) paid and never
 * answered: the caller left while the wallet paid (a timeout, an MCP host's
 * cancel), or sending the credential failed. The same request's next call
 * sends its credential before anything else, so a retry gets what was paid
 * for instead of paying again. Kept in memory for the life of the clients of
 * one store (unsentChargesOf), until the invoice expires (the server takes
 * none after), the newest `MAX_KEPT`.
 */
export interface UnsentCharges {
  keep(request: string, credential: Credential, expiresAt: number): void;
  /** The credential kept for this request, taken out (whatever the server answers, it is not sent again). */
  take(request: string, now: number): { readonly credential: Credential; readonly expiresAt: number } | undefined;
}

const chargesByStore = new WeakMap<object, UnsentCharges>();

/**
 * The charges kept for the clients of one token store: a charge one client
 * paid and could not send is sent by another's call of the same request (the
 * MCP wallet keeps a client per budget, all on one store), as they share the
 * store's tokens and purchases.
 */
export function unsentChargesOf(store: object): UnsentCharges {
  let charges = chargesByStore.get(store);
  if (charges === undefined) chargesByStore.set(store, (charges = unsentCharges()));
  return charges;
}

export function unsentCharges(): UnsentCharges {
  const kept = new Map<string, { readonly credential: Credential; readonly expiresAt: number }>();
  return {
    keep(request, credential, expiresAt) {
      kept.delete(request);
      kept.set(request, { credential, expiresAt });
      for (const oldest of kept.keys()) {
        if (kept.size <= MAX_KEPT) break;
        kept.delete(oldest);
      }
    },
    take(request, now) {
      const entry = kept.get(request);
      if (entry === undefined) return undefined;
      kept.delete(request);
      return now < entry.expiresAt ? entry : undefined;
    },
  };
}

/** A request's identity for its kept charge: method, URL and a digest of its body (a charge paid for one body buys no other). */
export const requestIdentity = (method: string, url: string, body: ArrayBuffer | null): string =>
  `${method} ${url} ${body === null ? "" : toHex(sha256(new Uint8Array(body)))}`;
