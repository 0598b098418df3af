import { base64url, hex } from "@scure/base";
import { readInvoice } from "../../src/lightning/index.ts";
import { recoverPayee } from "./bolt11.ts";
import type { InvoiceStore, Mismatch, StoredInvoice } from "./invoices.ts";
import { b64, GRPC, int64, LndError, readBytes, readInt64 } from "./lnd-json.ts";
import type { SimNode } from "./node.ts";

/** What a macaroon may do, as LND's entity:action permissions, coarsened. */
export type Permission = "info" | "invoices" | "offchain";

export interface RouteContext {
  readonly node: SimNode;
  readonly store: InvoiceStore;
  readonly network: string;
  readonly nodePublicKey: Uint8Array;
  now(): number;
  mismatch(): Mismatch;
  routeFeeMsat(): bigint;
  /** When AddInvoice stamps an invoice made now (the node's clock, unless a fault moves it). */
  stampedAt(): number;
  /** SendPaymentV2 does not give the payment's final update: the payment settled, or held in flight, or settled after an error line (faults.ts). */
  lostPaymentAnswer(): "settled" | "in_flight" | "error" | null;
}

interface Call {
  readonly context: RouteContext;
  readonly body: Record<string, unknown>;
  readonly params: string[];
  readonly query: URLSearchParams;
}

/** A JSON answer, or a stream writer for server-streaming calls (NDJSON; `open` until the client goes), which may end by dropping the connection. */
type Answer = object | ((write: (line: object) => void, open: () => boolean) => Promise<void | "drop">);

interface Route {
  readonly method: "GET" | "POST";
  /** Server-streaming calls report even early errors as an `{"error": …}` line. */
  readonly streaming?: true;
  readonly pattern: RegExp;
  readonly permission: Permission;
  handle(call: Call): Answer | Promise<Answer>;
}

export const routes: Route[] = [
  { method: "GET", pattern: /^\/v1\/getinfo$/, permission: "info", handle: getInfo },
  { method: "POST", pattern: /^\/v1\/invoices$/, permission: "invoices", handle: addInvoice },
  { method: "GET", pattern: /^\/v1\/invoices$/, permission: "invoices", handle: listInvoices },
  { method: "GET", pattern: /^\/v1\/invoice\/([^/]*)$/, permission: "invoices", handle: lookupByHex },
  { method: "GET", pattern: /^\/v2\/invoices\/lookup$/, permission: "invoices", handle: lookupV2 },
  { method: "GET", pattern: /^\/v1\/payreq\/([^/]+)$/, permission: "offchain", handle: decodePayReq },
  { method: "POST", pattern: /^\/v2\/router\/send$/, permission: "offchain", streaming: true, handle: sendPayment },
  { method: "GET", pattern: /^\/v2\/router\/track\/([^/]+)$/, permission: "offchain", streaming: true, handle: trackPayment },
];

function getInfo({ context }: Call): object {
  return {
    version: "0.19.2-beta commit=lnd-sim",
    commit_hash: "0000000000000000000000000000000000000000",
    identity_pubkey: hex.encode(context.nodePublicKey),
    alias: "lnd-sim",
    color: "#3399ff",
    num_pending_channels: 0,
    num_active_channels: 1,
    num_inactive_channels: 0,
    num_peers: 1,
    block_height: 850_000,
    block_hash: "0".repeat(64),
    best_header_timestamp: int64(context.now()),
    synced_to_chain: true,
    synced_to_graph: true,
    testnet: context.network === "testnet",
    chains: [{ chain: "bitcoin", network: context.network }],
    uris: [],
    features: {},
    require_htlc_interceptor: false,
    store_final_htlc_resolutions: false,
  };
}

function addInvoice({ context, body }: Call): object {
  const value = readInt64(body, "value");
  const valueMsat = readInt64(body, "value_msat");
  if (value !== 0n && valueMsat !== 0n) throw new LndError(GRPC.unknown, "value and value_msat are mutually exclusive");
  const memo = body["memo"] ?? "";
  if (typeof memo !== "string") throw new LndError(GRPC.invalidArgument, "proto: invalid value for string field memo");
  const descriptionHash = readBytes(body, "description_hash");
  const invoice = context.store.add(
    {
      memo,
      valueMsat: valueMsat !== 0n ? valueMsat : value * 1000n,
      expiry: Number(readInt64(body, "expiry")),
      ...(descriptionHash === undefined ? {} : { descriptionHash }),
    },
    context.mismatch(),
    context.stampedAt(),
  );
  return {
    r_hash: b64(invoice.paymentHash),
    payment_request: invoice.paymentRequest,
    add_index: int64(invoice.addIndex),
    payment_addr: b64(invoice.paymentAddr),
  };
}

