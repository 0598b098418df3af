import { constantTimeEqual, fromBase64UrlStrict, fromHex, sha256, toBase64, toBase64Url, toHex, utf8 } from "../../bytes.ts";
import type { ServiceConfig } from "../../config/index.ts";
import type { Keyring, Verifier } from "../../l402/index.ts";
import { invoiceNetwork } from "../../lightning/index.ts";
import {
  CHARGE,
  challengeId,
  chargePreimage,
  formatChargeRequest,
  formatPaymentChallenge,
  formatReceipt,
  LIGHTNING,
  parsePaymentCredential,
  PROBLEMS,
  readChargeRequest,
  RECEIPT_HEADER,
  type PaymentChallenge,
} from "../../payment/index.ts";
import { fail, succeed } from "../../result.ts";
import type { ChallengeParts } from "../challenge-parts.ts";
import { derivedKeys } from "./derived-keys.ts";
import { PAID_GRACE_SECONDS, type PaymentScheme, type Problem, type Reading } from "./scheme.ts";

/**
 * The Payment HTTP authentication scheme's lightning charge, beside L402
 * (`schemes = ["mpp"]`, as the reference proxy names it).
 *
 * One invoice serves both: the Payment challenge names the invoice and payment
 * hash of the L402 challenge it comes with, and its request's `externalId`
 * (the merchant's reference) carries the token minted over that hash: its id
 * and expiry, as the ledger and the operator know it, and the macaroon itself,
 * which a credential is verified by as an L402 one is, so that every caveat
 * holds whichever scheme presents it (the price a request-priced token paid,
 * the request a bound one was bought for). (Not `opaque`: Alby's client does
 * not echo it, and every client echoes `request`.) A payment is then one
 * token: one meter, one expiry, one revocation, one ledger entry; and
 * one invoice per 402, not two (the reference proxy makes two), so the
 * challenge cache and the mint limit bound unpaid traffic exactly as before.
 *
 * Stateless like L402: the challenge id is an HMAC (draft §5.1.3.1) under a key
 * derived from each master key, so the paywall recognises its own challenges
 * without storing them. Only single use needs state (the spent-charges port).
 */
export const paymentScheme: PaymentScheme = {
  name: "mpp",
  label: "payment",
  credentialHeaders: ["authorization"],
  authorizations: ["Payment"],
  read: ({ request, service, keyring, verifier, capabilities }) =>
    verifyCharge({ keyring, verifier }, service, request.headers.get("authorization") ?? "", { host: request.url.hostname, now: request.now, capabilities }),
  challenge: (parts, { request, service, keyring }) => ({ wwwAuthenticate: [paymentChallenge(keyring, service, parts, request.url.hostname)] }),
  problem: problemFor,
};

/** The challenge-id keys (derived-keys.ts). */
const challengeIdKeys = (keyring: Keyring): readonly Uint8Array[] => derivedKeys(keyring, "l402-edge/payment-challenge-id/v1");

