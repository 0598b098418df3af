import { toHex } from "../bytes.ts";
import { pricedByRequest, type ServiceConfig } from "../config/index.ts";
import { keyIdOfToken, MAX_CREDENTIAL_HEADER_CHARS, type Grant } from "../l402/index.ts";
import { fail, type Result } from "../result.ts";
import { admit } from "./admit.ts";
import { clientKey } from "./challenge-cache.ts";
import { claimedMethods, MOST_CLAIMED_METHODS, onlyMethod, type ClaimedMethods } from "./claimed-methods.ts";
import type { Challenge, Charge, Decision, Pass, Refused, Withheld } from "./decision.ts";
import { takeFreebie } from "./free-allowance.ts";
import type { Challenger, Later } from "./issue-challenge.ts";
import { isFreePath, matchService, requiredCapabilities } from "./match.ts";
import { offerFor, offerKey } from "./offer.ts";
import type { Paywall } from "./paywall.ts";
import type { Price } from "./pricing.ts";
import type { PaywallRequest } from "./request.ts";
import { reserveBalance } from "./reserve-balance.ts";
import { claimingScheme } from "./schemes/claim.ts";
import type { PaymentScheme, Presented, Reading } from "./schemes/scheme.ts";
import { digestOnce, tokenCovers } from "./token-price.ts";
import { isUnpayable, paused, unpayable } from "./unpayable.ts";

/**
 * The paywall's decision about one request, from plain data and the ports:
 *
 *   match a service → free? → the credential, read by the scheme it names →
 *   admitted (revocation, uses, single use) → pass
 *   otherwise: a free allowance, or a challenge every offered scheme writes
 *   over one invoice (or a 429 / 503 when none can be issued).
 *
 * No framework in here (the adapters read the request and render the
 * decision), and no scheme: each is asked through its interface
 * (schemes/scheme.ts). `challenger`: how this request's challenge is issued,
 * when not the paywall's own way (a browser's page: browser/page-challenge.ts);
 * `"withhold"`: not at all, the 402 it would be is the answer (shadow.ts).
 */
export function decide(request: PaywallRequest, paywall: Paywall, later: Later, challenger?: Challenger): Promise<Decision>;
export function decide(request: PaywallRequest, paywall: Paywall, later: Later, challenger: "withhold"): Promise<Decision | Withheld>;
export async function decide(request: PaywallRequest, paywall: Paywall, later: Later, challenger?: Challenger | "withhold"): Promise<Decision | Withheld> {
  const { url } = request;
  const service = matchService(paywall.settings.services, url);
  if (service === undefined) return pass({ url, service: undefined, access: "unmatched" }, { outcome: "unmatched" });
  if (!service.auth || isFreePath(service, url)) return pass({ url, service, access: "free" }, { outcome: "free", service: service.name });
  // Read only where something judges them (the headers read cost some 4 µs a paid request in workerd): elsewhere no claim can change a decision, nor cost one.
  const claimed = judgesMethods(service) ? claimedMethods(request.method, request.headers, request.url, service.methodOverride) : onlyMethod(request.method);
  const refused = refusedUnread(request, paywall, service, claimed);
  if (refused !== undefined) return refused;
  const asked = askedOnce(service, request, paywall, claimed);
  const reading = credentialOf(request, service, paywall, claimed);
  let failure: Refused = reading.ok ? fail("missing", "") : reading;
  if (reading.ok) {
    const admitted = await admitToken(request, service, reading.value, reading.scheme, paywall, later, asked);
    if (admitted.kind !== "refused") return admitted.decision;
    failure = admitted.failure;
  }
  // Paused: nothing new is sold or given (no invoice, no free request); what was bought has passed above.
  if (service.mode === "paused") return paused(service, failure);
  if (failure.reason === "missing") {
    const remaining = await takeFreebie(paywall.settings.ports.freebies, service, request.client.address, request.now);
    if (remaining !== undefined) {
      return pass({ url, service, access: "freebie" }, { outcome: "freebie", service: service.name }, { private: { byCookie: false }, always: { "X-L402-Freebies-Remaining": String(remaining) } });
    }
  }
  const paidHash = reading.paidHash === undefined ? undefined : toHex(reading.paidHash);
  return challenge(request, service, failure, paidHash, paywall, later, asked, challenger);
}

