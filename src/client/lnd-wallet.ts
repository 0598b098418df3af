import { hexToBytes } from "../bytes.ts";
import { L402Error, type Wallet } from "./types.ts";

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
  return {
    feeLimitMsat,
    async pay(invoice, limits) {
      let response: Response;
      try {
        response = await fetcher(`${config.url.replace(/\/+$/, "")}/v2/router/send`, {
          method: "POST",
          headers: { "Grpc-Metadata-macaroon": config.macaroonHex, "Content-Type": "application/json" },
          body: JSON.stringify({
            payment_request: invoice,
            fee_limit_msat: String(feeLimitMsat(limits)),
            timeout_seconds: config.timeoutSeconds,
            no_inflight_updates: true,
          }),
          signal: AbortSignal.timeout((config.timeoutSeconds + 10) * 1000),
        });
      } catch (error) {
        if ((error as Error).name === "TimeoutError") throw undecided(`no answer within ${config.timeoutSeconds + 10} s`);
        throw new L402Error("network", `cannot reach the wallet's node: ${(error as Error).message}`);
      }
      // Cut short (the wait ran out, the connection broke): no final update, so the payment's fate is unknown.
      const text = await response.text().catch(() => "");
      const lines = text.trim().split("\n").filter((line) => line !== "");
      let last: { result?: Record<string, unknown>; error?: { message?: string }; message?: string } = {};
      try {
        last = JSON.parse(lines.at(-1) ?? "{}") as typeof last;
      } catch {
        throw new L402Error("payment_failed", `the node answered HTTP ${response.status} with something that is not JSON`);
      }
      if (last.error !== undefined || !response.ok) {
        throw new L402Error("payment_failed", `the node refused the payment: ${last.error?.message ?? last.message ?? `HTTP ${response.status}`}`, { unpaid: true });
      }
      const result = last.result ?? {};
      if (result["status"] === undefined) throw undecided(`no final update within ${config.timeoutSeconds + 10} s, or the connection broke`);
      if (result["status"] !== "SUCCEEDED") {
        // FAILED is final (LND gave up on every route); any other status may yet pay.
        throw new L402Error("payment_failed", `payment ${String(result["status"])}: ${String(result["failure_reason"] ?? "")}`, { unpaid: result["status"] === "FAILED" });
      }
      const preimage = String(result["payment_preimage"] ?? "");
      if (!/^[0-9a-f]{64}$/i.test(preimage)) throw new L402Error("payment_failed", "the node reported success without a preimage");
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
