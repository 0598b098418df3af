import { base64ToBytes, constantTimeEqual, sha256, toBase64, toHex } from "../bytes.ts";
import {
  LightningError,
  type Invoice,
  type InvoiceBackend,
  type InvoiceRequest,
  type InvoiceState,
  type InvoiceStatus,
  type NodeInfo,
} from "./backend.ts";
import { amountOf, entryOf, objectOf, textOf, wholeOf } from "./answer-fields.ts";
import { httpCall, jsonOf, type HttpAnswer } from "./http-call.ts";
import { checkInvoice } from "./invoice-check.ts";
import type { Network } from "./networks.ts";
import { nodeNetwork } from "./node-network.ts";

export interface LndRestConfig {
  /** The node's REST base URL, e.g. https://lnd.example.com:8080 (must have a publicly trusted certificate). */
  readonly url: string;
  /** Hex of a macaroon with invoices:read, invoices:write and info:read. */
  readonly macaroonHex: string;
  /** The chain its invoices must be on; absent: the node's own (getinfo, asked once). */
  readonly network?: Network;
  /** Per call; LND answers AddInvoice in milliseconds when healthy. */
  readonly timeoutMs: number;
}

/** LND over its REST API (grpc-gateway): int64 as strings, bytes as standard base64. */
export function lndRestBackend(config: LndRestConfig): InvoiceBackend {
  const base = config.url.replace(/\/+$/, "");
  const call = (method: "GET" | "POST", path: string, body?: object) =>
    httpCall(`${base}${path}`, { method, headers: { "Grpc-Metadata-macaroon": config.macaroonHex, ...(body ? { "Content-Type": "application/json" } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) }, config.timeoutMs, path);

  const getInfo = async (): Promise<NodeInfo> => readLndInfo(await call("GET", "/v1/getinfo"));
  const network = nodeNetwork(config.network, getInfo);
  return {
    async createInvoice(request: InvoiceRequest): Promise<Invoice> {
      const wholeSats = request.amountMsat % 1000n === 0n;
      const answer = await call("POST", "/v1/invoices", {
        memo: request.memo,
        ...(wholeSats ? { value: String(request.amountMsat / 1000n) } : { value_msat: String(request.amountMsat) }),
        expiry: String(request.expirySeconds),
        ...(request.descriptionHash === undefined ? {} : { description_hash: toBase64(request.descriptionHash) }),
      });
      const { paymentRequest, paymentHashHex } = readLndCreated(answer);
      return checkInvoice(paymentRequest, { paymentHashHex, request, network: await network() });
    },

    lookupInvoice: async (paymentHash: Uint8Array): Promise<InvoiceStatus> => readLndStatus(await call("GET", invoicePath(paymentHash)), paymentHash),

    getInfo,
  };
}

const invoicePath = (paymentHash: Uint8Array) => `/v1/invoice/${toHex(paymentHash)}`;

// LND's answers, read: pure functions of the HTTP answer, so every shape a node
// (or whatever stands in front of it) might send can be tried on them
// (test/workerd/fuzz-backends.test.ts). Each returns what it read or throws a
// LightningError; nothing of an answer goes anywhere unread.
/** AddInvoice: the invoice, and the payment hash it must carry (checkInvoice checks it does). */
export function readLndCreated(answer: HttpAnswer): { readonly paymentRequest: string; readonly paymentHashHex: string } {
  const reply = lndReply(answer, "/v1/invoices");
  const paymentHash = bytesField(reply, "r_hash");
  const paymentRequest = reply["payment_request"];
  if (paymentHash?.length !== 32 || typeof paymentRequest !== "string") {
    throw new LightningError("invalid_response", "AddInvoice answer lacks r_hash or payment_request");
  }
  return { paymentRequest, paymentHashHex: toHex(paymentHash) };
}

/** LookupInvoice. */
export function readLndStatus(answer: HttpAnswer, paymentHash: Uint8Array): InvoiceStatus {
  const reply = lndReply(answer, invoicePath(paymentHash));
  const state = entryOf(STATES, reply["state"]);
  const creation = wholeOf(reply["creation_date"]);
  const expiry = wholeOf(reply["expiry"]);
  const paid = amountOf(reply["amt_paid_msat"] ?? "0");
  if (state === undefined || creation === undefined || expiry === undefined || !Number.isSafeInteger(creation + expiry) || paid === undefined) {
    throw new LightningError("invalid_response", "LookupInvoice answer is not an invoice");
  }
  // Built field by field: nothing else of the reply goes anywhere.
  return { state, amountPaidMsat: paid, expiresAt: creation + expiry, preimage: state === "settled" ? settledPreimage(reply, paymentHash) : undefined };
}

/** GetInfo. */
export function readLndInfo(answer: HttpAnswer): NodeInfo {
  const reply = lndReply(answer, "/v1/getinfo");
  const chains = reply["chains"];
  const chain = Array.isArray(chains) ? objectOf(chains[0]) : undefined;
  return {
    alias: textOf(reply["alias"]) ?? "",
    network: textOf(chain?.["network"]) ?? "unknown",
    syncedToChain: reply["synced_to_chain"] === true,
    blockHeight: wholeOf(reply["block_height"]) ?? 0,
  };
}

/** A success's JSON object, or the error a failure's status (and LND's `{code, message}`) means. */
function lndReply(answer: HttpAnswer, path: string): Record<string, unknown> {
  if (answer.status >= 200 && answer.status < 300) return jsonOf(answer, path);
  return statusError(answer.status, answer.json, path);
}

/** A settled invoice's r_preimage, which must hash to its payment hash: a node's word is not proof. */
function settledPreimage(reply: Record<string, unknown>, paymentHash: Uint8Array): Uint8Array {
  const preimage = bytesField(reply, "r_preimage");
  if (preimage?.length !== 32 || !constantTimeEqual(sha256(preimage), paymentHash)) {
    throw new LightningError("invalid_response", "LookupInvoice: the settled invoice's r_preimage does not match its payment hash");
  }
  return preimage;
}

const STATES: Record<string, InvoiceState> = { OPEN: "open", ACCEPTED: "accepted", SETTLED: "settled", CANCELED: "canceled" };

function bytesField(reply: Record<string, unknown>, name: string): Uint8Array | undefined {
  const value = reply[name];
  if (typeof value !== "string") return undefined;
  try {
    return base64ToBytes(value);
  } catch {
    return undefined;
  }
}

/**
 * grpc-gateway maps gRPC codes to HTTP statuses; LND reports a bad or missing
 * macaroon as code 2 / HTTP 500, so not every 500 is transient.
 */
function statusError(status: number, json: Record<string, unknown> | undefined, path: string): never {
  const code = typeof json?.["code"] === "number" ? json["code"] : undefined;
  const message = typeof json?.["message"] === "string" ? json["message"].slice(0, 200) : "";
  const detail = `${path}: HTTP ${status}${code === undefined ? "" : `, code ${code}`}${message ? `: ${message}` : ""}`;
  if (status === 401 || status === 403 || /macaroon|permission denied|verification failed/i.test(message)) {
    throw new LightningError("auth", detail);
  }
  // LND's own NOT_FOUND (code 5, "unable to locate invoice"): a 404 without it is a proxy's or tunnel's, and grpc-gateway's "Not Found" an unknown route's; neither says anything of the invoice.
  if (code === 5 && !/^not found$/i.test(message)) throw new LightningError("not_found", detail);
  if (code === 4 || status === 504) throw new LightningError("timeout", detail);
  if (code === 3 || status === 400) throw new LightningError("bad_request", detail);
  if (code !== undefined && code !== 14 && status < 502) throw new LightningError("node_error", detail);
  // Code 14, or a proxy or tunnel in front of the node answering without an LND body.
  throw new LightningError("unavailable", detail);
}