function listInvoices({ context, query }: Call): object {
  const offset = Number(query.get("index_offset") ?? "0");
  const max = Number(query.get("num_max_invoices") ?? "100");
  const invoices = context.store.list(offset, max, query.get("reversed") === "true", context.now());
  return {
    invoices: invoices.map(invoiceJson),
    last_index_offset: int64(invoices.at(-1)?.addIndex ?? 0),
    first_index_offset: int64(invoices[0]?.addIndex ?? 0),
  };
}

function lookupByHex({ context, params }: Call): object {
  const hash = params[0] ?? "";
  if (!/^[0-9a-fA-F]{64}$/.test(hash)) throw new LndError(GRPC.unknown, "unable to decode payment hash: encoding/hex: invalid byte");
  return invoiceJson(context.store.get(hex.decode(hash.toLowerCase()), context.now()));
}

/** LookupInvoiceV2 takes the hash as URL-safe base64 with its padding; anything else fails, as in LND. */
function lookupV2({ context, query }: Call): object {
  const raw = query.get("payment_hash") ?? "";
  let hash: Uint8Array;
  try {
    hash = base64url.decode(raw);
  } catch {
    throw new LndError(GRPC.invalidArgument, `bad request: payment_hash: illegal base64 data`);
  }
  if (hash.length !== 32) throw new LndError(GRPC.invalidArgument, "payment hash must be exactly 32 bytes");
  return invoiceJson(context.store.get(hash, context.now()));
}

function decodePayReq({ context, params }: Call): object {
  const paymentRequest = decodeURIComponent(params[0] ?? "");
  const read = readInvoice(paymentRequest);
  if (!read.ok) throw new LndError(GRPC.unknown, `invalid payment request: ${read.detail}`);
  const invoice = read.value;
  const amountMsat = invoice.amountMsat ?? 0n;
  const own = context.store.byPaymentRequest(paymentRequest);
  return {
    destination: hex.encode(own ? context.nodePublicKey : recoverPayee(paymentRequest)),
    payment_hash: invoice.paymentHash,
    num_satoshis: int64(amountMsat / 1000n),
    timestamp: int64(invoice.timestamp),
    expiry: int64(invoice.expirySeconds),
    description: invoice.description ?? "",
    description_hash: invoice.descriptionHash ?? "",
    fallback_addr: "",
    cltv_expiry: int64(invoice.minFinalCltvExpiry ?? 18),
    route_hints: [],
    payment_addr: own ? b64(own.paymentAddr) : "",
    num_msat: int64(amountMsat),
    features: {},
  };
}

/**
 * SendPaymentV2. The simulator is also the payee: it can pay only invoices it
 * issued, and settles them at once. Failures follow LND: an error line for what
 * LND refuses before sending, a FAILED payment for what the route refuses.
 */
function sendPayment({ context, body }: Call): Answer {
  const paymentRequest = body["payment_request"];
  if (typeof paymentRequest !== "string" || paymentRequest === "") {
    throw new LndError(GRPC.unknown, "payment_request or dest and amt must be set");
  }
  if (readInt64(body, "timeout_seconds") <= 0n) throw new LndError(GRPC.unknown, "timeout_seconds must be specified");
  const read = readInvoice(paymentRequest);
  if (!read.ok) throw new LndError(GRPC.unknown, `invalid payment request: ${read.detail}`);
  const feeLimitSat = readInt64(body, "fee_limit_sat");
  const feeLimitMsat = readInt64(body, "fee_limit_msat");
  if (feeLimitSat !== 0n && feeLimitMsat !== 0n) throw new LndError(GRPC.unknown, "sat and msat arguments are mutually exclusive");
  const now = context.now();
  const quiet = body["no_inflight_updates"] === true;
  const lost = context.lostPaymentAnswer();
  return async (write) => {
    const requested = readInt64(body, "amt_msat") || readInt64(body, "amt") * 1000n;
    // Both fee limits zero: only zero-fee routes.
    const feeLimit = feeLimitMsat !== 0n ? feeLimitMsat : feeLimitSat * 1000n;
    const payment = context.node.pay(paymentRequest, { amountMsat: requested, feeLimitMsat: feeLimit, routeFeeMsat: context.routeFeeMsat(), hold: lost === "in_flight" });
    if (payment.status === "refused") {
      return write({ error: new LndError(payment.reason === "already_paid" ? GRPC.alreadyExists : GRPC.unknown, payment.message).toJSON() });
    }
    const base = { paymentRequest, amountMsat: payment.amountMsat, feeMsat: context.routeFeeMsat(), now, invoice: payment.invoice };
    if (!quiet) write({ result: paymentJson(base, "IN_FLIGHT", "FAILURE_REASON_NONE") });
    // As LND stopping mid-payment answers: the payment goes on (here it has settled).
    if (lost === "error") return write({ error: new LndError(GRPC.unknown, "rpc error: code = Unknown desc = server is shutting down").toJSON() });
    if (lost !== null) return "drop";
    if (payment.status === "failed") return write({ result: paymentJson(base, "FAILED", payment.reason === "no_route" ? "FAILURE_REASON_NO_ROUTE" : "FAILURE_REASON_INCORRECT_PAYMENT_DETAILS") });
    write({ result: paymentJson(base, "SUCCEEDED", "FAILURE_REASON_NONE") });
  };
}

