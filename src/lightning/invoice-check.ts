import { hexToBytes, toHex } from "../bytes.ts";
import { LightningError, type Invoice, type InvoiceRequest } from "./backend.ts";
import { readInvoice } from "./bolt11.ts";
import type { Network } from "./networks.ts";

/**
 * How far an invoice's timestamp may be from our clock, either way: the call's
 * own duration and ordinary drift between NTP-synced clocks fit many times
 * over. A node further off stamps invoices that payers' wallets see as
 * shorter-lived (or longer-lived) than the challenge says.
 */
export const CLOCK_SKEW_SECONDS = 120;

/** The longest expiry taken from a wallet that picks its own (acceptLongerExpiry): a challenge open for longer is a wallet gone wrong. */
const MAX_LONGER_EXPIRY_SECONDS = 365 * 86_400;

export interface ExpectedInvoice {
  readonly paymentHashHex: string;
  readonly request: InvoiceRequest;
  readonly network: Network;
  /**
   * A longer expiry than asked is acceptable (the challenge then says the
   * invoice's own): for NWC wallets, which NIP-47 lets ignore the one asked.
   */
  readonly acceptLongerExpiry?: boolean;
  /** Another description than the memo asked is acceptable: NWC wallets may ignore the one asked (NIP-47; a Cashu mint's invoice has its own). */
  readonly acceptOtherDescription?: boolean;
}

/**
 * Never trust a node blindly: the invoice we put in a challenge must be for the
 * payment hash the node reported, the amount, description and expiry we asked
 * for, on the network we run on, stamped now (give or take the clock skew allowed) and
 * with at least half its life left. Anything else is an error, not an invoice; its detail is ours
 * (health shows it: see `LightningFailureReason`).
 */
export function checkInvoice(paymentRequest: string, expected: ExpectedInvoice, now = Math.floor(Date.now() / 1000)): Invoice {
  const read = readInvoice(paymentRequest);
  if (!read.ok) throw new LightningError("invalid_response", `the node returned an undecodable invoice: ${read.detail}`);
  const invoice = read.value;
  const { request } = expected;
  const refused = (what: string) => new LightningError("invalid_response", `the node's invoice ${what}`);
  const mismatch = (what: string) => refused(`does not match: ${what}`);

  if (invoice.network !== expected.network) throw mismatch(`network ${invoice.network ?? "unknown"}, expected ${expected.network}`);
  if (invoice.paymentHash !== expected.paymentHashHex) throw mismatch("payment hash differs from r_hash");
  if (invoice.amountMsat !== request.amountMsat) throw mismatch(`amount ${String(invoice.amountMsat ?? "none")} msat, asked ${request.amountMsat}`);
  // Asked to commit to a description's hash (a node that ignores the parameter would commit to none, or another).
  if (request.descriptionHash !== undefined && invoice.descriptionHash !== toHex(request.descriptionHash)) throw mismatch(`description hash ${invoice.descriptionHash ?? "none"}, asked ${toHex(request.descriptionHash)}`);
  // What the buyer's wallet shows them as what they pay for: a node (a hosted wallet) that wrote another text would speak for the seller.
  // As sent: a lone surrogate (a memo of the middleware's options may hold one) goes as U+FFFD.
  if (request.descriptionHash === undefined && expected.acceptOtherDescription !== true && (invoice.description ?? "") !== request.memo.replace(/\p{Cs}/gu, "\uFFFD")) throw mismatch(`description ${JSON.stringify(invoice.description ?? "").slice(0, 80)}, asked ${JSON.stringify(request.memo).slice(0, 80)}`);
  if (invoice.expirySeconds > MAX_LONGER_EXPIRY_SECONDS && expected.acceptLongerExpiry === true) {
    throw refused(`expires after ${invoice.expirySeconds} s, more than the ${MAX_LONGER_EXPIRY_SECONDS} s (a year) a challenge may stay open`);
  }
  if (invoice.expirySeconds < request.expirySeconds && expected.acceptLongerExpiry === true) {
    throw refused(`expires after ${invoice.expirySeconds} s, sooner than the ${request.expirySeconds} s asked (a wallet may use its own expiry, whatever is asked: ask for ${invoice.expirySeconds} s or less)`);
  }
  if (invoice.expirySeconds !== request.expirySeconds && expected.acceptLongerExpiry !== true) throw mismatch(`expiry ${invoice.expirySeconds} s, asked ${request.expirySeconds} s`);

  // The node expires it by its own clock, its expiry after its stamp: one whose clock is ahead of ours stamps the future, and the invoice ends its expiry from now, not from that stamp.
  const expiresAt = Math.min(invoice.timestamp, now) + invoice.expirySeconds;
  const clockQuestion = "is the node's clock right?";
  if (expiresAt <= now) throw refused(`expired ${now - expiresAt} s ago (stamped ${now - invoice.timestamp} s ago, expiry ${invoice.expirySeconds} s): ${clockQuestion}`);
  if (Math.abs(invoice.timestamp - now) > CLOCK_SKEW_SECONDS) {
    const when = invoice.timestamp < now ? `${now - invoice.timestamp} s ago` : `${invoice.timestamp - now} s in the future`;
    throw refused(`is stamped ${when} (more than the ${CLOCK_SKEW_SECONDS} s of clock difference allowed): ${clockQuestion}`);
  }
  // A short expiry and a node's clock behind ours (within the skew) could leave a buyer seconds to pay: half its life, as the pool and the challenge cache hand invoices out.
  if (2 * (expiresAt - now) < invoice.expirySeconds) {
    throw refused(`has ${expiresAt - now} s left of its ${invoice.expirySeconds} s (stamped ${now - invoice.timestamp} s ago), less than half: ${clockQuestion}`);
  }
  return { paymentRequest, paymentHash: hexToBytes(expected.paymentHashHex), amountMsat: request.amountMsat, expiresAt };
}
