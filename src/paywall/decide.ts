import { toHex } from "../bytes.ts";
import type { ServiceConfig } from "../config/index.ts";
import { MAX_CREDENTIAL_HEADER_CHARS } from "../l402/index.ts";
import { fail, type Failure } from "../result.ts";
import { admit, isUnavailable } from "./admit.ts";
import { clientKey } from "./challenge-cache.ts";
import { claimedMethods } from "./claimed-methods.ts";
import type { Challenge, Decision, Pass } from "./decision.ts";
import { takeFreebie } from "./free-allowance.ts";
import type { Challenger, Later } from "./issue-challenge.ts";
import { isFreePath, matchService, requiredCapabilities } from "./match.ts";
import type { Paywall } from "./paywall.ts";
import type { PaywallRequest } from "./request.ts";
import { claimingScheme } from "./schemes/claim.ts";
import type { PaymentScheme, Presented, Reading } from "./schemes/scheme.ts";

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
 * when not the paywall's own way (a browser's page: browser/page-challenge.ts).
 */
export async function decide(request: PaywallRequest, paywall: Paywall, later: Later, challenger?: Challenger): Promise<Decision> {
  const { url } = request;
  const service = matchService(paywall.settings.services, url);
  if (service === undefined) return pass({ url, service: undefined, access: "unmatched" }, { outcome: "unmatched" });
  if (!service.auth || isFreePath(service, url)) return pass({ url, service, access: "free" }, { outcome: "free", service: service.name });
  const oversized = oversizedCredential(request, paywall.schemes);
  if (oversized !== undefined) {
    const detail = `credential headers are limited to ${MAX_CREDENTIAL_HEADER_CHARS} characters`;
    return { kind: "refuse", status: 431, reason: "header_too_large", detail, cookies: [], outcome: { outcome: "refused", service: service.name, reason: "header_too_large" } };
  }
  const reading = credentialOf(request, service, paywall);
  let failure: Failure = reading.ok ? fail("missing", "") : reading;
  if (reading.ok) {
    const admitted = await admitToken(request, service, reading.value, reading.scheme, paywall, later);
    if (admitted.kind !== "refused") return admitted.decision;
    failure = admitted.failure;
  }
  if (failure.reason === "missing") {
    const remaining = await takeFreebie(paywall.settings.ports.freebies, service, request.client.address, request.now);
    if (remaining !== undefined) {
      return pass({ url, service, access: "freebie" }, { outcome: "freebie", service: service.name }, { private: { byCookie: false }, always: { "X-L402-Freebies-Remaining": String(remaining) } });
    }
  }
  const paidHash = reading.paidHash === undefined ? undefined : toHex(reading.paidHash);
  return challenge(request, service, failure, paidHash, paywall, later, challenger);
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
function credentialOf(request: PaywallRequest, service: ServiceConfig, paywall: Paywall): Reading & { readonly scheme: string } {
  const scheme = claimingScheme(request.headers, paywall.schemes);
  if (scheme === undefined) return { ...fail("missing", `no credential in a scheme this paywall takes`), scheme: "" };
  const capabilities = requiredCapabilities(service, claimedMethods(request.method, request.headers, request.url, service.methodOverride), request.url);
  const { keyring } = paywall.settings;
  const reading = scheme.read({ request, service, capabilities, keyring, verifier: paywall.verifier });
  if (reading.ok && !service.schemes.includes(scheme.name)) {
    return { ...fail("scheme_not_offered", `this service does not take the ${scheme.label} scheme: pay one of its challenges`), paidHash: reading.paidHash, scheme: scheme.label };
  }
  return { ...reading, scheme: scheme.label };
}

type AdmittedOrNot = { readonly kind: "decided"; readonly decision: Decision } | { readonly kind: "refused"; readonly failure: Failure };

/** A presented token through revocation, uses and single use: a pass, a 503, or why it is refused (then challenged). */
async function admitToken(request: PaywallRequest, service: ServiceConfig, presented: Presented, scheme: string, paywall: Paywall, later: Later): Promise<AdmittedOrNot> {
  const tokenId = toHex(presented.token.tokenId);
  const admission = await admit(paywall.settings, service, presented, later);
  if (!admission.ok && isUnavailable(admission.reason)) {
    const outcome = { outcome: "error" as const, service: service.name, reason: admission.reason, tokenId };
    return { kind: "decided", decision: { kind: "unavailable", reason: admission.reason, detail: admission.detail, retryAfterSeconds: 1, cookies: [], outcome } };
  }
  if (!admission.ok) return { kind: "refused", failure: admission };
  firstUseWork(request, service, presented, paywall, later);
  const { remaining } = admission.value;
  const access = { tokenId, service: service.name, grant: presented.token.grant, scheme, ...(remaining === undefined ? {} : { remaining }) };
  const route = { url: request.url, service, access: "paid" as const };
  const headers = { private: { byCookie: false }, always: remaining === undefined ? {} : { "X-L402-Remaining": String(remaining) }, onSuccess: presented.receipt ?? {} };
  return { kind: "decided", decision: { ...pass(route, { outcome: "paid", service: service.name, tokenId, scheme }, headers), access } };
}

/**
 * A token's first paid use in this paywall (per isolate), after the answer:
 * the ledger learns it was paid (its preimage proves it), and its payer's
 * cached challenge (the invoice just paid) is dropped.
 */
function firstUseWork(request: PaywallRequest, service: ServiceConfig, presented: Presented, paywall: Paywall, later: Later): void {
  const tokenId = toHex(presented.token.tokenId);
  if (!paywall.firstUse(tokenId)) return;
  const { ledger, challengeCache } = paywall.settings.ports;
  if (service.ledger && ledger !== undefined) {
    later(ledger.recordSettlement({ tokenId, paymentHash: toHex(presented.token.paymentHash), service: service.name, priceMsat: service.priceMsat, usedAt: request.now }));
  }
  if (challengeCache !== undefined && paywall.settings.challengeCacheSeconds > 0) later(challengeCache.drop(clientKey(request.client, service.name, service.priceMsat)));
}

/** A 402 for the failure, over one invoice every offered scheme writes its challenge for; or why none could be issued. */
async function challenge(request: PaywallRequest, service: ServiceConfig, failure: Failure, paidHash: string | undefined, paywall: Paywall, later: Later, challenger?: Challenger): Promise<Decision> {
  const issued = await (challenger ?? paywall.challenger).issue({ service, request, paidHash, later });
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
    parts,
    written: offered.map((scheme) => scheme.challenge(parts, { request, service, keyring: paywall.settings.keyring, verifier: paywall.verifier })),
    problem,
    cookies,
    outcome: { outcome: reused ? "challenged_again" : "challenged", service: service.name, reason: failure.reason },
    ...(probe === undefined ? {} : { probe }),
  };
  return decision;
}

function pass(route: Pass["route"], outcome: Pass["outcome"], extra: { readonly private?: Pass["private"]; readonly always?: Record<string, string>; readonly onSuccess?: Record<string, string> } = {}): Pass {
  return { kind: "pass", route, headers: { always: extra.always ?? {}, onSuccess: extra.onSuccess ?? {} }, cookies: [], outcome, ...(extra.private === undefined ? {} : { private: extra.private }) };
}
