import type { ServiceConfig } from "../config/index.ts";
import { fail, toHex, type Failure, type VerifiedToken } from "../l402/index.ts";
import { clientKey, dropChallenge } from "../abuse/challenge-cache.ts";
import { recordSettlement } from "../stateful/ledger.ts";
import { isRevoked } from "../stateful/revocation.ts";
import { isFirstUseHere } from "./first-use.ts";
import { meter } from "./stateful.ts";
import type { Runtime } from "./runtime.ts";

export type PaidOutcome =
  | { readonly kind: "forward"; readonly headers: Record<string, string> }
  | { readonly kind: "refuse"; readonly failure: Failure }
  | { readonly kind: "unavailable"; readonly reason: string; readonly detail: string };

/**
 * What a verified token may still be refused for, by the services that ask:
 * revocation, then its metered uses. On a token's first use in this isolate,
 * after the response: the ledger learns it was paid, and its payer's cached
 * challenge (the invoice just paid) is dropped. Otherwise a service using none
 * of these returns at once, with no I/O.
 */
export async function admitPaid(params: {
  request: Request;
  env: Env;
  runtime: Runtime;
  service: ServiceConfig;
  verified: VerifiedToken;
  tokenId: string;
  now: number;
  waitUntil: (promise: Promise<unknown>) => void;
}): Promise<PaidOutcome> {
  const { env, runtime, service, verified, tokenId, now } = params;
  const ledger = env.L402_LEDGER;
  if (service.revocable && ledger !== undefined) {
    try {
      if (await isRevoked(ledger, caches.default, tokenId, runtime.config.revocationTtlSeconds, params.waitUntil)) {
        return { kind: "refuse", failure: fail("revoked", "this token was revoked by the operator") };
      }
    } catch {
      return { kind: "unavailable", reason: "revocation_unavailable", detail: "cannot check this token's revocation right now; retry shortly" };
    }
  }
  const headers: Record<string, string> = {};
  const metered = await meter(env, service, verified.grant, tokenId);
  if (metered.kind === "unavailable") return { kind: "unavailable", reason: "meter_unavailable", detail: "cannot count this token's uses right now; retry shortly" };
  if (metered.kind === "exhausted") return { kind: "refuse", failure: fail("exhausted", `the token has used all ${metered.limit} requests it paid for`) };
  if (metered.kind === "allowed") headers["X-L402-Remaining"] = String(metered.remaining);
  if (isFirstUseHere(tokenId)) {
    if (service.ledger && ledger !== undefined) {
      params.waitUntil(recordSettlement(ledger, { tokenId, paymentHash: toHex(verified.paymentHash), service: service.name, priceMsat: service.priceMsat, usedAt: now }));
    }
    if (runtime.config.challengeCacheSeconds > 0) params.waitUntil(dropChallenge(caches.default, clientKey(params.request, service.name, service.priceMsat)));
  }
  return { kind: "forward", headers };
}
