import { randomBytes } from "@noble/hashes/utils.js";
import { toHex } from "../bytes.ts";
import { LightningError, type Invoice, type InvoiceBackend, type InvoiceRequest, type InvoiceStatus, type NodeInfo } from "./backend.ts";
import { amountOf, entryOf, objectOf, textOf, wholeOf } from "./answer-fields.ts";
import { checkedPreimage, excerpt, httpCall, jsonOf, type HttpAnswer } from "./http-call.ts";
import { checkInvoice } from "./invoice-check.ts";
import type { Network } from "./networks.ts";
import { nodeNetwork } from "./node-network.ts";

export interface ClnRestConfig {
  /** clnrest, e.g. https://cln.example.com:3010. */
  readonly url: string;
  /** A rune restricted to invoice, listinvoices and getinfo (`lightning-cli createrune restrictions='[["method=invoice","method=listinvoices","method=getinfo"]]'`). */
  readonly rune: string;
  /** The chain its invoices must be on; absent: the node's own (getinfo, asked once). */
  readonly network?: Network;
  readonly timeoutMs: number;
}

/** CLN's network names. */
const NETWORK_NAMES: Record<string, Network> = { bitcoin: "mainnet", testnet: "testnet", signet: "signet", regtest: "regtest" };

/**
 * Core Lightning through clnrest (plugins/rest-plugin): each RPC as
 * `POST /v1/<method>` with JSON params and the `Rune` header, answering 201.
 * `invoice` (amount in msat, a fresh unique label), `listinvoices` by payment
 * hash (`status` unpaid, paid or expired; `payment_preimage` once paid),
 * `getinfo`.
 */
export function clnRestBackend(config: ClnRestConfig): InvoiceBackend {
  const base = config.url.replace(/\/+$/, "");
  const rpc = (method: string, params: object) =>
    httpCall(`${base}/v1/${method}`, { method: "POST", headers: { Rune: config.rune, "Content-Type": "application/json" }, body: JSON.stringify(params) }, config.timeoutMs, `clnrest ${method}`);

  const getInfo = async (): Promise<NodeInfo> => readClnInfo(await rpc("getinfo", {}));
  const network = nodeNetwork(config.network, getInfo);
  return {
    async createInvoice(request: InvoiceRequest): Promise<Invoice> {
      if (request.descriptionHash !== undefined) throw new LightningError("bad_request", "clnrest invoices here carry a description, not a hash");
      const answer = await rpc("invoice", { amount_msat: Number(request.amountMsat), label: `l402-edge-${toHex(randomBytes(12))}`, description: request.memo, expiry: request.expirySeconds });
      const { paymentRequest, paymentHashHex } = readClnCreated(answer);
      return checkInvoice(paymentRequest, { paymentHashHex, request, network: await network() });
    },

    lookupInvoice: async (paymentHash: Uint8Array): Promise<InvoiceStatus> => readClnStatus(await rpc("listinvoices", { payment_hash: toHex(paymentHash) }), paymentHash),

    getInfo,
  };
}

// clnrest's answers, read: pure functions of the HTTP answer (fuzzed in
// test/workerd/fuzz-backends.test.ts); each returns what it read or throws a
// LightningError.
/** `invoice`: the invoice, and the payment hash it must carry. */
export function readClnCreated(answer: HttpAnswer): { readonly paymentRequest: string; readonly paymentHashHex: string } {
  const { bolt11, payment_hash: paymentHash } = success(answer, "invoice");
  if (typeof bolt11 !== "string" || typeof paymentHash !== "string" || !/^[0-9a-f]{64}$/.test(paymentHash)) {
    throw new LightningError("invalid_response", "clnrest invoice: the answer lacks bolt11 or payment_hash");
  }
  return { paymentRequest: bolt11, paymentHashHex: paymentHash };
}

/** `listinvoices` by payment hash. */
export function readClnStatus(answer: HttpAnswer, paymentHash: Uint8Array): InvoiceStatus {
  const invoices = success(answer, "listinvoices")["invoices"];
  if (!Array.isArray(invoices)) throw new LightningError("invalid_response", "clnrest listinvoices: the answer has no invoices");
  if (invoices.length === 0) throw new LightningError("not_found", "clnrest listinvoices: no such invoice");
  const invoice = objectOf(invoices[0]) ?? {};
  const { status, amount_received_msat: received } = invoice;
  const expiresAt = wholeOf(invoice["expires_at"]);
  if ((status !== "paid" && status !== "unpaid" && status !== "expired") || expiresAt === undefined) {
    throw new LightningError("invalid_response", "clnrest listinvoices: the answer is not an invoice");
  }
  return {
    state: status === "paid" ? "settled" : status === "expired" ? "canceled" : "open",
    amountPaidMsat: status === "paid" ? (amountOf(received) ?? 0n) : 0n,
    expiresAt,
    preimage: status === "paid" ? checkedPreimage(invoice["payment_preimage"], paymentHash, "clnrest listinvoices") : undefined,
  };
}

/** `getinfo`. */
export function readClnInfo(answer: HttpAnswer): NodeInfo {
  const reply = success(answer, "getinfo");
  const network = textOf(reply["network"]) ?? "unknown";
  return {
    alias: textOf(reply["alias"]) ?? "",
    network: entryOf(NETWORK_NAMES, network) ?? network,
    syncedToChain: reply["warning_bitcoind_sync"] === undefined && reply["warning_lightningd_sync"] === undefined,
    blockHeight: wholeOf(reply["blockheight"]) ?? 0,
  };
}

/**
 * clnrest: 201 success; a missing rune 403 (code 1501), an invalid one 401
 * (1502); an unknown method 404 (-32601); any RPC error 500 `{code, message}`
 * (-32602: bad parameters).
 */
function success(answer: HttpAnswer, method: string): Record<string, unknown> {
  if (answer.status >= 200 && answer.status < 300) return jsonOf(answer, `clnrest ${method}`);
  const code = typeof answer.json?.["code"] === "number" ? answer.json["code"] : undefined;
  const text = typeof answer.json?.["message"] === "string" ? answer.json["message"] : answer.text;
  const message = `clnrest ${method}: HTTP ${answer.status}${code === undefined ? "" : `, code ${code}`}${text ? `: ${excerpt(text)}` : ""}`;
  if (answer.status === 401 || answer.status === 403 || code === 1501 || code === 1502) throw new LightningError("auth", message);
  if (answer.status === 404) throw new LightningError("node_error", message);
  if (code === -32602 || code === -32600) throw new LightningError("bad_request", message);
  if (answer.status === 500 && code !== undefined) throw new LightningError("node_error", message);
  throw new LightningError(answer.status === 504 ? "timeout" : "unavailable", message);
}
