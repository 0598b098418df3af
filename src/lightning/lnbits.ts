import { toHex } from "../bytes.ts";
import { LightningError, type Invoice, type InvoiceBackend, type InvoiceRequest, type InvoiceStatus, type NodeInfo } from "./backend.ts";
import { amountOf, objectOf, textOf, wholeOf } from "./answer-fields.ts";
import { checkedPreimage, excerpt, httpCall, jsonOf, type HttpAnswer } from "./http-call.ts";
import { readInvoice } from "./bolt11.ts";
import { checkInvoice } from "./invoice-check.ts";
import type { Network } from "./networks.ts";
import { nodeNetwork } from "./node-network.ts";

export interface LnbitsConfig {
  /** The LNbits instance, e.g. https://legend.lnbits.com. */
  readonly url: string;
  /** The wallet's invoice/read key (never the admin key: it can spend). */
  readonly invoiceKey: string;
  /** The chain its invoices must be on. LNbits names none, so without it every invoice is refused. */
  readonly network?: Network;
  readonly timeoutMs: number;
}

/**
 * An LNbits wallet (lnbits/core/views/payment_api.py): invoices through
 * `POST /api/v1/payments` with `out: false` (amounts in whole sats), their
 * state through `GET /api/v1/payments/{hash}`, the wallet through
 * `GET /api/v1/wallet`; the key in `X-Api-Key`. LNbits says nothing of its
 * network: health reports the configured one.
 */
export function lnbitsBackend(config: LnbitsConfig): InvoiceBackend {
  const base = config.url.replace(/\/+$/, "");
  const call = (method: "GET" | "POST", path: string, body?: object) =>
    httpCall(`${base}${path}`, { method, headers: { "X-Api-Key": config.invoiceKey, ...(body === undefined ? {} : { "Content-Type": "application/json" }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) }, config.timeoutMs, `LNbits ${path}`);
  // LNbits' API names no chain: the network reported is the configured one (every invoice's prefix is still checked).
  const getInfo = async (): Promise<NodeInfo> => readLnbitsInfo(await call("GET", "/api/v1/wallet"), config.network ?? "unknown");
  const network = nodeNetwork(config.network, getInfo);

  return {
    wholeSats: true,
    async createInvoice(request: InvoiceRequest): Promise<Invoice> {
      if (request.amountMsat % 1000n !== 0n) throw new LightningError("bad_request", "LNbits invoices are in whole sats");
      const answer = await call("POST", "/api/v1/payments", {
        out: false,
        amount: Number(request.amountMsat / 1000n),
        unit: "sat",
        memo: request.memo,
        expiry: request.expirySeconds,
        ...(request.descriptionHash === undefined ? {} : { description_hash: toHex(request.descriptionHash) }),
      });
      const { paymentRequest, paymentHashHex } = readLnbitsCreated(answer);
      return checkInvoice(paymentRequest, { paymentHashHex, request, network: await network() });
    },

    lookupInvoice: async (paymentHash: Uint8Array): Promise<InvoiceStatus> => readLnbitsStatus(await call("GET", `/api/v1/payments/${toHex(paymentHash)}`), paymentHash),

    getInfo,
  };
}

// LNbits' answers, read: pure functions of the HTTP answer (fuzzed in
// test/workerd/fuzz-backends.test.ts); each returns what it read or throws a
// LightningError.
/** `POST /api/v1/payments`: the invoice, and the payment hash it must carry. */
export function readLnbitsCreated(answer: HttpAnswer): { readonly paymentRequest: string; readonly paymentHashHex: string } {
  const reply = success(answer, "create");
  // Current releases answer the Payment (`bolt11`); older ones `payment_request`.
  const paymentRequest = reply["bolt11"] ?? reply["payment_request"];
  const paymentHash = reply["payment_hash"];
  if (typeof paymentRequest !== "string" || typeof paymentHash !== "string" || !/^[0-9a-f]{64}$/.test(paymentHash)) {
    throw new LightningError("invalid_response", "LNbits create: the answer lacks payment_hash or bolt11");
  }
  return { paymentRequest, paymentHashHex: paymentHash };
}

/** `GET /api/v1/payments/{hash}`. */
export function readLnbitsStatus(answer: HttpAnswer, paymentHash: Uint8Array): InvoiceStatus {
  const reply = success(answer, "lookup");
  const details = objectOf(reply["details"]) ?? {};
  const expiry = expiryOf(details);
  if (typeof reply["paid"] !== "boolean" || expiry === undefined) throw new LightningError("invalid_response", "LNbits lookup: the answer is not a payment");
  const paid = reply["paid"];
  const failed = reply["status"] === "failed" || details["status"] === "failed";
  // Outgoing payments' amounts are negative: nothing received.
  const amount = amountOf(details["amount"]) ?? 0n;
  return {
    state: paid ? "settled" : failed ? "canceled" : "open",
    amountPaidMsat: paid ? amount : 0n,
    expiresAt: expiry,
    preimage: paid ? checkedPreimage(reply["preimage"], paymentHash, "LNbits lookup") : undefined,
  };
}

/**
 * When a payment's invoice expires, in Unix seconds: `details.expiry` as LNbits
 * 1.0 on writes it (an ISO date; one without an offset is UTC, as LNbits keeps
 * its times, whatever this machine's zone), as releases before wrote it (Unix
 * seconds, a float), else the stamp and expiry of its invoice (`bolt11`).
 */
function expiryOf(details: Record<string, unknown>): number | undefined {
  const { expiry, bolt11 } = details;
  if (typeof expiry === "number") return expiry > 0 ? wholeOf(Math.floor(expiry)) : undefined;
  const text = textOf(expiry);
  if (text !== undefined) return wholeOf(Math.floor(Date.parse(/(?:Z|[+-]\d\d:?\d\d)$/i.test(text) ? text : `${text}Z`) / 1000));
  const invoice = typeof bolt11 === "string" ? readInvoice(bolt11) : undefined;
  return invoice?.ok === true ? invoice.value.timestamp + invoice.value.expirySeconds : undefined;
}

/** `GET /api/v1/wallet`, on the network the backend was given. */
export function readLnbitsInfo(answer: HttpAnswer, network: string): NodeInfo {
  const reply = success(answer, "wallet");
  return { alias: textOf(reply["name"]) ?? "LNbits wallet", network, syncedToChain: true, blockHeight: 0 };
}

/**
 * LNbits' statuses: 401 no key, 403 the wrong kind of key, 404 "Wallet not
 * found." for an unknown key (and "Payment does not exist." for an unknown
 * payment), 422 a request it cannot read, 520 the funding source's own error.
 */
function success(answer: HttpAnswer, what: string): Record<string, unknown> {
  if (answer.status >= 200 && answer.status < 300) return jsonOf(answer, `LNbits ${what}`);
  const detail = typeof answer.json?.["detail"] === "string" ? answer.json["detail"] : excerpt(answer.text);
  const message = `LNbits ${what}: HTTP ${answer.status}${detail ? `: ${excerpt(detail)}` : ""}`;
  if (answer.status === 401 || answer.status === 403 || /wallet not found/i.test(detail)) throw new LightningError("auth", message);
  // LNbits' own word for an unknown payment: another 404 (a proxy's page, an unknown route) says nothing of the invoice.
  if (answer.status === 404 && /payment does not exist/i.test(detail)) throw new LightningError("not_found", message);
  if (answer.status === 400 || answer.status === 422) throw new LightningError("bad_request", message);
  if (answer.status === 520 || answer.status === 500) throw new LightningError("node_error", message);
  throw new LightningError(answer.status === 504 ? "timeout" : "unavailable", message);
}
