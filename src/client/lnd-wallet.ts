import { bodyText, concatBytes, hexToBytes, sha256, toBase64UrlPadded, toHex } from "../bytes.ts";
import { readInvoice } from "../lightning/index.ts";
import { L402Error, type PaymentLookup, type Wallet } from "./types.ts";

export interface LndWalletConfig {
  readonly url: string;
  /** Hex of a macaroon that may pay (offchain:write), e.g. admin.macaroon. */
  readonly macaroonHex: string;
  /** Routing fee limit of every payment (the caller's budget may lower it); 0 allows zero-fee routes only. */
  readonly feeLimitSats: number;
  readonly timeoutSeconds: number;
  readonly fetch?: typeof fetch;
}

/**
 * Pays through LND's SendPaymentV2 (`POST /v2/router/send`), reading its NDJSON
 * stream to the final update. The preimage arrives as hex. The fee limit sent is
 * the lower of the wallet's and the caller's, in msat; LND finds no route rather
 * than exceed it.
 */
export function lndWallet(config: LndWalletConfig): Wallet {
  const fetcher = config.fetch ?? fetch;
  const feeLimitMsat = (limits: { readonly maxFeeMsat: bigint }) => {
    const own = BigInt(config.feeLimitSats) * 1000n;
    return own < limits.maxFeeMsat ? own : limits.maxFeeMsat;
  };
  const base = config.url.replace(/\/+$/, "");
  return {
    feeLimitMsat,
    lookup: (paymentHash) => trackPayment(fetcher, base, config.macaroonHex, paymentHash),
    async pay(invoice, limits) {
      let response: Response;
      try {
        response = await fetcher(`${base}/v2/router/send`, {
          method: "POST",
          headers: { "Grpc-Metadata-macaroon": config.macaroonHex, "Content-Type": "application/json" },
          body: JSON.stringify({
            payment_request: invoice,
            fee_limit_msat: String(feeLimitMsat(limits)),
            timeout_seconds: config.timeoutSeconds,
            no_inflight_updates: true,
          }),
          // Not followed: the redirect's target would get the macaroon (a header fetch does not drop).
          redirect: "manual",
          signal: AbortSignal.timeout((config.timeoutSeconds + 10) * 1000),
        });
      } catch (error) {
        if ((error as Error).name === "TimeoutError") throw undecided(`no answer within ${config.timeoutSeconds + 10} s`);
        throw new L402Error("network", `cannot reach the wallet's node: ${(error as Error).message}`);
      }
      // A redirect is not followed (its target would get the macaroon); like any answer not LND's own, it leaves the payment in doubt.
      if (response.status >= 300 && response.status < 400) throw undecided(`the node's URL answers with a redirect (HTTP ${response.status}), not followed: configure the URL it leads to`);
      // Cut short (the wait ran out, the connection broke): no final update, so the payment's fate is unknown.
      const text = await response.text().catch(() => "");
      const lines = text.trim().split("\n").filter((line) => line !== "");
      let last: { result?: Record<string, unknown>; error?: { message?: string }; code?: unknown; message?: string } = {};
      try {
        last = JSON.parse(lines.at(-1) ?? "{}") as typeof last;
      } catch {
        throw new L402Error("payment_failed", `the node answered HTTP ${response.status} with something that is not JSON`);
      }
      // LND's own refusal: an error in the stream, or its gRPC status (`code`, `message`) as the answer.
      if (last.error !== undefined || (!response.ok && typeof last.code === "number" && typeof last.message === "string")) {
        throw new L402Error("payment_failed", `the node refused the payment: ${last.error?.message ?? last.message ?? `HTTP ${response.status}`}`, { unpaid: true });
      }
      // Any other failure (a proxy's 502, an empty answer) may have come after the payment began.
      if (!response.ok) throw undecided(`HTTP ${response.status} without the node's own error`);
      const result = last.result ?? {};
      if (result["status"] === undefined) throw undecided(`no final update within ${config.timeoutSeconds + 10} s, or the connection broke`);
      if (result["status"] !== "SUCCEEDED") {
        // FAILED is final (LND gave up on every route); any other status may yet pay.
        throw new L402Error("payment_failed", `payment ${String(result["status"])}: ${String(result["failure_reason"] ?? "")}`, { unpaid: result["status"] === "FAILED" });
      }
      const preimage = String(result["payment_preimage"] ?? "");
      if (!/^[0-9a-f]{64}$/i.test(preimage)) throw new L402Error("payment_failed", "the node reported success without a preimage");
      // Paid, but not proven: kept in doubt (a lookup checks the preimage again), never stored as a token that cannot work.
      const invoiceHash = readInvoice(invoice);
      if (!invoiceHash.ok || toHex(sha256(hexToBytes(preimage.toLowerCase()))) !== invoiceHash.value.paymentHash) throw undecided("its preimage does not match the invoice's payment hash");
      const fee = String(result["fee_msat"] ?? "0");
      return { preimage: hexToBytes(preimage.toLowerCase()), feeMsat: /^\d+$/.test(fee) ? BigInt(fee) : 0n };
    },
  };
}

