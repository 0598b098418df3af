import { hex } from "@scure/base";
import type { ServiceConfig } from "../config/index.ts";
import { decodeIdentifier, fail, grantFor, readCaveats, succeed, toHex, type Keyring, type Result, type VerifiedToken } from "../l402/index.ts";
import { invoiceNetwork } from "../lightning/index.ts";
import { constantTimeEqual, decodeMacaroon, sha256 } from "../macaroon/index.ts";
import {
  CHARGE,
  challengeId,
  chargePreimage,
  formatChargeRequest,
  formatPaymentChallenge,
  LIGHTNING,
  parsePaymentCredential,
  readChargeRequest,
  type PaymentChallenge,
} from "../payment/index.ts";
import type { ChallengeParts } from "./challenge-parts.ts";

/**
 * The Payment HTTP authentication scheme's lightning charge, beside L402.
 *
 * One invoice serves both: the Payment challenge names the invoice and payment
 * hash of the L402 challenge it comes with, and its request's `externalId`
 * (the merchant's reference) names the token minted over that hash. (Not
 * `opaque`: Alby's client does not echo it, and every client echoes `request`.) A payment is then one token, whichever scheme
 * presents it: one meter (a metered service counts both against the same
 * uses), one revocation, one ledger entry; and one invoice per 402, not two
 * (the reference proxy makes two), so the challenge cache and the mint limit
 * bound unpaid traffic exactly as before.
 *
 * Stateless like L402: the challenge id is an HMAC (draft §5.1.3.1) under a key
 * derived from each master key, so the paywall recognises its own challenges
 * without storing them. Only single use needs state (the spent-charges port).
 */
const ID_KEY_LABEL = new TextEncoder().encode("l402-edge/payment-challenge-id/v1");
const idKeys = new WeakMap<Keyring, readonly Uint8Array[]>();

/** The challenge-id keys, the current master key's first: a challenge minted before a rotation still verifies. */
function challengeIdKeys(keyring: Keyring): readonly Uint8Array[] {
  let keys = idKeys.get(keyring);
  if (keys === undefined) {
    keys = [keyring.current, ...[...keyring.byId.values()].filter((key) => key !== keyring.current)].map((key) => keyring.mac(key.secret, ID_KEY_LABEL));
    idKeys.set(keyring, keys);
  }
  return keys;
}

