import { sha256 } from "@noble/hashes/sha2.js";
import { hexToBytes, toHex } from "../bytes.ts";
import { LightningError, nwcClient, parseNwcUri, perCallSockets, platformWebSocket, readInvoice, routeHintFeeMsat, type WebSocketFactory } from "../lightning/index.ts";
import { L402Error, type PaymentLookup, type Wallet } from "./types.ts";

export interface NwcWalletConfig {
  /** `nostr+walletconnect://<wallet key>?relay=…&secret=…`: a secret; never echoed in errors. */
  readonly uri: string;
  /**
   * How long to wait for the wallet's answer to a payment; 60 s unless given.
   * A wallet that does not know the connection's secret may never answer.
   */
  readonly timeoutSeconds?: number;
  /** How to open the relay's WebSocket: the platform's (browsers, Node 22+, workerd's `fetchUpgradeWebSocket`) unless given, e.g. `ws` on Node 20. */
  readonly webSocket?: WebSocketFactory;
}

const DEFAULT_TIMEOUT_SECONDS = 60;

/**
 * Pays through a wallet reached by Nostr Wallet Connect (NIP-47 `pay_invoice`),
 * over a fresh relay connection per payment. The price is checked against the
 * budget before paying, as for every wallet; the routing fee cannot be:
 * NIP-47's request has no fee limit, so the wallet's own budget for the
 * connection (Alby Hub and others set one per app) caps it. The fee the wallet
 * reports is returned as paid, or, unreported, the most the budget left for it
 * (the preimage is kept either way: the money is spent). The preimage is checked against the invoice's payment hash: a
 * wallet's word is not proof.
 */
export function nwcWallet(config: NwcWalletConfig): Wallet {
  const connection = parseNwcUri(config.uri);
  if (!connection.ok) throw new L402Error("payment_failed", `the NWC connection URI ${connection.detail}`, { unpaid: true });
  const timeoutSeconds = config.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
  const timeoutMs = timeoutSeconds * 1000;
  const call = nwcClient(connection.value, perCallSockets(connection.value.relay, config.webSocket ?? platformWebSocket, timeoutMs), timeoutMs);
  return {
    lookup: async (paymentHash) => {
      try {
        return readLookup(await call("lookup_invoice", { payment_hash: paymentHash }), paymentHash);
      } catch (error) {
        // NOT_FOUND: the wallet never sent it; a connection not allowed to look up, or a wallet without the method, never will.
        if (error instanceof LightningError && error.reason === "not_found") return { status: "unpaid" };
        if (error instanceof LightningError && (error.reason === "auth" || error.message.startsWith("lookup_invoice: NOT_IMPLEMENTED"))) return { status: "unknown" };
        if (error instanceof L402Error) throw error;
        throw new L402Error("network", `the NWC wallet cannot say what became of payment ${paymentHash}: ${(error as Error).message}`);
      }
    },
    async pay(invoice, limits) {
      const fields = readInvoice(invoice);
      if (!fields.ok) throw new L402Error("payment_failed", fields.detail, { unpaid: true });
      // NIP-47 carries no fee limit: what the payee's own route hints would charge is checked here, at least.
      const hintFeeMsat = fields.value.amountMsat === undefined ? 0n : routeHintFeeMsat(invoice, fields.value.amountMsat);
      if (hintFeeMsat > limits.maxFeeMsat) {
        throw new L402Error("payment_failed", `the invoice's route hints charge ${hintFeeMsat} msat in fees, above the ${limits.maxFeeMsat} msat the budget leaves for routing`, { unpaid: true });
      }
      let result: Record<string, unknown>;
      try {
        result = await call("pay_invoice", { invoice });
      } catch (error) {
        if (!(error instanceof LightningError)) throw error;
        if (error.reason === "unavailable") throw new L402Error("network", `cannot reach the NWC relay or wallet: ${error.message}`);
        // The request reached the relay: the wallet may still pay it, so say so rather than invite a second payment.
        if (error.reason === "timeout") {
          throw new L402Error("payment_failed", `the wallet did not answer within ${timeoutSeconds} s (it may still pay; check it before retrying); some wallets never answer a connection secret they do not know`);
        }
        // Refusals NIP-47 gives before a payment is made; INTERNAL, OTHER or a code of the wallet's own may come after it began.
        throw new L402Error("payment_failed", `the wallet refused the payment: ${error.message}`, REFUSED_BEFORE_PAYING.test(error.message) ? { unpaid: true } : {});
      }
      const preimageHex = result["preimage"];
      if (typeof preimageHex !== "string" || !/^[0-9a-fA-F]{64}$/.test(preimageHex)) throw new L402Error("payment_failed", "the wallet reported success without a preimage");
      const preimage = hexToBytes(preimageHex.toLowerCase());
      if (toHex(sha256(preimage)) !== fields.value.paymentHash) throw new L402Error("payment_failed", "the wallet's preimage does not match the invoice's payment hash");
      // `fees_paid` is optional in NIP-47: a fee not reported counts as the most the budget left for routing, not as none (NIP-47 sends no fee limit, so the wallet may have paid more).
      const fee = result["fees_paid"];
      const feeMsat = typeof fee === "number" && Number.isSafeInteger(fee) && fee >= 0 ? BigInt(fee) : limits.maxFeeMsat;
      return { preimage, feeMsat };
    },
  };
}

/**
 * `lookup_invoice` of a payment: `settled` (older wallets: a `settled_at`)
 * with its preimage, `failed` or `expired`, else still `pending`. The caller
 * checks the preimage against the hash.
 */
function readLookup(result: Record<string, unknown>, paymentHash: string): PaymentLookup {
  const { state, preimage } = result;
  const settledAt = result["settled_at"];
  if (state === "settled" || (state === undefined && typeof settledAt === "number" && settledAt > 0)) {
    if (typeof preimage !== "string" || !/^[0-9a-fA-F]{64}$/.test(preimage)) throw new L402Error("network", `the NWC wallet reports payment ${paymentHash} settled without its preimage`);
    return { status: "paid", preimage: hexToBytes(preimage.toLowerCase()) };
  }
  // An invoice of this wallet's own (incoming) not settled is no payment it made.
  return state === "failed" || state === "expired" || result["type"] === "incoming" ? { status: "unpaid" } : { status: "pending" };
}

/** NIP-47 error codes of a `pay_invoice` refused before any payment was made (the wallet's error reads `pay_invoice: CODE[: message]`; RATE_LIMITED and QUOTA_EXCEEDED come as `unavailable`, above). */
const REFUSED_BEFORE_PAYING = /^pay_invoice: (UNAUTHORIZED|RESTRICTED|NOT_IMPLEMENTED|UNSUPPORTED_ENCRYPTION|INSUFFICIENT_BALANCE|PAYMENT_FAILED)(:|$)/;
