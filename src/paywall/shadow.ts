import { decide } from "./decide.ts";
import type { Pass } from "./decision.ts";
import type { Later } from "./issue-challenge.ts";
import { matchService } from "./match.ts";
import { createPaywall, type Paywall } from "./paywall.ts";
import type { PaywallPorts } from "./ports.ts";
import type { PaywallRequest } from "./request.ts";
import type { L402Outcome } from "./types.ts";

/** The header a service in shadow mode adds to every answer, when the operator has written a notice (`shadowNotice`). */
export const SHADOW_NOTICE_HEADER = "X-L402-Notice";

/**
 * Shadow mode, where the decision is acted on: a request to a service in
 * `shadow` is decided as enforcing would decide it, then let through as if
 * auth were off (the forwarder still withholds the client's credential, and
 * no token id or charge goes with it), the would-be decision in its outcome
 * (`would`, with its reason, price, token and scheme) for the log line and
 * the counters. Undefined: the request's service enforces (or none matched).
 *
 * What deciding in shadow touches: no invoice (the 402 is withheld: its
 * price is worked out, the node is not called, no token is minted), no
 * ledger row, no cached challenge. The counts behind uses, free allowances,
 * single-use credentials and balances are kept apart (`shadowPorts`), so
 * enforcing later starts from the counts enforcing made, and shadow's
 * would-be answers are what enforcing would have given the traffic shadow
 * saw. Not run in shadow: the browser payments' steps and an x402 payment
 * naming its invoice only (both ask the node). A balance's would-be charge
 * is settled on shadow's balance as the answer's status and cost header
 * (or the request's price) say; a metered body is not metered in shadow (it
 * passes as it is) and costs the request's price.
 */
export async function shadowed(request: PaywallRequest, paywall: Paywall, later: Later): Promise<Pass | undefined> {
  const { services, shadowNotice } = paywall.settings;
  if (!services.some((service) => service.mode === "shadow")) return undefined;
  const service = matchService(services, request.url);
  if (service?.mode !== "shadow") return undefined;
  const would = await decide(request, twinOf(paywall), later, "withhold");
  const { outcome: wouldBe, ...facts } = would.outcome;
  const outcome: L402Outcome = { ...facts, outcome: "shadow", service: service.name, would: wouldBe };
  const always = shadowNotice === undefined ? {} : { [SHADOW_NOTICE_HEADER]: shadowNotice };
  // A would-be charge is settled on shadow's balance once answered (charged-access.ts): a reservation kept would drain it, and shadow would foresee refusals enforcing would not make.
  const shadowCharge = would.kind === "pass" ? would.charge : undefined;
  // So is a use taken from shadow's count, given back there for an answer not charged.
  const shadowUse = would.kind === "pass" && would.access?.remaining !== undefined ? would.access.tokenId : undefined;
  return {
    kind: "pass",
    route: { url: request.url, service, access: "free" },
    headers: { always, onSuccess: {} },
    cookies: [],
    outcome,
    ...(shadowCharge === undefined ? {} : { shadowCharge }),
    ...(shadowUse === undefined ? {} : { shadowUse }),
  };
}

/** Per paywall, its shadow twin: the same settings and schemes over the shadow's ports, with state of its own (verified credentials, first uses). */
const twins = new WeakMap<Paywall, Paywall>();

function twinOf(paywall: Paywall): Paywall {
  let twin = twins.get(paywall);
  if (twin === undefined) {
    twin = createPaywall({ ...paywall.settings, ports: shadowPorts(paywall.settings.ports) });
    twins.set(paywall, twin);
  }
  return twin;
}

/** Where shadow's counts are kept in the ports that count: beside enforcing's, under keys of their own. */
const SHADOW_KEY = "#shadow";

/**
 * The ports a shadow decision runs on: uses, free allowances, spent charges
 * and balances counted under keys of their own (`<key>#shadow`); the
 * revocation list read as it is (reading changes nothing); no ledger, no
 * challenge cache, no mint limiter (no invoice is made); no lookup limiter
 * (nothing asks the node).
 */
export function shadowPorts(ports: PaywallPorts): PaywallPorts {
  const { meter, freebies, spentCharges, balances, revocations } = ports;
  return {
    ...(revocations === undefined ? {} : { revocations }),
    ...(meter === undefined
      ? {}
      : {
          meter: {
            consume: (tokenId, limit, forgetAt) => meter.consume(tokenId + SHADOW_KEY, limit, forgetAt),
            ...(meter.giveBack === undefined ? {} : { giveBack: (tokenId: string) => (meter.giveBack as (id: string) => Promise<void>).call(meter, tokenId + SHADOW_KEY) }),
          },
        }),
    ...(freebies === undefined ? {} : { freebies: { take: (key, allowance, now) => freebies.take(key + SHADOW_KEY, allowance, now) } }),
    ...(spentCharges === undefined ? {} : { spentCharges: { spend: (paymentHash, until) => spentCharges.spend(paymentHash + SHADOW_KEY, until) } }),
    ...(balances === undefined
      ? {}
      : {
          balances: {
            reserve: (tokenId, amountMsat, opening, topup) => balances.reserve(tokenId + SHADOW_KEY, amountMsat, opening, topup === undefined ? undefined : { ...topup, tokenId: topup.tokenId + SHADOW_KEY }),
            release: (tokenId, amountMsat) => balances.release(tokenId + SHADOW_KEY, amountMsat),
          },
        }),
  };
}