/**
 * The node took the payment and did not say how it ended (a payee holding it,
 * a wait cut short): it may still complete, so it is not counted as unpaid,
 * and paying again could pay twice.
 */
const undecided = (why: string): L402Error =>
  new L402Error("payment_failed", `the node did not say whether the payment completed (${why}): it may still, so check the wallet before paying again`);

/** How long a lookup waits for the node's first update. */
const LOOKUP_TIMEOUT_MS = 15_000;
/** A payment's update is a few KiB (one per HTLC tried): a longer first line is not LND's. */
const MAX_UPDATE_BYTES = 1 << 20;

/**
 * TrackPaymentV2 (`GET /v2/router/track/{hash}`, the hash URL-safe base64): its
 * first update is the payment's current state, and only that is read (the
 * stream stays open while the payment is in flight). NotFound: the node never
 * sent it.
 */
async function trackPayment(fetcher: typeof fetch, base: string, macaroonHex: string, paymentHash: string): Promise<PaymentLookup> {
  const signal = AbortSignal.timeout(LOOKUP_TIMEOUT_MS);
  let first: { result?: Record<string, unknown>; error?: { code?: unknown; message?: unknown }; code?: unknown; message?: unknown };
  let status: number;
  try {
    const response = await fetcher(`${base}/v2/router/track/${encodeURIComponent(toBase64UrlPadded(hexToBytes(paymentHash)))}`, { headers: { "Grpc-Metadata-macaroon": macaroonHex }, redirect: "manual", signal });
    status = response.status;
    first = JSON.parse(await firstLine(response.body)) as typeof first;
  } catch (error) {
    throw new L402Error("network", `cannot ask the wallet's node what became of payment ${paymentHash}: ${(error as Error).message}`);
  }
  const failure = first.error ?? (status === 200 ? undefined : first);
  // LND's own NotFound for a hash it never sent to; not any 404 (a proxy's, a path it does not serve).
  if (failure?.code === 5 && failure.message === "payment isn't initiated") return { status: "unpaid" };
  // A macaroon that may pay but not read payments (no offchain:read), or none LND accepts: it never will.
  if (failure?.code === 2 && /permission denied|verification failed/.test(String(failure.message))) return { status: "unknown" };
  if (failure !== undefined) throw new L402Error("network", `the wallet's node cannot say what became of payment ${paymentHash}: ${String(failure.message ?? `HTTP ${status}`)}`);
  const payment = first.result ?? {};
  const preimage = String(payment["payment_preimage"] ?? "");
  if (payment["status"] === "SUCCEEDED" && /^[0-9a-f]{64}$/i.test(preimage)) return { status: "paid", preimage: hexToBytes(preimage) };
  if (payment["status"] === "FAILED") return { status: "unpaid" };
  if (payment["status"] === "IN_FLIGHT" || payment["status"] === "INITIATED") return { status: "pending" };
  throw new L402Error("network", `the wallet's node answered a lookup of payment ${paymentHash} with status ${JSON.stringify(payment["status"] ?? null)}`);
}

/** The stream's first line (NDJSON), or all of it if it has one line; the rest is cancelled. */
async function firstLine(body: ReadableStream<Uint8Array> | null): Promise<string> {
  if (body === null) throw new Error("an empty answer");
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const end = value.indexOf(0x0a);
      chunks.push(end < 0 ? value : value.subarray(0, end));
      size += value.length;
      if (end >= 0) break;
      if (size > MAX_UPDATE_BYTES) throw new Error(`no line end in the first ${MAX_UPDATE_BYTES} bytes`);
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return bodyText(concatBytes(...chunks));
}
