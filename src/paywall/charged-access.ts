import type { Pass } from "./decision.ts";
import { exhaustedEvent } from "./exhausted-event.ts";
import type { Later } from "./issue-challenge.ts";
import type { Paywall } from "./paywall.ts";
import type { PaywallRequest } from "./request.ts";
import { shadowPorts } from "./shadow.ts";
import { chargeTally, settleCharge, type Answered, type Settled } from "./settle.ts";
import type { L402Access } from "./types.ts";

export interface ChargedAccess {
  /** What the app is told of a paid request: on a balance service, its balance, its reservation and `charge(msat)`. */
  readonly access: L402Access | undefined;
  /** Once the app has answered (undefined: it failed to): the charge settled (settle.ts); undefined when nothing was reserved. */
  readonly settle: (answered: Answered | undefined) => Settled | undefined;
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
  return { access, settle: () => undefined };
}

/**
 * A HEAD's answer as it is sent: without a body (HTTP; Hono answers a HEAD
 * with its GET route and drops the body after the middleware). Settled as an
 * answer without one (the request's price), never metered: a metered body
 * nobody reads would keep its reservation taken.
 */
const bodiless = (answered: Answered | undefined): Answered | undefined => (answered === undefined ? undefined : { status: answered.status, headers: answered.headers, body: null });
