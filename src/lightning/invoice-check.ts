import { hex } from "@scure/base";
import { decode } from "light-bolt11-decoder";
import { LightningError, type Invoice, type InvoiceRequest } from "./backend.ts";
import { invoiceNetwork, type Network } from "./networks.ts";

/** BOLT 11's default when an invoice has no expiry field. */
const DEFAULT_EXPIRY_SECONDS = 3600;

interface Section {
  readonly name: string;
  readonly value?: unknown;
}

/**
 * Never trust a node blindly: the invoice we put in a challenge must be for the
 * payment hash the node reported, the amount and expiry we asked for, on the
 * network we run on. Anything else is an error, not an invoice.
 */
export function checkInvoice(
  paymentRequest: string,
  expected: { paymentHashHex: string; request: InvoiceRequest; network: Network },
): Invoice {
  let sections: readonly Section[];
  try {
    sections = decode(paymentRequest).sections as readonly Section[];
  } catch (error) {
    throw new LightningError("invalid_response", `the node returned an undecodable invoice: ${(error as Error).message}`);
  }
  const value = (name: string): unknown => sections.find((section) => section.name === name)?.value;
  const mismatch = (what: string) => new LightningError("invalid_response", `the node's invoice does not match: ${what}`);

  const network = invoiceNetwork(paymentRequest);
  if (network !== expected.network) throw mismatch(`network ${network ?? "unknown"}, expected ${expected.network}`);
  if (value("payment_hash") !== expected.paymentHashHex) throw mismatch("payment hash differs from r_hash");
  const amount = value("amount");
  if (typeof amount !== "string" || BigInt(amount) !== expected.request.amountMsat) {
    throw mismatch(`amount ${String(amount ?? "none")} msat, asked ${expected.request.amountMsat}`);
  }
  const expiry = (value("expiry") as number | undefined) ?? DEFAULT_EXPIRY_SECONDS;
  if (expiry !== expected.request.expirySeconds) throw mismatch(`expiry ${expiry} s, asked ${expected.request.expirySeconds}`);
  const timestamp = value("timestamp");
  if (typeof timestamp !== "number") throw mismatch("no timestamp");
  return {
    paymentRequest,
    paymentHash: hex.decode(expected.paymentHashHex),
    amountMsat: expected.request.amountMsat,
    expiresAt: timestamp + expiry,
  };
}
