import { fromHex, toHex } from "../bytes.ts";
import type { ServiceConfig } from "../config/index.ts";
import type { Invoice, InvoiceBackend, InvoiceRequest } from "../lightning/index.ts";
import type { InvoicePool, PooledInvoice } from "./ports.ts";

/**
 * Invoices ready before they are asked for. A challenge at one of a service's
 * listed prices takes an invoice from the pool (ports.ts `InvoicePool`) and
 * does not wait for the node while the pool holds one; each take lets the
 * taker make a few more after the answer (`later`), as many as the pool grants
 * (its room, its refill rate), so the pool follows demand and empties by
 * expiry when a service is quiet. Any other amount, an empty pool, or a pool
 * that cannot be reached: the node makes the invoice then, as without a pool.
 *
 * A pool is one invoice request (amount, memo, expiry): a pooled invoice
 * carries exactly what one made on demand would, only made earlier. It is
 * handed out while at least half its asked expiry is left, so a buyer always
 * has that long to pay.
 */
export async function invoiceFor(backend: InvoiceBackend, pool: InvoicePool | undefined, request: InvoiceRequest, pooled: boolean, later: (work: Promise<unknown>) => void, now: number): Promise<Invoice> {
  if (pool === undefined || !pooled) return backend.createInvoice(request);
  const name = poolName(request);
  const taken = await pool.take(name, now).catch(() => undefined);
  if (taken !== undefined && taken.refill > 0) later(refill(backend, pool, name, request, taken.refill));
  const invoice = taken?.invoice === undefined ? undefined : invoiceOf(taken.invoice, request.amountMsat);
  return invoice ?? backend.createInvoice(request);
}

/** The prices a service's pool holds invoices for: its one price, and the credits it sells (what an invoice asks, not what a pricer may say). */
export function pooledAmounts(service: ServiceConfig): readonly bigint[] {
  return [service.priceMsat, ...(service.balance?.offers.map((offer) => offer.amountMsat) ?? [])];
}

/** The pool of one invoice request: invoices alike in all but their hash are interchangeable. */
export const poolName = (request: InvoiceRequest): string => JSON.stringify([String(request.amountMsat), request.expirySeconds, request.memo]);

/** Seconds a pooled invoice must have left to be handed out: half its asked expiry. */
export const handOutMargin = (expirySeconds: number): number => Math.ceil(expirySeconds / 2);

/** Makes what a take granted and puts it in the pool; a node that fails makes fewer (its breaker counts them). Never rejects: it runs after the answer. */
async function refill(backend: InvoiceBackend, pool: InvoicePool, name: string, request: InvoiceRequest, granted: number): Promise<void> {
  const made = await Promise.allSettled(Array.from({ length: granted }, () => backend.createInvoice(request)));
  const invoices = made.flatMap((outcome) => (outcome.status === "fulfilled" ? [pooledFrom(outcome.value, request.expirySeconds)] : []));
  await pool.put(name, invoices, granted, Math.floor(Date.now() / 1000)).catch(() => undefined);
}

const pooledFrom = (invoice: Invoice, expirySeconds: number): PooledInvoice => ({
  paymentRequest: invoice.paymentRequest,
  paymentHash: toHex(invoice.paymentHash),
  amountMsat: String(invoice.amountMsat),
  expiresAt: invoice.expiresAt,
  handOutBy: invoice.expiresAt - handOutMargin(expirySeconds),
});

/** The invoice a pool gave, if it is the one asked for (a damaged entry is as good as none: the node makes one). */
function invoiceOf(pooled: PooledInvoice, amountMsat: bigint): Invoice | undefined {
  const paymentHash = /^[0-9a-f]{64}$/.test(pooled.paymentHash) ? fromHex(pooled.paymentHash) : undefined;
  if (paymentHash === undefined || pooled.amountMsat !== String(amountMsat) || typeof pooled.paymentRequest !== "string") return undefined;
  return { paymentRequest: pooled.paymentRequest, paymentHash, amountMsat, expiresAt: pooled.expiresAt };
}