/** RFC 3339 in whole seconds, as the drafts' examples write it. */
const rfc3339 = (unixSeconds: number): string => new Date(unixSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");

/** The `WWW-Authenticate: Payment` value for a challenge's invoice and token. */
export function paymentChallenge(keyring: Keyring, service: ServiceConfig, parts: ChallengeParts, realm: string): string {
  const macaroon = decodeMacaroon(parts.macaroon);
  const identifier = decodeIdentifier(macaroon.identifier);
  if (!identifier.ok) throw new Error("the paywall minted a macaroon it cannot read");
  const network = invoiceNetwork(parts.invoice) ?? "mainnet";
  const until = tokenValidUntil(macaroon.caveats.map((caveat) => caveat.id), service.name);
  const externalId = [service.name, toHex(identifier.value.tokenId), ...(until === undefined ? [] : [String(until)])].join("/");
  const request = formatChargeRequest({ amount: String(service.priceMsat / 1000n), currency: "sat", externalId, methodDetails: { invoice: parts.invoice, paymentHash: parts.paymentHash, network } });
  // The challenge expires with its invoice (the draft forbids later).
  const bound = { realm, method: LIGHTNING, intent: CHARGE, request, expires: rfc3339(parts.expiresAt) };
  return formatPaymentChallenge({ id: challengeId(challengeIdKeys(keyring)[0] as Uint8Array, bound, keyring.mac), ...bound });
}

/** The expiry minted into the token, if any: no charge naming the token is accepted after it. */
function tokenValidUntil(caveats: readonly Uint8Array[], service: string): number | undefined {
  const reading = readCaveats(caveats);
  // `now: 0`: this asks what the token says, not whether it is valid now.
  const grant = reading.ok ? grantFor(reading.value, { service, now: 0 }) : undefined;
  return grant?.ok === true ? grant.value.validUntil : undefined;
}

/** Why a Payment credential was refused; each maps to a problem type (challenge-answer.ts). */
export type PaymentRefusal = "malformed" | "method_unsupported" | "unknown_challenge" | "service_mismatch" | "realm_mismatch" | "expired" | "wrong_preimage";

export interface PaymentProof {
  /** The token the charge's invoice belongs to, as the L402 path would verify it. */
  readonly verified: VerifiedToken;
  readonly challengeId: string;
  /** Unix seconds: the challenge's expiry, until which its spend must be remembered. */
  readonly expiresAt: number;
}

/**
 * Checks a Payment credential with nothing but the keyring: the echoed
 * challenge is one this paywall issued (its id), for this service (and, where
 * the service names its hosts, this host: the challenge's realm), not expired,
 * and the preimage pays its invoice. Single use is the caller's (the
 * spent-charges port, last, so a refused credential is not burnt).
 */
export function verifyPaymentCredential(
  keyring: Keyring,
  service: ServiceConfig,
  header: string,
  at: { readonly host: string; readonly now: number },
): Result<PaymentProof, PaymentRefusal> & { readonly paidHash?: Uint8Array } {
  const parsed = parsePaymentCredential(header);
  if (!parsed.ok) return parsed;
  const { challenge, payload } = parsed.value;
  if (challenge.method !== LIGHTNING || challenge.intent !== CHARGE) return fail("method_unsupported", `this paywall takes the lightning charge, not ${challenge.method} ${challenge.intent}`);
  if (!issuedHere(keyring, challenge)) return fail("unknown_challenge", "the challenge was not issued by this paywall, or was altered");
  const expiresAt = challenge.expires === undefined ? Number.NaN : Date.parse(challenge.expires) / 1000;
  if (!Number.isFinite(expiresAt)) return fail("unknown_challenge", "the challenge carries no expiry");
  const request = readChargeRequest(challenge.request);
  if (!request.ok) return request;
  const reference = readReference(request.value.externalId);
  if (reference === undefined) return fail("unknown_challenge", "the challenge names no token");
  if (reference.service !== service.name) return fail("service_mismatch", `the challenge is for ${reference.service}, not ${service.name}`);
  if (namesHosts(service) && challenge.realm !== at.host) return fail("realm_mismatch", `the challenge was issued by ${challenge.realm}, not ${at.host}`);
  const preimage = chargePreimage(payload);
  if (preimage === undefined) return fail("malformed", "the payload's preimage must be 64 hex characters");
  const paidHash = sha256(hex.decode(preimage));
  const paymentHash = hex.decode(request.value.methodDetails.paymentHash);
  if (!constantTimeEqual(paidHash, paymentHash)) return fail("wrong_preimage", "the preimage does not match the challenge's payment hash");
  // After the preimage: a paid but expired challenge still proves its invoice paid (paidHash).
  const { now } = at;
  if (now >= expiresAt) return { ...fail("expired", "the challenge has expired; pay a fresh one"), paidHash };
  // A charge never outlives the token it names: past the token's expiry its meter may forget the count.
  if (reference.until !== undefined && now >= reference.until) return { ...fail("expired", `the token this charge names expired at ${reference.until}; pay a fresh one`), paidHash };
  const grant = {
    services: [service.name],
    ...(service.capabilities === undefined ? {} : { capabilities: service.capabilities }),
    validUntil: Math.min(Math.floor(expiresAt), reference.until ?? Number.POSITIVE_INFINITY),
    ...(service.uses === undefined ? {} : { uses: service.uses }),
    ...(reference.until === undefined || service.uses === undefined ? {} : { mintedValidUntil: reference.until }),
  };
  return { ...succeed({ verified: { tokenId: hex.decode(reference.token), paymentHash, grant }, challengeId: challenge.id, expiresAt: Math.floor(expiresAt) }), paidHash };
}

/** Every pattern names its host: the service is reached on those hosts only, and each issues its own charges. */
const namesHosts = (service: ServiceConfig): boolean => service.patterns.every((pattern) => pattern.hostname !== "*");

function issuedHere(keyring: Keyring, challenge: PaymentChallenge): boolean {
  const presented = new TextEncoder().encode(challenge.id);
  return challengeIdKeys(keyring).some((key) => constantTimeEqual(presented, new TextEncoder().encode(challengeId(key, challenge, keyring.mac))));
}

/** `<service>/<token id hex>[/<the token's minted valid_until>]`, as paymentChallenge writes it. */
function readReference(externalId: string | undefined): { service: string; token: string; until: number | undefined } | undefined {
  const match = /^([A-Za-z0-9._-]{1,64})\/([0-9a-f]{64})(?:\/(\d{1,12}))?$/.exec(externalId ?? "");
  if (match === null) return undefined;
  return { service: match[1] as string, token: match[2] as string, until: match[3] === undefined ? undefined : Number(match[3]) };
}
