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
  /** Pays an invoice this node issued (the only ones it can route to), settling it at once. */
  pay(paymentRequest: string, limits: { readonly amountMsat?: bigint; readonly feeLimitMsat: bigint; readonly routeFeeMsat: bigint }): Payment;
}

/**
 * How a payment ends, in LND's terms (each front end words them its own way):
 * refused before sending (already paid, expired, no amount, not an invoice),
 * failed on the way (no route, the invoice canceled), or settled.
 */
export type Payment =
  | { readonly status: "refused"; readonly reason: "already_paid" | "expired" | "amount_required" | "invalid"; readonly message: string }
  | { readonly status: "failed"; readonly reason: "no_route" | "incorrect_payment_details"; readonly invoice: StoredInvoice | undefined; readonly amountMsat: bigint }
  | { readonly status: "succeeded"; readonly invoice: StoredInvoice; readonly amountMsat: bigint; readonly feeMsat: bigint };

export function createSimNode(options: { readonly network?: keyof typeof NETWORKS; readonly nodeKey?: Uint8Array } = {}): SimNode {
  const network = options.network ?? "regtest";
  const prefix = NETWORKS[network];
  if (prefix === undefined) throw new Error(`unknown network "${network}" (mainnet, testnet, signet, regtest)`);
  const nodeKey = options.nodeKey ?? randomBytes(32);
  const store = new InvoiceStore(prefix, nodeKey);
  let clockOffset = 0;
  const now = () => Math.floor(Date.now() / 1000) + clockOffset;
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
    pay: (paymentRequest, limits) => {
      const read = readInvoice(paymentRequest);
      if (!read.ok) return { status: "refused", reason: "invalid", message: `invalid payment request: ${read.detail}` };
      const invoice = store.byPaymentRequest(paymentRequest);
      const amountMsat = read.value.amountMsat ?? limits.amountMsat ?? 0n;
      if (invoice !== undefined && invoice.state === "SETTLED") return { status: "refused", reason: "already_paid", message: "invoice is already paid" };
      if (invoice !== undefined && isExpired(invoice, now())) {
        return { status: "refused", reason: "expired", message: `invoice expired. Valid until ${new Date((invoice.creationDate + invoice.expiry) * 1000).toISOString()}` };
      }
      if (amountMsat === 0n) return { status: "refused", reason: "amount_required", message: "amount must be specified when paying a zero amount invoice" };
      if (invoice === undefined || limits.routeFeeMsat > limits.feeLimitMsat) return { status: "failed", reason: "no_route", invoice, amountMsat };
      if (invoice.state === "CANCELED") return { status: "failed", reason: "incorrect_payment_details", invoice, amountMsat };
      store.settle(invoice, amountMsat, now());
      return { status: "succeeded", invoice, amountMsat, feeMsat: limits.routeFeeMsat };
    },
  };
}
