import { toHex } from "../../bytes.ts";
import { LightningError, type Invoice, type InvoiceBackend, type InvoiceRequest, type InvoiceStatus, type NodeInfo } from "../backend.ts";
import { amountOf, textOf, wholeOf } from "../answer-fields.ts";
import { checkedPreimage } from "../http-call.ts";
import { checkInvoice } from "../invoice-check.ts";
import type { Network } from "../networks.ts";
import { nodeNetwork } from "../node-network.ts";
import { nwcClient, perCallSockets, type NwcCall } from "./nwc-client.ts";
import { runtimeWebSocket, type WebSocketFactory } from "./relay-socket.ts";
import { parseNwcUri } from "./uri.ts";

export interface NwcBackendConfig {
  /** `nostr+walletconnect://…` from the wallet (a secret: give it a connection that can only receive). */
  readonly uri: string;
  /** The chain its invoices must be on; absent: the wallet's own (get_info, asked once). */
  readonly network?: Network;
  readonly timeoutMs: number;
  /** How to open the relay's WebSocket (default: a fetch upgrade on Workers, the platform's WebSocket elsewhere: Node 22+, Deno, Bun; on Node 20, `(url) => new WebSocket(url)` with `ws`). */
  readonly webSocket?: WebSocketFactory;
}

/**
 * A wallet reached through Nostr Wallet Connect as the paywall's node, from its
 * connection URI, a fresh relay connection per call. Throws on a bad URI
 * (without quoting it).
 */
export function nwcBackend(config: NwcBackendConfig): InvoiceBackend {
  const connection = parseNwcUri(config.uri);
  if (!connection.ok) throw new LightningError("bad_request", `the NWC connection URI ${connection.detail}`);
  return nwcCallBackend(nwcClient(connection.value, perCallSockets(connection.value.relay, config.webSocket ?? runtimeWebSocket, config.timeoutMs), config.timeoutMs), config.network);
}

/**
 * The same over any way of making NIP-47 calls (the template Worker's Durable
 * Object holding a connection, for one): `make_invoice` (amounts in msat),
 * `lookup_invoice` (`state` pending, settled, expired or failed; older wallets
 * say `settled_at` only), `get_info`.
 */
export function nwcCallBackend(call: NwcCall, given?: Network): InvoiceBackend {
  // NIP-47 makes `network` optional: a wallet that names none is taken to be on the network given.
  const getInfo = async (): Promise<NodeInfo> => readNwcInfo(await call("get_info", {}), given ?? "unknown");
  const network = nodeNetwork(given, getInfo);
  return {
    async createInvoice(request: InvoiceRequest): Promise<Invoice> {
      if (request.amountMsat > BigInt(Number.MAX_SAFE_INTEGER)) throw new LightningError("bad_request", "NWC amounts are JSON numbers: this price is too large");
      const result = await call("make_invoice", {
        amount: Number(request.amountMsat),
        ...(request.descriptionHash === undefined ? { description: request.memo } : { description_hash: toHex(request.descriptionHash) }),
        expiry: request.expirySeconds,
      });
      const { paymentRequest, paymentHashHex } = readNwcCreated(result);
      // NIP-47 makes `expiry` and `description` optional: a wallet may use its own; a longer expiry harms no one, and the wallet is the operator's own.
      return checkInvoice(paymentRequest, { paymentHashHex, request, network: await network(), acceptLongerExpiry: true, acceptOtherDescription: true });
    },

    lookupInvoice: async (paymentHash: Uint8Array): Promise<InvoiceStatus> => readNwcStatus(await call("lookup_invoice", { payment_hash: toHex(paymentHash) }), paymentHash),

    getInfo,
  };
}

// A NIP-47 wallet's results, read: pure functions of the result object
// (fuzzed in test/workerd/fuzz-nwc.test.ts); each returns what it read or
// throws a LightningError.
/** `make_invoice`: the invoice, and the payment hash it must carry. */
export function readNwcCreated(result: Record<string, unknown>): { readonly paymentRequest: string; readonly paymentHashHex: string } {
  const { invoice, payment_hash: paymentHash } = result;
  if (typeof invoice !== "string" || typeof paymentHash !== "string" || !/^[0-9a-f]{64}$/.test(paymentHash)) {
    throw new LightningError("invalid_response", "make_invoice: the answer lacks invoice or payment_hash");
  }
  return { paymentRequest: invoice, paymentHashHex: paymentHash };
}

/** `lookup_invoice`. */
export function readNwcStatus(result: Record<string, unknown>, paymentHash: Uint8Array): InvoiceStatus {
  const { state, settled_at: settledAt, amount } = result;
  const expiresAt = wholeOf(result["expires_at"]);
  if (expiresAt === undefined) throw new LightningError("invalid_response", "lookup_invoice: the answer has no expires_at");
  const settled = state === "settled" || (state === undefined && typeof settledAt === "number" && settledAt > 0);
  const ended = state === "expired" || state === "failed";
  return {
    state: settled ? "settled" : ended ? "canceled" : "open",
    amountPaidMsat: settled ? (amountOf(amount) ?? 0n) : 0n,
    expiresAt,
    preimage: settled ? checkedPreimage(result["preimage"], paymentHash, "lookup_invoice") : undefined,
  };
}

/** `get_info`; a wallet that names no network is taken to be on `network`. */
export function readNwcInfo(result: Record<string, unknown>, network: string): NodeInfo {
  return { alias: textOf(result["alias"]) ?? "NWC wallet", network: textOf(result["network"]) ?? network, syncedToChain: true, blockHeight: wholeOf(result["block_height"]) ?? 0 };
}
