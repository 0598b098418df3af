import type { ServiceConfig } from "../config/index.ts";
import { fail, succeed, toHex, type Result, type VerifiedToken } from "../l402/index.ts";
import { isFirstUseHere } from "./first-use.ts";
import type { ResolvedPaywall } from "./options.ts";

/** A verified token let through: on a metered service, the uses left after this one. */
export interface Admission {
  readonly remaining: number | undefined;
}

/** Refusals: `revoked` and `exhausted` get a fresh 402; the others mean a port could not answer (503). */
export type AdmitFailure = "revoked" | "exhausted" | "revocation_unavailable" | "meter_unavailable";

/**
 * What a verified token may still be refused for, by the services that ask:
 * revocation, then its metered uses. On the token's first use in this isolate,
 * after the response: the ledger learns it was paid, and its payer's cached
 * challenge (the invoice just paid) is dropped. A service using none of these
 * features returns at once, with no I/O.
 */
export async function admit(params: {
  readonly paywall: ResolvedPaywall;
  readonly service: ServiceConfig;
  readonly verified: VerifiedToken;
  readonly tokenId: string;
  /** The payer's challenge cache key (challenge-cache.ts), worked out only when needed. */
  readonly cacheKey: () => string;
  readonly now: number;
  readonly waitUntil: (promise: Promise<unknown>) => void;
}): Promise<Result<Admission, AdmitFailure>> {
  const { paywall, service, verified, tokenId } = params;
  const { revocations, meter, ledger, challengeCache } = paywall.ports;
  if (service.revocable && revocations !== undefined) {
    try {
      if (await revocations.isRevoked(tokenId, params.waitUntil)) return fail("revoked", "this token was revoked by the operator");
    } catch {
      return fail("revocation_unavailable", "cannot check this token's revocation right now; retry shortly");
    }
  }
  let remaining: number | undefined;
  // Only services that meter count: a holder's `uses` caveat elsewhere costs nothing.
  if (service.uses !== undefined && meter !== undefined) {
    const limit = verified.grant.uses ?? service.uses;
    try {
      const taken = await meter.consume(tokenId, limit, verified.grant.mintedValidUntil);
      if (!taken.allowed) return fail("exhausted", `the token has used all ${limit} requests it paid for`);
      remaining = taken.remaining;
    } catch {
      return fail("meter_unavailable", "cannot count this token's uses right now; retry shortly");
    }
  }
  if (isFirstUseHere(tokenId)) {
    if (service.ledger && ledger !== undefined) {
      params.waitUntil(ledger.recordSettlement({ tokenId, paymentHash: toHex(verified.paymentHash), service: service.name, priceMsat: service.priceMsat, usedAt: params.now }));
    }
    if (challengeCache !== undefined && paywall.challengeCacheSeconds > 0) params.waitUntil(challengeCache.drop(params.cacheKey()));
  }
  return succeed({ remaining });
}