/** Whether anything of a service's judges a request by the methods it may be carried out as: capability rules, or a price the request sets (rules, a pricer, a price function, a binding to the request). */
const judgesMethods = (service: ServiceConfig): boolean => service.capabilityRules.length > 0 || pricedByRequest(service);

/** What a decision may need to know of the request, each worked out at most once: its price (pricing.ts), its digest (request-binding.ts). */
interface Asked {
  readonly price: () => Promise<Price>;
  readonly digest: () => Promise<Result<string, "body_too_large">>;
}

function askedOnce(service: ServiceConfig, request: PaywallRequest, paywall: Paywall, claimed: ClaimedMethods): Asked {
  let price: Promise<Price> | undefined;
  return { price: () => (price ??= paywall.pricer.priceOf(service, request, claimed)), digest: digestOnce(request, claimed) };
}

/** What is refused before anything is parsed or priced (and without an invoice): a credential over 8 KiB in any header a scheme reads, a request claiming too many methods. */
function refusedUnread(request: PaywallRequest, paywall: Paywall, service: ServiceConfig, claimed: ClaimedMethods): Decision | undefined {
  const refuse = (status: 400 | 431, reason: string, detail: string): Decision => ({ kind: "refuse", status, reason, detail, cookies: [], outcome: { outcome: "refused", service: service.name, reason } });
  if (oversizedCredential(request, paywall.schemes) !== undefined) return refuse(431, "header_too_large", `credential headers are limited to ${MAX_CREDENTIAL_HEADER_CHARS} characters`);
  if (claimed.methods.length > MOST_CLAIMED_METHODS) {
    return refuse(400, "too_many_methods", `this request claims ${claimed.methods.length} methods (X-HTTP-Method-Override and the like, _method): at most ${MOST_CLAIMED_METHODS} are judged`);
  }
  return undefined;
}

/** A credential refused over 8 KiB in any header a scheme reads, before anything is parsed (and without an invoice). */
function oversizedCredential(request: PaywallRequest, schemes: readonly PaymentScheme[]): string | undefined {
  for (const scheme of schemes) {
    for (const name of scheme.credentialHeaders) if ((request.headers.get(name)?.length ?? 0) > MAX_CREDENTIAL_HEADER_CHARS) return name;
  }
  return undefined;
}

/**
 * The credential, read by the scheme that carries it: the one its
 * `Authorization` names, else one that finds it elsewhere. A credential in a
 * scheme the service does not offer is read all the same (what is wrong with
 * it is the better answer), and refused as `scheme_not_offered` if sound.
 */
function credentialOf(request: PaywallRequest, service: ServiceConfig, paywall: Paywall, claimed: ClaimedMethods): Reading & { readonly scheme: string } {
  const scheme = claimingScheme(request.headers, paywall.schemes);
  if (scheme === undefined) return { ...fail("missing", `no credential in a scheme this paywall takes`), scheme: "" };
  const capabilities = requiredCapabilities(service, claimed, request.url);
  const { keyring } = paywall.settings;
  const reading = scheme.read({ request, service, capabilities, keyring, verifier: paywall.verifier });
  if (reading.ok && !service.schemes.includes(scheme.name)) {
    return { ...fail("scheme_not_offered", `this service does not take the ${scheme.label} scheme: pay one of its challenges`), paidHash: reading.paidHash, scheme: scheme.label };
  }
  return { ...reading, scheme: scheme.label };
}

type AdmittedOrNot = { readonly kind: "decided"; readonly decision: Decision } | { readonly kind: "refused"; readonly failure: Refused };

/**
 * A presented token, in turn: does it cover this request (its price, its
 * binding: token-price.ts), is it admitted (revocation, uses, single use:
 * admit.ts), and, on a balance service, is the request's cost reserved out of
 * its balance (reserve-balance.ts)? A pass, a 4xx/503, or why it is refused (then challenged).
 */
