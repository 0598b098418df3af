import { randomBytes } from "@noble/hashes/utils.js";
import { readInvoice } from "../../src/lightning/index.ts";
import { publicKeyOf, type Network } from "./bolt11.ts";
import { isExpired, InvoiceStore, type StoredInvoice } from "./invoices.ts";

/**
 * The simulated Lightning node behind every simulator front end (LND REST,
 * LNbits, phoenixd, Core Lightning's clnrest, an NWC wallet): one invoice
 * database, one clock, one node key. Invoices one front end issues, another
 * pays: a test's wallet and a paywall's node may be different backends.
 */
export const NETWORKS: Record<string, Network> = { mainnet: "bc", testnet: "tb", signet: "tbs", regtest: "bcrt" };

export interface SimNode {
  readonly store: InvoiceStore;
  /** "regtest", "mainnet", … */
  readonly network: keyof typeof NETWORKS;
  readonly nodeKey: Uint8Array;
  readonly nodePublicKey: Uint8Array;
  now(): number;
  advanceClock(seconds: number): number;
  /**
   * Pays an invoice this node issued (the only ones it can route to), settling
   * it at once, or, with `hold`, leaving it in flight as a payee holding the
   * payment would, until `endHeld`.
   */
  pay(paymentRequest: string, limits: PayLimits & { readonly hold?: false }): Payment;
  pay(paymentRequest: string, limits: PayLimits & { readonly hold: boolean }): Payment | HeldPayment;
  /** Outgoing payments by hex payment hash, as LND's payment database keeps them (TrackPaymentV2 reads it). */
  readonly payments: ReadonlyMap<string, TrackedPayment>;
  /** Ends every payment held in flight: settled (its invoice too) or failed. How many. */
  endHeld(outcome: "settle" | "fail"): number;
}

interface PayLimits {
  readonly amountMsat?: bigint;
  readonly feeLimitMsat: bigint;
  readonly routeFeeMsat: bigint;
}

/** An outgoing payment the node made or is making. */
export interface TrackedPayment {
  status: "IN_FLIGHT" | "SUCCEEDED" | "FAILED";
  failureReason: "FAILURE_REASON_NONE" | "FAILURE_REASON_NO_ROUTE" | "FAILURE_REASON_INCORRECT_PAYMENT_DETAILS";
  readonly paymentRequest: string;
  readonly invoice: StoredInvoice | undefined;
  readonly amountMsat: bigint;
  readonly feeMsat: bigint;
  readonly createdAt: number;
}

/**
 * How a payment ends, in LND's terms (each front end words them its own way):
 * refused before sending (already paid, expired, no amount, not an invoice),
 * failed on the way (no route, the invoice canceled), or settled.
 */
export type Payment =
  | { readonly status: "refused"; readonly reason: "already_paid" | "in_flight" | "expired" | "amount_required" | "invalid"; readonly message: string }
  | { readonly status: "failed"; readonly reason: "no_route" | "incorrect_payment_details"; readonly invoice: StoredInvoice | undefined; readonly amountMsat: bigint }
  | { readonly status: "succeeded"; readonly invoice: StoredInvoice; readonly amountMsat: bigint; readonly feeMsat: bigint };

/** A payment its payee holds: in flight, neither settled nor failed. */
export interface HeldPayment {
  readonly status: "in_flight";
  readonly invoice: StoredInvoice;
  readonly amountMsat: bigint;
  readonly feeMsat: bigint;
}

