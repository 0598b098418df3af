import type { ServiceConfig } from "../config/index.ts";
import { waitAtMost } from "../shared-flight.ts";
import type { Pass } from "./decision.ts";
import { exhaustedEvent } from "./exhausted-event.ts";
import type { Later } from "./issue-challenge.ts";
import type { Paywall } from "./paywall.ts";
import type { PaywallRequest } from "./request.ts";
import { shadowPorts } from "./shadow.ts";
import { charged, chargeTally, settleCharge, type Answered, type Settled } from "./settle.ts";
import type { L402Access } from "./types.ts";

export interface ChargedAccess {
  /** What the app is told of a paid request: on a balance service, its balance, its reservation and `charge(msat)`. */
  readonly access: L402Access | undefined;
  /** Once the app has answered (undefined: it failed to): the charge settled (settle.ts), or a use given back (waited for); undefined when nothing changes. */
  readonly settle: (answered: Answered | undefined) => Settled | undefined | Promise<Settled | undefined>;
}

/** A passed request, as each adapter (middleware.ts, fetch-adapter.ts) lets it through and settles it. */
export function chargedAccess(decision: Pass, paywall: Paywall, request: PaywallRequest, later: Later): ChargedAccess {
  const { charge, access } = decision;
  const { balances } = paywall.settings.ports;
  const service = decision.route.service;
  // A template Worker built without balances (src/worker/build.ts) never has a charge; the define is read here, where the bundler folds it.
  if (globalThis.L402_BUILD_BALANCE !== false && charge !== undefined && balances !== undefined && service !== undefined) {
    const tally = chargeTally();
    return {
      access: access === undefined ? undefined : { ...access, balanceMsat: charge.balanceMsat, reservedMsat: charge.reservedMsat, charge: tally.add },
      settle: (answered) => settleCharge(charge, request.method === "HEAD" ? bodiless(answered) : answered, tally.totalMsat(), balances, later, exhaustedEvent(paywall, service, charge, request, later)),
    };
  }
  if (globalThis.L402_BUILD_BALANCE !== false && decision.shadowCharge !== undefined && balances !== undefined) {
    const charge = { ...decision.shadowCharge, balance: { ...decision.shadowCharge.balance, meter: undefined } };
    const shadowBalances = shadowPorts({ balances }).balances ?? balances;
    return {
      access,
      // Settled on shadow's balance; the client is told no balance (its own is untouched).
      settle: (answered) => {
        settleCharge(charge, answered, undefined, shadowBalances, later, () => Promise.resolve(() => ""));
        return undefined;
      },
    };
  }
  return { access, settle: service === undefined ? () => undefined : usesGivenBack(decision, paywall, service, later) };
}

/**
 * A use taken for an answer the service does not charge (`charge_on`: by
 * default a 5xx, or none) given back, and the answer told so; in shadow, on
 * shadow's count, the client told nothing. Nothing without a meter that can.
 */
function usesGivenBack(decision: Pass, paywall: Paywall, service: ServiceConfig, later: Later): ChargedAccess["settle"] {
  const { meter } = paywall.settings.ports;
  const { access, shadowUse } = decision;
  const remaining = access?.remaining;
  if (meter?.giveBack !== undefined && access !== undefined && remaining !== undefined) {
    return async (answered) => {
      if (!uncharged(answered, service)) return undefined;
      // Back before the answer leaves (a client retrying at once, with a `uses: 1` token, is not refused as exhausted and made to
      // pay again), waited for a few seconds at most: a meter that hangs does not hold the answer, and finishes after it.
      // Called in a promise: a meter that throws at once fails the give-back, not the answer.
      const giving = Promise.resolve(access.tokenId).then((tokenId) => meter.giveBack?.(tokenId)).then(
        () => true,
        () => false,
      );
      later(giving);
      const givenBack = await waitAtMost(giving, GIVE_BACK_WAIT_MS, () => false);
      return givenBack ? { changes: [{ name: "X-L402-Remaining", value: String(remaining + 1) }] } : undefined;
    };
  }
  if (shadowUse !== undefined && meter?.giveBack !== undefined) {
    const shadowMeter = shadowPorts({ meter }).meter;
    return (answered) => {
      if (uncharged(answered, service)) later(Promise.resolve(shadowUse).then((tokenId) => shadowMeter?.giveBack?.(tokenId)));
      return undefined;
    };
  }
  return () => undefined;
}

/** How long an answer waits for its use to be given back. */
const GIVE_BACK_WAIT_MS = 3000;

const uncharged = (answered: Answered | undefined, service: ServiceConfig): boolean => answered === undefined || !charged(answered.status, service.usesChargeOn);

/**
 * A HEAD's answer as it is sent: without a body (HTTP; Hono answers a HEAD
 * with its GET route and drops the body after the middleware). Never metered:
 * a metered body nobody reads would keep its reservation taken. Settled as an
 * answer to a HEAD (settle.ts: its price, or, answered 2xx with a body to its
 * GET on a service priced by tokens, the reservation).
 */
const bodiless = (answered: Answered | undefined): Answered | undefined => (answered === undefined ? undefined : { status: answered.status, headers: answered.headers, body: null, toHead: true });