async function admitToken(request: PaywallRequest, service: ServiceConfig, presented: Presented, scheme: string, paywall: Paywall, later: Later, asked: Asked): Promise<AdmittedOrNot> {
  const tokenId = toHex(presented.token.tokenId);
  const { grant } = presented.token;
  // A balance token (its credit, or a top-up) where a deploy took the service's balance away: nothing debits it here, and it would pass free of its credit for good.
  if (service.balance === undefined && (grant.creditMsat !== undefined || grant.topupFor !== undefined)) {
    return refusedOrDecided(service, fail("balance_not_sold", "this token is a balance, which this service no longer sells: buy access as it is sold now"), tokenId);
  }
  if (service.balance === undefined && pricedByRequest(service)) {
    const covered = await tokenCovers(service, grant, asked.price, asked.digest);
    if (!covered.ok) return refusedOrDecided(service, covered, tokenId);
  }
  const admission = await admit(paywall.settings, service, presented, later);
  if (!admission.ok) return refusedOrDecided(service, admission, tokenId);
  let charge: Charge | undefined;
  const { balances } = paywall.settings.ports;
  if (service.balance !== undefined) {
    // The settings check refuses a balance without the port, or in a template Worker built without balances
    // (src/worker/build.ts; the define is read here, where the bundler folds it); were either missing all the same, nothing passes unpaid.
    if (globalThis.L402_BUILD_BALANCE !== false && balances !== undefined) {
      const priced = await asked.price();
      if (!priced.ok) return refusedOrDecided(service, priced, tokenId);
      const reserved = await reserveBalance(balances, service.balance, presented.token, priced.value, { now: request.now, invoiceExpirySeconds: paywall.settings.invoiceExpirySeconds });
      // Its credit (its own, or a top-up's, once) was applied in that call even when the balance stays short: it is booked then (a top-up is never sent again).
      if (!reserved.ok && reserved.reason === "balance_short") firstUseWork(request, service, presented, paywall, later);
      if (!reserved.ok) return refusedOrDecided(service, reserved, tokenId);
      charge = reserved.value;
    } else {
      return refusedOrDecided(service, fail("balance_unavailable", "this service's balances cannot be reached; retry shortly"), tokenId);
    }
  }
  firstUseWork(request, service, presented, paywall, later);
  const { remaining } = admission.value;
  const payer = charge?.tokenId ?? tokenId;
  const access = { tokenId: payer, service: service.name, grant, scheme, ...(remaining === undefined ? {} : { remaining }) };
  const always = { ...(remaining === undefined ? {} : { "X-L402-Remaining": String(remaining) }), ...(charge === undefined ? {} : { "X-L402-Balance": String(charge.balanceMsat) }) };
  const route = { url: request.url, service, access: "paid" as const };
  const decision = pass(route, { outcome: "paid", service: service.name, tokenId: payer, scheme }, { private: { byCookie: false }, always, onSuccess: presented.receipt ?? {} });
  return { kind: "decided", decision: { ...decision, access, ...(charge === undefined ? {} : { charge }) } };
}

/** A refusal answered without a challenge (unpayable.ts), or one a challenge answers. */
const refusedOrDecided = (service: ServiceConfig, failure: Refused, tokenId: string): AdmittedOrNot =>
  isUnpayable(failure) ? { kind: "decided", decision: unpayable(service, failure, tokenId) } : { kind: "refused", failure };

/**
 * A token's first paid use in this paywall (per isolate), after the answer:
 * the ledger learns it was paid (its preimage proves it), and its payer's
 * cached challenge (the invoice just paid) is dropped.
 */
function firstUseWork(request: PaywallRequest, service: ServiceConfig, presented: Presented, paywall: Paywall, later: Later): void {
  const tokenId = toHex(presented.token.tokenId);
  if (!paywall.firstUse.seen(tokenId, request.now)) return;
  const { ledger, challengeCache } = paywall.settings.ports;
  if (service.ledger && ledger !== undefined) {
    const settlement = { tokenId, paymentHash: toHex(presented.token.paymentHash), service: service.name, priceMsat: boughtForMsat(service, presented.token.grant), usedAt: request.now };
    // Not written (the ledger said so): booked again on the token's next use here, a minute on.
    later(ledger.recordSettlement(settlement).catch(() => paywall.firstUse.failed(tokenId, request.now)));
  }
  if (challengeCache !== undefined && paywall.settings.challengeCacheSeconds > 0) later(challengeCache.drop(clientKey(request.client, service.name, offerKey(service, presented.token.grant), keyIdOfToken(presented.token.tokenId))));
}

