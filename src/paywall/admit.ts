import { toHex } from "../bytes.ts";
import type { ServiceConfig } from "../config/index.ts";
import { fail, succeed, type Result } from "../result.ts";
import type { Later } from "./issue-challenge.ts";
import type { Presented } from "./schemes/scheme.ts";
import type { PaywallSettings } from "./settings.ts";

/** A verified token let through: on a metered service, the uses left after this one. */
export interface Admission {
  readonly remaining: number | undefined;
}

/** Refusals: the first three get a fresh 402; the `_unavailable` ones mean a port could not answer (503: fail closed, unpayable.ts). */
export type AdmitFailure = "revoked" | "exhausted" | "spent" | "revocation_unavailable" | "meter_unavailable" | "spent_unavailable";

/**
 * What a verified token may still be refused for, by the services that ask:
 * revocation, then its metered uses, then (a single-use credential on a
 * service that does not meter) its spend, last, so a credential refused for
 * anything else is not burnt. A service using none of these features answers
 * at once, with no I/O.
 */
export async function admit(settings: PaywallSettings, service: ServiceConfig, presented: Presented, later: Later): Promise<Result<Admission, AdmitFailure>> {
  const { token } = presented;
  const tokenId = toHex(token.tokenId);
  const { revocations, meter, spentCharges } = settings.ports;
  if (service.revocable && revocations !== undefined) {
    // A top-up spends its target's balance: revoking the target revokes its top-ups too.
    const ids = token.grant.topupFor === undefined ? [tokenId] : [tokenId, token.grant.topupFor];
    try {
      for (const id of ids) if (await revocations.isRevoked(id, later)) return fail("revoked", "this token was revoked by the operator");
    } catch {
      return fail("revocation_unavailable", "cannot check this token's revocation right now; retry shortly");
    }
  }
  let remaining: number | undefined;
  // Only services that meter count: a holder's `uses` caveat elsewhere costs nothing.
  if (service.uses !== undefined && meter !== undefined) {
    const limit = token.grant.uses ?? service.uses;
    try {
      const taken = await meter.consume(tokenId, limit, token.grant.mintedValidUntil);
      if (!taken.allowed) return fail("exhausted", `the token has used all ${limit} requests it paid for`);
      remaining = taken.remaining;
    } catch {
      return fail("meter_unavailable", "cannot count this token's uses right now; retry shortly");
    }
  } else if (presented.singleUseUntil !== undefined) {
    // A metered service's uses bound a reusable credential; elsewhere a charge buys one request.
    try {
      const first = spentCharges !== undefined && (await spentCharges.spend(toHex(token.paymentHash), presented.singleUseUntil));
      if (spentCharges === undefined) return fail("spent_unavailable", "cannot record this credential's use right now; retry shortly");
      if (!first) return fail("spent", "this credential was already used: a charge buys one request; pay a fresh challenge");
    } catch {
      return fail("spent_unavailable", "cannot record this credential's use right now; retry shortly");
    }
  }
  return succeed({ remaining });
}
