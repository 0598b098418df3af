import { sha256 } from "@noble/hashes/sha2.js";
import { base64, hex } from "@scure/base";
import {
  LightningError,
  type Invoice,
  type InvoiceBackend,
  type InvoiceRequest,
  type InvoiceState,
  type InvoiceStatus,
  type NodeInfo,
} from "./backend.ts";
import { parseObject } from "./http-call.ts";
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
  const call = (method: "GET" | "POST", path: string, body?: object) => callLnd(base, config, method, path, body);
  const getInfo = async (): Promise<NodeInfo> => {
    const reply = await call("GET", "/v1/getinfo");
    const chains = reply["chains"] as { network?: unknown }[] | undefined;
    return {
      alias: String(reply["alias"] ?? ""),
      network: String(chains?.[0]?.network ?? "unknown"),
      syncedToChain: reply["synced_to_chain"] === true,
      blockHeight: Number(reply["block_height"] ?? 0),
    };
  };
  const network = nodeNetwork(config.network, getInfo);

  return {
    async createInvoice(request: InvoiceRequest): Promise<Invoice> {
      const wholeSats = request.amountMsat % 1000n === 0n;
      const reply = await call("POST", "/v1/invoices", {
        memo: request.memo,
        ...(wholeSats ? { value: String(request.amountMsat / 1000n) } : { value_msat: String(request.amountMsat) }),
        expiry: String(request.expirySeconds),
        ...(request.descriptionHash === undefined ? {} : { description_hash: base64.encode(request.descriptionHash) }),
      });
      const paymentHash = bytesField(reply, "r_hash");
      const paymentRequest = reply["payment_request"];
      if (paymentHash?.length !== 32 || typeof paymentRequest !== "string") {
        throw new LightningError("invalid_response", "AddInvoice answer lacks r_hash or payment_request");
      }
      return checkInvoice(paymentRequest, { paymentHashHex: hex.encode(paymentHash), request, network: await network() });
    },

    async lookupInvoice(paymentHash: Uint8Array): Promise<InvoiceStatus> {
      const reply = await call("GET", `/v1/invoice/${hex.encode(paymentHash)}`);
      const state = STATES[String(reply["state"])];
      const creation = Number(reply["creation_date"]);
      const expiry = Number(reply["expiry"]);
      const paid = reply["amt_paid_msat"] ?? "0";
      if (state === undefined || !Number.isFinite(creation) || !Number.isFinite(expiry) || !/^\d+$/.test(String(paid))) {
        throw new LightningError("invalid_response", "LookupInvoice answer is not an invoice");
      }
      // Built field by field: nothing else of the reply goes anywhere.
      return { state, amountPaidMsat: BigInt(String(paid)), expiresAt: creation + expiry, preimage: state === "settled" ? settledPreimage(reply, paymentHash) : undefined };
    },

    getInfo,
  };
}

/** A settled invoice's r_preimage, which must hash to its payment hash: a node's word is not proof. */
function settledPreimage(reply: Record<string, unknown>, paymentHash: Uint8Array): Uint8Array {
  const preimage = bytesField(reply, "r_preimage");
  if (preimage?.length !== 32 || !equalBytes(sha256(preimage), paymentHash)) {
    throw new LightningError("invalid_response", "LookupInvoice: the settled invoice's r_preimage does not match its payment hash");
  }
  return preimage;
}

const equalBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((byte, i) => byte === b[i]);

const STATES: Record<string, InvoiceState> = { OPEN: "open", ACCEPTED: "accepted", SETTLED: "settled", CANCELED: "canceled" };

function bytesField(reply: Record<string, unknown>, name: string): Uint8Array | undefined {
  const value = reply[name];
  if (typeof value !== "string") return undefined;
  try {
    return base64.decode(value);
  } catch {
    return undefined;
  }
}

async function callLnd(
  base: string,
  config: LndRestConfig,
  method: "GET" | "POST",
  path: string,
  body?: object,
): Promise<Record<string, unknown>> {
  let response: Response;
  try {
    response = await fetch(`${base}${path}`, {
      method,
      headers: { "Grpc-Metadata-macaroon": config.macaroonHex, ...(body ? { "Content-Type": "application/json" } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(config.timeoutMs),
    });
  } catch (error) {
    throw transportError(error, config.timeoutMs, path);
  }
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    throw transportError(error, config.timeoutMs, path);
  }
  const json = parseObject(text);
  if (response.ok) {
    if (json === undefined) throw new LightningError("invalid_response", `${path}: the node's answer is not a JSON object`);
    return json;
  }
  throw statusError(response.status, json, path);
}

function transportError(error: unknown, timeoutMs: number, path: string): LightningError {
  const name = (error as { name?: string }).name;
  if (name === "TimeoutError" || name === "AbortError") return new LightningError("timeout", `${path}: no answer within ${timeoutMs} ms`);
  return new LightningError("unavailable", `${path}: cannot reach the node (${(error as Error).message})`);
}

/**
 * grpc-gateway maps gRPC codes to HTTP statuses; LND reports a bad or missing
 * macaroon as code 2 / HTTP 500, so not every 500 is transient.
 */
function statusError(status: number, json: Record<string, unknown> | undefined, path: string): LightningError {
  const code = typeof json?.["code"] === "number" ? json["code"] : undefined;
  const message = typeof json?.["message"] === "string" ? json["message"].slice(0, 200) : "";
  const detail = `${path}: HTTP ${status}${code === undefined ? "" : `, code ${code}`}${message ? `: ${message}` : ""}`;
  if (status === 401 || status === 403 || /macaroon|permission denied|verification failed/i.test(message)) {
    return new LightningError("auth", detail);
  }
  if (code === 5 || status === 404) return new LightningError("not_found", detail);
  if (code === 4 || status === 504) return new LightningError("timeout", detail);
  if (code === 3 || status === 400) return new LightningError("bad_request", detail);
  if (code !== undefined && code !== 14 && status < 502) return new LightningError("node_error", detail);
  // Code 14, or a proxy or tunnel in front of the node answering without an LND body.
  return new LightningError("unavailable", detail);
}
