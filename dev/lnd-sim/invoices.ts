import { sha256 } from "@noble/hashes/sha2.js";
import { randomBytes } from "@noble/hashes/utils.js";
import { hex } from "@scure/base";
import { encodeInvoice, fields, type Network } from "./bolt11.ts";
import { GRPC, LndError } from "./lnd-json.ts";

export type InvoiceState = "OPEN" | "SETTLED" | "CANCELED" | "ACCEPTED";

export interface StoredInvoice {
  readonly memo: string;
  readonly preimage: Uint8Array;
  readonly paymentHash: Uint8Array;
  readonly valueMsat: bigint;
  readonly descriptionHash: Uint8Array | undefined;
  readonly creationDate: number;
  readonly expiry: number;
  readonly paymentRequest: string;
  readonly paymentAddr: Uint8Array;
  readonly addIndex: number;
  state: InvoiceState;
  /** LookupInvoice calls made for it (tests of lookup limits read it). */
  lookups: number;
  settleDate: number;
  settleIndex: number;
  amountPaidMsat: bigint;
}

/** What a bad node might do: issue an invoice that does not match its own answer. */
export type Mismatch = "amount" | "hash" | "network" | "expiry" | null;

const LND_DEFAULT_EXPIRY = 86_400;
const MIN_FINAL_CLTV = 80;
const MAX_MEMO_BYTES = 1024;

/** The node's invoice database: in memory, clean on restart. */
export class InvoiceStore {
  readonly #byHash = new Map<string, StoredInvoice>();
  readonly #ordered: StoredInvoice[] = [];
  #settleIndex = 0;
  readonly #network: Network;
  readonly #nodeKey: Uint8Array;

  /** Invoices created since the start. */
  get size(): number {
    return this.#ordered.length;
  }

  constructor(network: Network, nodeKey: Uint8Array) {
    this.#network = network;
    this.#nodeKey = nodeKey;
  }

  add(request: { memo: string; valueMsat: bigint; expiry: number; descriptionHash?: Uint8Array }, mismatch: Mismatch, now: number): StoredInvoice {
    if (new TextEncoder().encode(request.memo).length > MAX_MEMO_BYTES) {
      throw new LndError(GRPC.unknown, `memo too large: ${request.memo.length} bytes (maxsize=${MAX_MEMO_BYTES})`);
    }
    if (request.valueMsat < 0n) throw new LndError(GRPC.unknown, "payments of negative value are not allowed");
    if (request.descriptionHash !== undefined && request.descriptionHash.length !== 32) {
      throw new LndError(GRPC.unknown, "description hash is 32 bytes, got " + request.descriptionHash.length);
    }
    const preimage = randomBytes(32);
    const paymentHash = sha256(preimage);
    const paymentAddr = randomBytes(32);
    const expiry = request.expiry > 0 ? request.expiry : LND_DEFAULT_EXPIRY;
    const invoiceAmount = mismatch === "amount" ? request.valueMsat + 1000n : request.valueMsat;
    const paymentRequest = encodeInvoice({
      network: mismatch === "network" ? (this.#network === "bc" ? "tb" : "bc") : this.#network,
      ...(invoiceAmount > 0n ? { amountMsat: invoiceAmount } : {}),
      timestamp: now,
      fields: [
        fields.paymentHash(mismatch === "hash" ? randomBytes(32) : paymentHash),
        request.descriptionHash === undefined ? fields.description(request.memo) : fields.descriptionHash(request.descriptionHash),
        fields.expiry(mismatch === "expiry" ? expiry * 2 : expiry),
        fields.minFinalCltvExpiry(MIN_FINAL_CLTV),
        fields.features([9, 14, 17]),
        fields.paymentSecret(paymentAddr),
      ],
      privateKey: this.#nodeKey,
    });
    const invoice: StoredInvoice = {
      memo: request.memo,
      preimage,
      paymentHash,
      valueMsat: request.valueMsat,
      descriptionHash: request.descriptionHash,
      creationDate: now,
      expiry,
      paymentRequest,
      paymentAddr,
      addIndex: this.#ordered.length + 1,
      state: "OPEN",
      lookups: 0,
      settleDate: 0,
      settleIndex: 0,
      amountPaidMsat: 0n,
    };
    this.#byHash.set(hex.encode(paymentHash), invoice);
    this.#ordered.push(invoice);
    return invoice;
  }

  get(paymentHash: Uint8Array, now: number): StoredInvoice {
    const invoice = this.#byHash.get(hex.encode(paymentHash));
    if (invoice === undefined) throw new LndError(GRPC.notFound, "unable to locate invoice");
    invoice.lookups++;
    return cancelIfExpired(invoice, now);
  }

  /** An invoice by hex payment hash, without counting a lookup. */
  peek(paymentHashHex: string): StoredInvoice | undefined {
    return this.#byHash.get(paymentHashHex.toLowerCase());
  }

  byPaymentRequest(paymentRequest: string): StoredInvoice | undefined {
    const wanted = paymentRequest.toLowerCase();
    return this.#ordered.find((invoice) => invoice.paymentRequest === wanted);
  }

  settle(invoice: StoredInvoice, amountMsat: bigint, now: number): void {
    invoice.state = "SETTLED";
    invoice.settleDate = now;
    invoice.settleIndex = ++this.#settleIndex;
    invoice.amountPaidMsat = amountMsat;
  }

  /** What LND's expiry watcher has done by `now`: every open invoice past its expiry canceled. */
  cancelExpired(now: number): void {
    for (const invoice of this.#ordered) cancelIfExpired(invoice, now);
  }

  /** ListInvoices: `index_offset` exclusive, oldest first unless reversed. */
  list(offset: number, max: number, reversed: boolean, now: number): StoredInvoice[] {
    const end = offset === 0 ? this.#ordered.length : offset - 1;
    const page = reversed ? this.#ordered.slice(Math.max(0, end - max), end) : this.#ordered.filter((i) => i.addIndex > offset).slice(0, max);
    return page.map((invoice) => cancelIfExpired(invoice, now));
  }
}

export const isExpired = (invoice: StoredInvoice, now: number): boolean => now >= invoice.creationDate + invoice.expiry;

/**
 * LND's invoice expiry watcher cancels an open invoice once it expires (it has
 * since v0.10); the simulator does it when the invoice is next read, which no
 * caller can tell apart.
 */
function cancelIfExpired(invoice: StoredInvoice, now: number): StoredInvoice {
  if (invoice.state === "OPEN" && isExpired(invoice, now)) invoice.state = "CANCELED";
  return invoice;
}