/**
 * TrackPaymentV2: the payment's current state first (with
 * `no_inflight_updates`, not while it is in flight), then, while it is in
 * flight, the stream stays open until it ends (its final state) or the client
 * goes. A payment hash the node never sent to: NotFound.
 */
function trackPayment({ context, params, query }: Call): Answer {
  let paymentHash: Uint8Array;
  try {
    paymentHash = base64url.decode(decodeURIComponent(params[0] ?? ""));
  } catch {
    throw new LndError(GRPC.invalidArgument, "type mismatch, parameter: payment_hash, error: illegal base64 data");
  }
  if (paymentHash.length !== 32) throw new LndError(GRPC.unknown, `invalid hash length of ${paymentHash.length}, want 32`);
  const payment = context.node.payments.get(hex.encode(paymentHash));
  if (payment === undefined) throw new LndError(GRPC.notFound, "payment isn't initiated");
  const quiet = query.get("no_inflight_updates") === "true";
  const update = () => ({ result: paymentJson({ ...payment, now: payment.createdAt }, payment.status, payment.failureReason) });
  return async (write, open) => {
    if (!quiet || payment.status !== "IN_FLIGHT") write(update());
    if (payment.status !== "IN_FLIGHT") return;
    while (payment.status === "IN_FLIGHT" && open()) await new Promise((resolve) => setTimeout(resolve, 20));
    if (open()) write(update());
  };
}

function paymentJson(
  payment: { paymentRequest: string; amountMsat: bigint; feeMsat: bigint; now: number; invoice: StoredInvoice | undefined },
  status: "IN_FLIGHT" | "SUCCEEDED" | "FAILED",
  failureReason: string,
): object {
  return {
    payment_hash: payment.invoice ? hex.encode(payment.invoice.paymentHash) : "",
    value: int64(payment.amountMsat / 1000n),
    creation_date: int64(payment.now),
    fee: int64(status === "SUCCEEDED" ? payment.feeMsat / 1000n : 0n),
    payment_preimage: status === "SUCCEEDED" && payment.invoice ? hex.encode(payment.invoice.preimage) : "0".repeat(64),
    value_sat: int64(payment.amountMsat / 1000n),
    value_msat: int64(payment.amountMsat),
    payment_request: payment.paymentRequest,
    status,
    fee_sat: int64(status === "SUCCEEDED" ? payment.feeMsat / 1000n : 0n),
    fee_msat: int64(status === "SUCCEEDED" ? payment.feeMsat : 0n),
    creation_time_ns: int64(BigInt(payment.now) * 1_000_000_000n),
    htlcs: [],
    payment_index: payment.invoice ? int64(payment.invoice.addIndex) : "0",
    failure_reason: failureReason,
  };
}

function invoiceJson(invoice: StoredInvoice): object {
  return {
    memo: invoice.memo,
    r_preimage: b64(invoice.preimage),
    r_hash: b64(invoice.paymentHash),
    value: int64(invoice.valueMsat / 1000n),
    value_msat: int64(invoice.valueMsat),
    settled: invoice.state === "SETTLED",
    creation_date: int64(invoice.creationDate),
    settle_date: int64(invoice.settleDate),
    payment_request: invoice.paymentRequest,
    description_hash: invoice.descriptionHash ? b64(invoice.descriptionHash) : "",
    expiry: int64(invoice.expiry),
    fallback_addr: "",
    cltv_expiry: "80",
    route_hints: [],
    private: false,
    add_index: int64(invoice.addIndex),
    settle_index: int64(invoice.settleIndex),
    amt_paid: int64(invoice.amountPaidMsat),
    amt_paid_sat: int64(invoice.amountPaidMsat / 1000n),
    amt_paid_msat: int64(invoice.amountPaidMsat),
    state: invoice.state,
    htlcs: [],
    features: {},
    is_keysend: false,
    payment_addr: b64(invoice.paymentAddr),
    is_amp: false,
    amp_invoice_state: {},
  };
}
