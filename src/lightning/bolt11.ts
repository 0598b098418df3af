import { decode } from "light-bolt11-decoder";
import { fail, MAX_INVOICE_CHARS, succeed, type Result } from "../l402/index.ts";
import { invoiceNetwork, type Network } from "./networks.ts";

/** BOLT 11's default when an invoice has no expiry field. */
const DEFAULT_EXPIRY_SECONDS = 3600;

/** The fields of a BOLT 11 invoice that this project reads. */
export interface InvoiceFields {
  /** Hex. */
  readonly paymentHash: string;
  /** Absent for an amountless invoice. */
  readonly amountMsat: bigint | undefined;
  /** Unix seconds. */
  readonly timestamp: number;
  /** Relative to `timestamp` (BOLT 11's default when the field is absent). */
  readonly expirySeconds: number;
  /** From the prefix; undefined for one this project does not know. */
  readonly network: Network | undefined;
  readonly description: string | undefined;
  /** Hex. */
  readonly descriptionHash: string | undefined;
  readonly minFinalCltvExpiry: number | undefined;
}

interface Section {
  readonly name: string;
  readonly value?: unknown;
}

/**
 * Reads an invoice's fields: the one place BOLT 11 sections are read (the
 * paywall's checks of its node, the client's reading of a challenge, the
 * simulator). light-bolt11-decoder does not verify the signature; nothing here
 * relies on it. Its time grows with the square of an invoice's fields (it
 * copies what is left after each): one longer than LND decodes (its limit on
 * a payment request, one QR code's worth; a server's 60,000-character invoice
 * took 6.7 s) is refused unread.
 */
export function readInvoice(paymentRequest: string): Result<InvoiceFields, "bad_invoice"> {
  if (paymentRequest.length > MAX_INVOICE_CHARS) return fail("bad_invoice", `the invoice is longer than the ${MAX_INVOICE_CHARS} characters LND takes at most`);
  let sections: readonly Section[];
  try {
    sections = decode(paymentRequest).sections as readonly Section[];
  } catch (error) {
    // The decoder's message may quote the whole text (a bech32 checksum's does): said without it, for health and logs.
    const message = (error as Error).message;
    const why = (paymentRequest === "" ? message : message.replaceAll(paymentRequest, "…").replaceAll(paymentRequest.toLowerCase(), "…")).slice(0, 120);
    return fail("bad_invoice", `the invoice does not decode: ${why}`);
  }
  const value = (name: string): unknown => sections.find((section) => section.name === name)?.value;
  const paymentHash = value("payment_hash");
  const timestamp = value("timestamp");
  if (typeof paymentHash !== "string" || typeof timestamp !== "number") return fail("bad_invoice", "the invoice has no payment hash or timestamp");
  const amount = value("amount");
  const expiry = value("expiry");
  // The field's length allows numbers no clock reaches (up to Infinity): an expiry past a safe integer is not one.
  if (expiry !== undefined && !Number.isSafeInteger(expiry)) return fail("bad_invoice", "the invoice's expiry is out of range");
  const text = (name: string) => (typeof value(name) === "string" ? (value(name) as string) : undefined);
  const cltv = value("min_final_cltv_expiry");
  return succeed({
    paymentHash,
    amountMsat: typeof amount === "string" ? BigInt(amount) : undefined,
    timestamp,
    expirySeconds: typeof expiry === "number" ? expiry : DEFAULT_EXPIRY_SECONDS,
    network: invoiceNetwork(paymentRequest),
    description: text("description"),
    descriptionHash: text("description_hash"),
    minFinalCltvExpiry: typeof cltv === "number" ? cltv : undefined,
  });
}

/**
 * The most the payee's own route hints charge in fees to deliver `amountMsat`
 * (0 without hints, or for an invoice that does not decode): fees a payer pays
 * on top of the route to the hint, set by the payee. (A payer's concern: the
 * paywall never reads it.)
 */
export function routeHintFeeMsat(paymentRequest: string, amountMsat: bigint): bigint {
  let sections: readonly Section[];
  try {
    sections = decode(paymentRequest).sections as readonly Section[];
  } catch {
    return 0n;
  }
  return sections.filter((section) => section.name === "route_hint").reduce((most, hint) => {
    const fee = hintFee(hint.value, amountMsat);
    return fee > most ? fee : most;
  }, 0n);
}

/** What a route hint's hops charge to deliver `amountMsat`, from the last hop back (each forwards the amount and the fees after it). */
function hintFee(hops: unknown, amountMsat: bigint): bigint {
  let forwarded = amountMsat;
  for (const hop of Array.isArray(hops) ? [...hops].reverse() : []) {
    const { fee_base_msat: base, fee_proportional_millionths: proportional } = (hop ?? {}) as { fee_base_msat?: unknown; fee_proportional_millionths?: unknown };
    const whole = (n: unknown) => BigInt(Number.isSafeInteger(n) ? (n as number) : 0);
    forwarded += whole(base) + (forwarded * whole(proportional) + 999_999n) / 1_000_000n;
  }
  return forwarded - amountMsat;
}
