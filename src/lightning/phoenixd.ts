import { toBase64, toHex } from "../bytes.ts";
import { LightningError, type Invoice, type InvoiceBackend, type InvoiceRequest, type InvoiceStatus, type NodeInfo } from "./backend.ts";
import { amountOf, textOf, wholeOf } from "./answer-fields.ts";
import { checkedPreimage, excerpt, httpCall, jsonOf, type HttpAnswer } from "./http-call.ts";
import { readInvoice } from "./bolt11.ts";
import { checkInvoice } from "./invoice-check.ts";
import type { Network } from "./networks.ts";
import { nodeNetwork } from "./node-network.ts";

export interface PhoenixdConfig {
  /** phoenixd's HTTP API, e.g. https://phoenixd.example.com (port 9740 behind a proxy). */
  readonly url: string;
  /** The http password; the limited-access one suffices (it cannot spend). */
  readonly password: string;
  /** The chain its invoices must be on; absent: the node's own (getinfo, asked once). */
  readonly network?: Network;
  readonly timeoutMs: number;
}

/** phoenixd refuses longer descriptions. */
const MAX_DESCRIPTION = 128;

/**
 * phoenixd (ACINQ/phoenixd Api.kt): `POST /createinvoice` with form fields
 * (`amountSat`, `description` or `descriptionHash`, `expirySeconds`),
 * `GET /payments/incoming/{hash}` (`isPaid`, `isExpired`, `preimage`, times in
 * ms), `GET /getinfo`; HTTP basic auth with the http password. Errors are text.
 */
export function phoenixdBackend(config: PhoenixdConfig): InvoiceBackend {
  const base = config.url.replace(/\/+$/, "");
  const authorization = `Basic ${toBase64(new TextEncoder().encode(`:${config.password}`))}`;
  const call = (method: "GET" | "POST", path: string, form?: URLSearchParams) =>
    httpCall(`${base}${path}`, { method, headers: { Authorization: authorization, ...(form === undefined ? {} : { "Content-Type": "application/x-www-form-urlencoded" }) }, ...(form === undefined ? {} : { body: form.toString() }) }, config.timeoutMs, `phoenixd ${path}`);

  const getInfo = async (): Promise<NodeInfo> => readPhoenixdInfo(await call("GET", "/getinfo"));
  const network = nodeNetwork(config.network, getInfo);
  return {
    wholeSats: true,
    async createInvoice(request: InvoiceRequest): Promise<Invoice> {
      if (request.amountMsat % 1000n !== 0n) throw new LightningError("bad_request", "phoenixd invoices are in whole sats");
      const form = new URLSearchParams({ amountSat: String(request.amountMsat / 1000n), expirySeconds: String(request.expirySeconds) });
      // Cut at phoenixd's limit (UTF-16 units, as Kotlin counts), never inside a character's surrogate pair.
      const memo = request.memo.slice(0, MAX_DESCRIPTION).replace(/[\uD800-\uDBFF]$/, "");
      if (request.descriptionHash !== undefined) form.set("descriptionHash", toHex(request.descriptionHash));
      else form.set("description", memo);
      const { paymentRequest, paymentHashHex } = readPhoenixdCreated(await call("POST", "/createinvoice", form));
      return checkInvoice(paymentRequest, { paymentHashHex, request: { ...request, memo }, network: await network() });
    },

    lookupInvoice: async (paymentHash: Uint8Array): Promise<InvoiceStatus> => readPhoenixdStatus(await call("GET", `/payments/incoming/${toHex(paymentHash)}`), paymentHash),

    getInfo,
  };
}

// phoenixd's answers, read: pure functions of the HTTP answer (fuzzed in
// test/workerd/fuzz-backends.test.ts); each returns what it read or throws a
// LightningError.
/** `POST /createinvoice`: the invoice, and the payment hash it must carry. */
export function readPhoenixdCreated(answer: HttpAnswer): { readonly paymentRequest: string; readonly paymentHashHex: string } {
  const { serialized, paymentHash } = success(answer, "createinvoice");
  if (typeof serialized !== "string" || typeof paymentHash !== "string" || !/^[0-9a-f]{64}$/.test(paymentHash)) {
    throw new LightningError("invalid_response", "phoenixd createinvoice: the answer lacks paymentHash or serialized");
  }
  return { paymentRequest: serialized, paymentHashHex: paymentHash };
}

/** `GET /payments/incoming/{hash}`. */
export function readPhoenixdStatus(answer: HttpAnswer, paymentHash: Uint8Array): InvoiceStatus {
  const reply = success(answer, "payments/incoming");
  const { isPaid, isExpired, receivedSat } = reply;
  const expiresAt = expiryOf(reply);
  if (typeof isPaid !== "boolean" || expiresAt === undefined) throw new LightningError("invalid_response", "phoenixd payments/incoming: the answer is not an incoming payment");
  return {
    // phoenixd before 0.6.1 says nothing of expiry: an open invoice past expiresAt is expired all the same (InvoiceStatus).
    state: isPaid ? "settled" : isExpired === true ? "canceled" : "open",
    amountPaidMsat: isPaid ? (amountOf(receivedSat) ?? 0n) * 1000n : 0n,
    expiresAt,
    // phoenixd knows the preimage before payment: trusted only once the invoice is paid.
    preimage: isPaid ? checkedPreimage(reply["preimage"], paymentHash, "phoenixd payments/incoming") : undefined,
  };
}

/** When an incoming payment's invoice expires, in Unix seconds: its `expiresAt` (ms, phoenixd 0.6.1 on), else the invoice's own stamp and expiry (the payment carries its invoice in every release). */
function expiryOf(reply: Record<string, unknown>): number | undefined {
  const expiresAtMs = wholeOf(reply["expiresAt"]);
  if (expiresAtMs !== undefined) return Math.floor(expiresAtMs / 1000);
  const invoice = typeof reply["invoice"] === "string" ? readInvoice(reply["invoice"]) : undefined;
  return invoice?.ok === true ? invoice.value.timestamp + invoice.value.expirySeconds : undefined;
}

/** `GET /getinfo`. */
export function readPhoenixdInfo(answer: HttpAnswer): NodeInfo {
  const reply = success(answer, "getinfo");
  const blockHeight = wholeOf(reply["blockHeight"]);
  return { alias: `phoenixd ${(textOf(reply["nodeId"]) ?? "").slice(0, 16)}`, network: textOf(reply["chain"]) ?? "unknown", syncedToChain: blockHeight !== undefined, blockHeight: blockHeight ?? 0 };
}

/** phoenixd: 401 wrong password, 400 a request it refuses (text), 404 not found, 500 its own error. */
function success(answer: HttpAnswer, what: string): Record<string, unknown> {
  if (answer.status >= 200 && answer.status < 300) return jsonOf(answer, `phoenixd ${what}`);
  const message = `phoenixd ${what}: HTTP ${answer.status}${answer.text ? `: ${excerpt(answer.text)}` : ""}`;
  if (answer.status === 401 || answer.status === 403) throw new LightningError("auth", message);
  // phoenixd's own 404 (Api.kt's StatusPages: "Not found" for an unknown payment; "Unknown endpoint (check api doc)", which releases before that answered for one too): another (a proxy's page) says nothing of the invoice.
  if (answer.status === 404 && /^(?:not found|unknown endpoint \(check api doc\))$/i.test(answer.text.trim())) throw new LightningError("not_found", message);
  if (answer.status === 400) throw new LightningError("bad_request", message);
  if (answer.status === 500) throw new LightningError("node_error", message);
  throw new LightningError(answer.status === 504 ? "timeout" : "unavailable", message);
}
