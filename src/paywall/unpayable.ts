import type { ServiceConfig } from "../config/index.ts";
import type { Failure } from "../result.ts";
import type { Refusal, Refused, Unavailable } from "./decision.ts";

/**
 * Requests that cannot be paid for as they are, answered without a
 * challenge: an invoice for them would sell what no one can buy.
 * - 400: a price the request makes ambiguous, a credit offer not on sale;
 * - 413: a body too large to bind a payment to;
 * - 500: a pricer answering a price that is no price (the operator's to fix);
 * - 503 (retry shortly): a pricer, a port or a balance that cannot answer:
 *   never a pass, never a free price.
 */
const STATUS = {
  ambiguous_price: 400,
  unknown_credit_offer: 400,
  body_too_large: 413,
  pricer_invalid: 500,
  pricer_unavailable: 503,
  balance_unavailable: 503,
  revocation_unavailable: 503,
  meter_unavailable: 503,
  spent_unavailable: 503,
} as const;
export type UnpayableReason = keyof typeof STATUS;

export const isUnpayable = (failure: Failure): failure is Failure<UnpayableReason> => Object.hasOwn(STATUS, failure.reason);

export function unpayable(service: ServiceConfig, failure: Failure<UnpayableReason>, tokenId?: string): Refusal | Unavailable {
  const status = STATUS[failure.reason];
  const { reason, detail } = failure;
  const about = { service: service.name, reason, ...(tokenId === undefined ? {} : { tokenId }) };
  if (status === 503) return { kind: "unavailable", reason, detail, retryAfterSeconds: 1, cookies: [], outcome: { outcome: "error", ...about } };
  return { kind: "refuse", status, reason, detail, cookies: [], outcome: { outcome: status === 500 ? "misconfigured" : "refused", ...about, ...(status === 500 ? { detail } : {}) } };
}

/** How long a client is asked to wait before trying a paused service again: an operator's pause is not a blip. */
export const PAUSED_RETRY_AFTER_SECONDS = 60;

/** 503 `service_paused`: the service sells nothing new for now (its mode); a credential already bought passes before this is reached. */
export const paused = (service: ServiceConfig, failure: Refused): Unavailable => ({
  kind: "unavailable",
  reason: "service_paused",
  detail: "this service sells no new access for now; credentials already bought still work",
  retryAfterSeconds: PAUSED_RETRY_AFTER_SECONDS,
  cookies: [],
  outcome: { outcome: "paused", service: service.name, reason: failure.reason },
});
