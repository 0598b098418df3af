import { fromHex, toHex } from "../bytes.ts";
import type { ServiceConfig } from "../config/index.ts";
import type { Invoice, InvoiceBackend, InvoiceRequest } from "../lightning/index.ts";
import { poolBuffer, type PoolBuffer } from "./pool-buffer.ts";
import type { InvoicePool, PooledInvoice } from "./ports.ts";

/**
 * Invoices ready before they are asked for. A challenge at one of a service's
 * listed prices takes an invoice made ahead of demand: from the paywall's
 * buffer (pool-buffer.ts), in memory, else from the pool (ports.ts
 * `InvoicePool`, one call, which also tops the buffer up), and does not wait
 * for the node while either holds one. Each take from the pool lets the taker
 * make a few more after the answer (`later`), as many as the pool grants (its
 * room, its refill rate), so the pool follows demand and empties by expiry
 * when a service is quiet. Any other amount, an empty pool, or a pool that
 * cannot be reached: the node makes the invoice then, as without a pool, and
 * before the refills, which queue behind it at the node.
 *
 * A pool is one invoice request (amount, memo, expiry): a pooled invoice
 * carries exactly what one made on demand would, only made earlier. It is
 * handed out while at least half its asked expiry is left, so a buyer always
 * has that long to pay.
 */
export async function invoiceFor(backend: InvoiceBackend, pool: InvoicePool | undefined, request: InvoiceRequest, pooled: boolean, later: (work: Promise<unknown>) => void, now: number): Promise<Invoice> {
  if (pool === undefined || !pooled) return backend.createInvoice(request);
  const name = poolName(request);
  const here = isolateOf(pool);
  const atHand = here.buffer.next(name, now);
  // Handed to `later` as well: a client that leaves mid-take would otherwise have the take cancelled unsettled, and the buffer count it as asked for good.
  const drawing = atHand === undefined ? here.buffer.draw(name, 1, now).catch(() => undefined) : undefined;
  if (drawing !== undefined) later(drawing);
  const taken = await drawing;
  const fromPool = atHand ?? taken?.invoices[0];
  const invoice = fromPool === undefined ? undefined : invoiceOf(fromPool, request.amountMsat);
  const made = invoice === undefined ? onDemand(here, backend, request) : undefined;
  // A take that leaves the buffer low tops it up from the pool (that take grants the refills); not after a take from the pool, which filled it (or found none for it either).
  const granted = atHand !== undefined && here.buffer.low(name) ? here.buffer.draw(name, 0, now).then((drawn) => drawn.refill) : Promise.resolve(taken?.refill ?? 0);
  // Refills after this challenge's own invoice: the node makes invoices one after another.
  later(Promise.all([granted, made?.catch(() => undefined)]).then(([refills]) => (refills > 0 ? refill(here, backend, pool, name, request, refills) : undefined)).catch(() => undefined));
  return invoice ?? (made as Promise<Invoice>);
}

/** Node calls refilling this isolate's pools at once, at most: each queues at the node before any challenge's invoice asked after it. */
const REFILLS_IN_FLIGHT = 8;

/** What an isolate keeps per pool port (a port is made once per isolate: worker/app.ts): its buffer, and the node calls it is waiting for. */
interface Isolate {
  readonly buffer: PoolBuffer;
  onDemand: number;
  refilling: number;
}
const isolates = new WeakMap<InvoicePool, Isolate>();
function isolateOf(pool: InvoicePool): Isolate {
  let here = isolates.get(pool);
  if (here === undefined) isolates.set(pool, (here = { buffer: poolBuffer(pool), onDemand: 0, refilling: 0 }));
  return here;
}

function onDemand(here: Isolate, backend: InvoiceBackend, request: InvoiceRequest): Promise<Invoice> {
  here.onDemand++;
  return backend.createInvoice(request).finally(() => here.onDemand--);
}

/** The prices a service's pool holds invoices for: its one price, and the credits it sells (what an invoice asks, not what a pricer may say). */
export function pooledAmounts(service: ServiceConfig): readonly bigint[] {
  return [service.priceMsat, ...(service.balance?.offers.map((offer) => offer.amountMsat) ?? [])];
}

/** The pool of one invoice request: invoices alike in all but their hash are interchangeable. */
export const poolName = (request: InvoiceRequest): string => JSON.stringify([String(request.amountMsat), request.expirySeconds, request.memo]);

/** Seconds a pooled invoice must have left to be handed out: half its asked expiry. */
export const handOutMargin = (expirySeconds: number): number => Math.ceil(expirySeconds / 2);

/**
 * Makes what a take granted and puts it in the pool; a node that fails makes
 * fewer (its breaker counts them). Makes none while challenges here wait for
 * invoices made on demand (demand beyond the pool: refills would only queue
 * before them at the node), nor beyond REFILLS_IN_FLIGHT; the grant is handed
 * back whole all the same. Never rejects: it runs after the answer.
 */
async function refill(here: Isolate, backend: InvoiceBackend, pool: InvoicePool, name: string, request: InvoiceRequest, granted: number): Promise<void> {
  const making = here.onDemand > 0 ? 0 : Math.max(0, Math.min(granted, REFILLS_IN_FLIGHT - here.refilling));
  here.refilling += making;
  const made = await Promise.allSettled(Array.from({ length: making }, () => backend.createInvoice(request))).finally(() => (here.refilling -= making));
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