export function createSimNode(options: { readonly network?: keyof typeof NETWORKS; readonly nodeKey?: Uint8Array } = {}): SimNode {
  const network = options.network ?? "regtest";
  const prefix = NETWORKS[network];
  if (prefix === undefined) throw new Error(`unknown network "${network}" (mainnet, testnet, signet, regtest)`);
  const nodeKey = options.nodeKey ?? randomBytes(32);
  const store = new InvoiceStore(prefix, nodeKey);
  let clockOffset = 0;
  const now = () => Math.floor(Date.now() / 1000) + clockOffset;
  const payments = new Map<string, TrackedPayment>();
  const track = (paymentHash: string, payment: Omit<TrackedPayment, "createdAt">): void => void payments.set(paymentHash, { ...payment, createdAt: now() });
  function pay(paymentRequest: string, limits: PayLimits & { readonly hold?: false }): Payment;
  function pay(paymentRequest: string, limits: PayLimits & { readonly hold: boolean }): Payment | HeldPayment;
  function pay(paymentRequest: string, limits: PayLimits & { readonly hold?: boolean }): Payment | HeldPayment {
    const read = readInvoice(paymentRequest);
    if (!read.ok) return { status: "refused", reason: "invalid", message: `invalid payment request: ${read.detail}` };
    const invoice = store.byPaymentRequest(paymentRequest);
    const amountMsat = read.value.amountMsat ?? limits.amountMsat ?? 0n;
    if (invoice !== undefined && invoice.state === "SETTLED") return { status: "refused", reason: "already_paid", message: "invoice is already paid" };
    if (invoice !== undefined && isExpired(invoice, now())) {
      return { status: "refused", reason: "expired", message: `invoice expired. Valid until ${new Date((invoice.creationDate + invoice.expiry) * 1000).toISOString()}` };
    }
    if (amountMsat === 0n) return { status: "refused", reason: "amount_required", message: "amount must be specified when paying a zero amount invoice" };
    const { paymentHash } = read.value;
    if (payments.get(paymentHash)?.status === "IN_FLIGHT") return { status: "refused", reason: "in_flight", message: "payment is in transition" };
    const tracked = { paymentRequest, invoice, amountMsat, feeMsat: limits.routeFeeMsat };
    if (invoice === undefined || limits.routeFeeMsat > limits.feeLimitMsat) {
      track(paymentHash, { ...tracked, status: "FAILED", failureReason: "FAILURE_REASON_NO_ROUTE" });
      return { status: "failed", reason: "no_route", invoice, amountMsat };
    }
    if (invoice.state === "CANCELED") {
      track(paymentHash, { ...tracked, status: "FAILED", failureReason: "FAILURE_REASON_INCORRECT_PAYMENT_DETAILS" });
      return { status: "failed", reason: "incorrect_payment_details", invoice, amountMsat };
    }
    if (limits.hold === true) {
      track(paymentHash, { ...tracked, status: "IN_FLIGHT", failureReason: "FAILURE_REASON_NONE" });
      return { status: "in_flight", invoice, amountMsat, feeMsat: limits.routeFeeMsat };
    }
    store.settle(invoice, amountMsat, now());
    track(paymentHash, { ...tracked, status: "SUCCEEDED", failureReason: "FAILURE_REASON_NONE" });
    return { status: "succeeded", invoice, amountMsat, feeMsat: limits.routeFeeMsat };
  }
  return {
    store,
    network,
    nodeKey,
    nodePublicKey: publicKeyOf(nodeKey),
    now,
    // LND's watcher cancels invoices as they expire: a clock moved forward and back leaves the ones it passed canceled.
    advanceClock: (seconds) => {
      clockOffset += seconds;
      store.cancelExpired(now());
      return now();
    },
    pay,
    payments,
    endHeld: (outcome) => {
      let ended = 0;
      for (const payment of payments.values()) {
        if (payment.status !== "IN_FLIGHT" || payment.invoice === undefined) continue;
        ended++;
        if (outcome === "fail") {
          payment.status = "FAILED";
          payment.failureReason = "FAILURE_REASON_INCORRECT_PAYMENT_DETAILS";
          continue;
        }
        store.settle(payment.invoice, payment.amountMsat, now());
        payment.status = "SUCCEEDED";
      }
      return ended;
    },
  };
}