/** RFC 3339 in whole seconds, as the drafts' examples write it. */
const rfc3339 = (unixSeconds: number): string => new Date(unixSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");

/** The `WWW-Authenticate: Payment` value for one issued invoice and its token. */
export function paymentChallenge(keyring: Keyring, service: ServiceConfig, parts: ChallengeParts, realm: string): string {
  const network = invoiceNetwork(parts.invoice) ?? "mainnet";
  const externalId = [service.name, parts.tokenId, ...(parts.tokenValidUntil === undefined ? [] : [String(parts.tokenValidUntil)]), toBase64Url(parts.macaroon)].join("/");
  const request = formatChargeRequest({ amount: String(parts.amountMsat / 1000n), currency: "sat", externalId, methodDetails: { invoice: parts.invoice, paymentHash: parts.paymentHash, network } });
  // The challenge expires with its invoice (the draft forbids later).
  const bound = { realm, method: LIGHTNING, intent: CHARGE, request, expires: rfc3339(parts.expiresAt) };
  return formatPaymentChallenge({ id: challengeId(challengeIdKeys(keyring)[0] as Uint8Array, bound, keyring.mac), ...bound });
}

/**
 * A Payment credential, checked with nothing but the keyring: the echoed
 * challenge is one this paywall issued (its id), for this service (and, where
 * the service names its hosts, this host: the challenge's realm), not expired,
 * the preimage pays its invoice, and the token it carries verifies with that
 * preimage as an L402 credential would (service, capabilities, expiry and
 * every other caveat). Single use is the paywall's to enforce (the
 * spent-charges port, last of all checks, so a refused credential is not burnt).
 */
export function verifyCharge(
  { keyring, verifier }: { readonly keyring: Keyring; readonly verifier: Verifier },
  service: ServiceConfig,
  header: string,
  at: { readonly host: string; readonly now: number; readonly capabilities: readonly string[] },
): Reading {
  const parsed = parsePaymentCredential(header);
  if (!parsed.ok) return parsed;
  const { challenge, payload } = parsed.value;
  if (challenge.method !== LIGHTNING || challenge.intent !== CHARGE) return fail("method_unsupported", `this paywall takes the lightning charge, not ${challenge.method} ${challenge.intent}`);
  if (!issuedHere(keyring, challenge)) return fail("unknown_challenge", "the challenge was not issued by this paywall, or was altered");
  const expiresAt = challenge.expires === undefined ? Number.NaN : Math.floor(Date.parse(challenge.expires) / 1000);
  if (!Number.isFinite(expiresAt)) return fail("unknown_challenge", "the challenge carries no expiry");
  const request = readChargeRequest(challenge.request);
  if (!request.ok) return request;
  const reference = readReference(request.value.externalId);
  if (reference === undefined) return fail("unknown_challenge", "the challenge names no token");
  if (reference.service !== service.name) return fail("service_mismatch", `the challenge is for ${reference.service}, not ${service.name}`);
  if (namesHosts(service) && challenge.realm !== at.host) return fail("realm_mismatch", `the challenge was issued by ${challenge.realm}, not ${at.host}`);
  const preimage = chargePreimage(payload);
  if (preimage === undefined) return fail("malformed", "the payload's preimage must be 64 hex characters");
  const paidHash = sha256(fromHex(preimage) as Uint8Array);
  const paymentHash = fromHex(request.value.methodDetails.paymentHash) as Uint8Array;
  if (!constantTimeEqual(paidHash, paymentHash)) return fail("wrong_preimage", "the preimage does not match the challenge's payment hash");
  // After the preimage: a paid but refused credential still proves its invoice paid (paidHash). Paid, it is taken a grace past its expiry.
  const until = expiresAt + PAID_GRACE_SECONDS;
  if (at.now >= until) return { ...fail("expired", "the challenge has expired; pay a fresh one"), paidHash };
  // The token's own expiry (a charge never outlives it: past it, its meter may forget the count) and every other caveat, as L402 checks them.
  const verified = verifier.verify({ authorization: `L402 ${reference.macaroon}:${preimage}`, macaroon: null, grpcMetadataMacaroon: null }, { service: service.name, now: at.now, capabilities: at.capabilities });
  if (!verified.ok) return { ...verified, paidHash };
  const { grant } = verified.value;
  const receipt = formatReceipt({ status: "success", method: LIGHTNING, timestamp: rfc3339(at.now), reference: toHex(paymentHash), challengeId: challenge.id });
  return {
    ...succeed({ token: { ...verified.value, grant: { ...grant, validUntil: Math.min(until, grant.validUntil ?? Number.POSITIVE_INFINITY) } }, singleUseUntil: until, receipt: { [RECEIPT_HEADER]: receipt } }),
    paidHash,
  };
}

/** Every pattern names its host: the service is reached on those hosts only, and each issues its own charges. */
export const namesHosts = (service: ServiceConfig): boolean => service.patterns.every((pattern) => pattern.hostname !== "*");

function issuedHere(keyring: Keyring, challenge: PaymentChallenge): boolean {
  const presented = utf8(challenge.id);
  return challengeIdKeys(keyring).some((key) => constantTimeEqual(presented, utf8(challengeId(key, challenge, keyring.mac))));
}

/** `<service>/<token id hex>[/<the token's minted valid_until>]/<its macaroon, base64url>`, as paymentChallenge writes it: the service and the macaroon (base64). */
function readReference(externalId: string | undefined): { service: string; macaroon: string } | undefined {
  const match = /^([A-Za-z0-9._-]{1,64})\/[0-9a-f]{64}(?:\/\d{1,12})?\/([A-Za-z0-9_-]+)$/.exec(externalId ?? "");
  const macaroon = match === null ? undefined : fromBase64UrlStrict(match[2] as string);
  return match === null || macaroon === undefined ? undefined : { service: match[1] as string, macaroon: toBase64(macaroon) };
}

/**
 * The problem type of a refusal (draft-httpauth-payment §8, draft-lightning-charge
 * §errors). Every refusal is a 402 with fresh challenges, never a 401, where
 * drafts have differed: the core draft keeps 401 for authentication unrelated
 * to payment, the cure for a refused charge is paying another (which the 402
 * carries), an L402 client of the same service gets a 402 for a refused token,
 * and clients that know only "402 → pay" (lnget, Alby) recover without a
 * special case.
 */
function problemFor(reason: string): Problem {
  switch (reason) {
    case "missing":
      return PROBLEMS.paymentRequired;
    case "malformed":
      return PROBLEMS.malformedCredential;
    case "method_unsupported":
      return PROBLEMS.methodUnsupported;
    case "unknown_challenge":
      return PROBLEMS.unknownChallenge;
    // Ours and genuine, but not good here: already used (draft-httpauth-payment-02's table), another service's, another host's.
    case "spent":
    case "service_mismatch":
    case "realm_mismatch":
      return PROBLEMS.invalidChallenge;
    case "wrong_preimage":
      return PROBLEMS.invalidPreimage;
    case "expired":
      return PROBLEMS.expiredInvoice;
    default:
      return PROBLEMS.verificationFailed;
  }
}