/**
 * What a token was bought for, as far as it and the config say: the ledger
 * books its challenge's price, and this where that row is gone (forgotten
 * as unpaid: a token first used 30 days on). A balance's credit is the offer
 * that sells it (a bonus is not paid for); the service's price otherwise.
 */
function boughtForMsat(service: ServiceConfig, grant: Grant): bigint {
  if (grant.priceMsat !== undefined) return grant.priceMsat;
  if (grant.creditMsat === undefined) return service.priceMsat;
  return service.balance?.offers.find((offer) => offer.creditMsat === grant.creditMsat)?.amountMsat ?? grant.creditMsat;
}

/** A 402 for the failure, over one invoice every offered scheme writes its challenge for (at the request's price: offer.ts); or why none could be issued. */
async function challenge(request: PaywallRequest, service: ServiceConfig, failure: Refused, paidHash: string | undefined, paywall: Paywall, later: Later, asked: Asked, challenger?: Challenger | "withhold"): Promise<Decision | Withheld> {
  const priced = await asked.price();
  if (!priced.ok) return unpayable(service, priced);
  const digest = service.pricing.bindRequest ? await asked.digest() : undefined;
  if (digest?.ok === false) return unpayable(service, digest);
  const sold = offerFor(service, priced.value, request, paywall.settings.backend.wholeSats === true, { digest: digest?.value, topup: failure.topup, needsMsat: failure.needsMsat });
  if (!sold.ok) return unpayable(service, sold);
  const priceMsat = String(sold.value.amountMsat);
  if (challenger === "withhold") return { kind: "withheld", service, failure, amountMsat: sold.value.amountMsat, cookies: [], outcome: { outcome: "challenged", service: service.name, reason: failure.reason, priceMsat } };
  const issued = await (challenger ?? paywall.challenger).issue({ service, request, paidHash, later, offer: sold.value });
  if (!issued.ok) {
    const outcome = { outcome: issued.reason === "rate_limited" ? ("rate_limited" as const) : ("node_unavailable" as const), service: service.name, reason: failure.reason, ...(issued.reason === "node_unavailable" ? { detail: issued.detail } : {}) };
    if (issued.reason === "rate_limited") return { kind: "refuse", status: 429, reason: issued.reason, detail: issued.detail, retryAfterSeconds: issued.retryAfterSeconds, cookies: [], outcome };
    return { kind: "unavailable", reason: "node_unavailable", detail: "the Lightning node cannot issue an invoice right now; retry shortly", retryAfterSeconds: issued.retryAfterSeconds, cookies: [], outcome };
  }
  const { parts, reused, probe, cookies = [] } = issued.value;
  const offered = paywall.schemes.filter((scheme) => service.schemes.includes(scheme.name));
  const problem = offered.map((scheme) => scheme.problem?.(failure.reason)).find((found) => found !== undefined);
  const decision: Challenge = {
    kind: "challenge",
    service,
    failure,
    priceMsat: priced.value,
    offer: sold.value,
    parts,
    written: offered.map((scheme) => scheme.challenge(parts, { request, service, keyring: paywall.settings.keyring, verifier: paywall.verifier })),
    problem,
    cookies,
    outcome: { outcome: reused ? "challenged_again" : "challenged", service: service.name, reason: failure.reason, priceMsat },
    ...(probe === undefined ? {} : { probe }),
  };
  return decision;
}

function pass(route: Pass["route"], outcome: Pass["outcome"], extra: { readonly private?: Pass["private"]; readonly always?: Record<string, string>; readonly onSuccess?: Record<string, string> } = {}): Pass {
  return { kind: "pass", route, headers: { always: extra.always ?? {}, onSuccess: extra.onSuccess ?? {} }, cookies: [], outcome, ...(extra.private === undefined ? {} : { private: extra.private }) };
}
