import { toHex } from "../bytes.ts";
import type { BalanceConfig } from "../config/index.ts";
import type { VerifiedToken } from "../l402/index.ts";
import { fail, succeed, type Result } from "../result.ts";
import type { Charge, Refused } from "./decision.ts";
import type { Balances } from "./ports.ts";

/**
 * A balance service's request, before it is let through: its cost reserved
 * out of its token's balance, in one atomic call (a top-up token's credit
 * applied to its target first, once ever). The reservation is the
 * service's `max_cost_sats` when a cost comes after the answer, else the
 * request's price, whichever is more: a price from rules or the pricer
 * above `max_cost_sats` is what a request with no cost reported costs, so it
 * is reserved whole, never capped at the smaller. Short: refused with a top-up offer for the token (whose
 * expiry and capabilities the top-up keeps: it never buys more than the token
 * it tops up), or, for a token expiring before a top-up could be paid and
 * sent, with a new token's offer covering the request (outlastsTopUp).
 */
export type Reserved = Result<Charge, "balance_short" | "topup_spent" | "balance_unavailable"> & Omit<Refused, "ok" | "reason" | "detail">;

export async function reserveBalance(balances: Balances, balance: BalanceConfig, token: VerifiedToken, priceMsat: bigint, when: TopUpWindow): Promise<Reserved> {
  const { grant } = token;
  const presented = toHex(token.tokenId);
  const tokenId = grant.topupFor ?? presented;
  const reservedMsat = balance.maxCostMsat !== undefined && balance.maxCostMsat > priceMsat ? balance.maxCostMsat : priceMsat;
  const credit = { creditMsat: grant.creditMsat ?? 0n, forgetAt: grant.mintedValidUntil };
  let reserved;
  try {
    reserved = grant.topupFor === undefined ? await balances.reserve(tokenId, reservedMsat, credit) : await balances.reserve(tokenId, reservedMsat, undefined, { tokenId: presented, ...credit });
  } catch {
    return fail("balance_unavailable", "cannot reach this token's balance right now; retry shortly");
  }
  const { balanceMsat } = reserved;
  if (reserved.status === "reserved") return succeed({ tokenId, reservedMsat, priceMsat, balanceMsat, balance, validUntil: grant.validUntil, capabilities: grant.capabilities });
  if (reserved.status === "topup_spent") {
    return { ...fail("topup_spent", `this top-up was already credited to token ${tokenId}: send that token`), facts: { topup_for: tokenId, balance_msat: String(balanceMsat) }, balanceMsat };
  }
  const short = `the balance (${balanceMsat} msat) is short of this request's ${reservedMsat} msat`;
  if (!outlastsTopUp(grant.validUntil, when)) {
    // The 402 then sells a new token: a top-up paid as its invoice ends would credit a token already expired.
    return {
      ...fail("balance_short", `${short}, and this token expires in ${(grant.validUntil ?? 0) - when.now} s, before a top-up's invoice could be paid and used: buy a new token`),
      facts: { balance_msat: String(balanceMsat), required_msat: String(reservedMsat) },
      balanceMsat,
      needsMsat: reservedMsat,
    };
  }
  return {
    ...fail("balance_short", `${short}: pay the top-up, then send it once`),
    facts: { balance_msat: String(balanceMsat), required_msat: String(reservedMsat), topup_for: tokenId },
    balanceMsat,
    topup: { tokenId, validUntil: grant.validUntil, capabilities: grant.capabilities, shortMsat: reservedMsat - balanceMsat },
  };
}

/** When a top-up is asked for: now (unix s), and how long its invoice may be paid. */
export interface TopUpWindow {
  readonly now: number;
  readonly invoiceExpirySeconds: number;
}

/** How long a topped-up token must still run after a top-up paid at its invoice's last moment: time to send it. */
export const TOPUP_USE_SECONDS = 60;

/**
 * Whether a token expiring at `validUntil` outlasts a top-up bought now: its
 * invoice paid as late as it may be, and the top-up sent. A top-up keeps its
 * target's expiry, so one sold later would credit a token no longer accepted.
 */
export const outlastsTopUp = (validUntil: number | undefined, { now, invoiceExpirySeconds }: TopUpWindow): boolean =>
  validUntil === undefined || validUntil - now >= invoiceExpirySeconds + TOPUP_USE_SECONDS;
