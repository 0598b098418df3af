import { fromHex } from "../bytes.ts";
import { LightningError, type InvoiceBackend } from "../lightning/index.ts";
import { sharedFlights } from "../shared-flight.ts";
import type { LookupLimiter } from "./ports.ts";
import type { InvoiceAnswer, SettledInvoices } from "./schemes/scheme.ts";

/** Settled invoices remembered per paywall: enough for the payments presented within a few seconds of one another. */
const REMEMBERED = 1024;

/**
 * The node, asked whether an invoice this paywall issued was paid: at most
 * once a second per invoice across every isolate (the lookup limiter, as
 * browser payments poll), once at a time within one paywall (concurrent
 * askers share the answer), and never again once settled (a settled invoice
 * stays settled: its preimage is kept). Fails closed: no limiter, a busy
 * one, or a sick node is `unavailable`, never `settled`.
 */
export function settledInvoices(backend: InvoiceBackend, limiter: LookupLimiter | undefined): SettledInvoices {
  const settled = new Map<string, Uint8Array>();
  // Shared within a minute (shared-flight.ts): a lookup limiter's call and the node's, at their longest timeout.
  const asking = sharedFlights<InvoiceAnswer>(60_000, () => ({ state: "unavailable", reason: "node_unavailable", detail: "the Lightning node has not answered about this payment yet; retry shortly", retryAfterSeconds: 2 }));
  const ask = async (paymentHash: string): Promise<InvoiceAnswer> => {
    const answer = await lookUp(backend, limiter, paymentHash);
    if (answer.state === "settled") {
      if (settled.size >= REMEMBERED) settled.delete(settled.keys().next().value as string);
      settled.set(paymentHash, answer.preimage);
    }
    return answer;
  };
  return {
    async preimageOf(paymentHash) {
      const preimage = settled.get(paymentHash);
      if (preimage !== undefined) return { state: "settled", preimage };
      return asking(paymentHash, () => ask(paymentHash));
    },
  };
}

async function lookUp(backend: InvoiceBackend, limiter: LookupLimiter | undefined, paymentHash: string): Promise<InvoiceAnswer> {
  const busy = { state: "unavailable", reason: "payment_check_busy", retryAfterSeconds: 1 } as const;
  try {
    if (limiter === undefined) return { ...busy, detail: "this paywall cannot ask its node about payments (no lookup limiter)" };
    if (!(await limiter.allow(paymentHash))) return { ...busy, detail: "this payment's invoice was checked with the node within the last second; retry shortly" };
  } catch {
    return { ...busy, detail: "cannot check this payment with the node right now; retry shortly" };
  }
  try {
    const status = await backend.lookupInvoice(fromHex(paymentHash) ?? new Uint8Array(32));
    return status.state === "settled" && status.preimage !== undefined ? { state: "settled", preimage: status.preimage } : { state: "unsettled" };
  } catch (error) {
    if (!(error instanceof LightningError)) throw error;
    // A healthy node that does not know the invoice: it was never paid to this node.
    if (error.reason === "not_found") return { state: "unsettled" };
    return { state: "unavailable", reason: "node_unavailable", detail: "the Lightning node cannot confirm this payment right now; retry shortly", retryAfterSeconds: error.retryAfterSeconds ?? 2 };
  }
}
