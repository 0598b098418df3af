import { hex } from "@scure/base";
import { LightningError, type Invoice, type InvoiceRequest } from "./backend.ts";
import { readInvoice } from "./bolt11.ts";
import type { Network } from "./networks.ts";

/**
 * Never trust a node blindly: the invoice we put in a challenge must be for the
 * payment hash the node reported, the amount and expiry we asked for, on the
 * network we run on. Anything else is an error, not an invoice.
 */
export function checkInvoice(
  paymentRequest: string,
  expected: { paymentHashHex: string; request: InvoiceRequest; network: Network },
): Invoice {
  const read = readInvoice(paymentRequest);
  if (!read.ok) throw new LightningError("invalid_response", `the node returned an undecodable invoice: ${read.detail}`);
  const invoice = read.value;
  const mismatch = (what: string) => new LightningError("invalid_response", `the node's invoice does not match: ${what}`);

  if (invoice.network !== expected.network) throw mismatch(`network ${invoice.network ?? "unknown"}, expected ${expected.network}`);
  if (invoice.paymentHash !== expected.paymentHashHex) throw mismatch("payment hash differs from r_hash");
  if (invoice.amountMsat !== expected.request.amountMsat) {
    throw mismatch(`amount ${String(invoice.amountMsat ?? "none")} msat, asked ${expected.request.amountMsat}`);
  }
  if (invoice.expirySeconds !== expected.request.expirySeconds) throw mismatch(`expiry ${invoice.expirySeconds} s, asked ${expected.request.expirySeconds}`);
  return {
    paymentRequest,
    paymentHash: hex.decode(expected.paymentHashHex),
    amountMsat: expected.request.amountMsat,
    expiresAt: invoice.timestamp + invoice.expirySeconds,
  };
}
