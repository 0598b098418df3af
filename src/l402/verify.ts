import { constantTimeEqual, hasValidSignature, isThirdParty, sha256, type Macaroon } from "../macaroon/index.ts";
import { grantFor, readCaveats, type CaveatReading, type Grant } from "./caveats.ts";
import { decodeIdentifier } from "./identifier.ts";
import { deriveRootKey, keyForToken, type Keyring } from "./keyring.ts";
import { fail, succeed, type Result } from "./result.ts";

/** What a client presents: a macaroon and the preimage of its invoice. */
export interface Credential {
  readonly macaroon: Macaroon;
  readonly preimage: Uint8Array;
}

export interface VerifyOptions {
  readonly keyring: Keyring;
  readonly service: string;
  /** What this request needs; the token must grant each. */
  readonly capabilities?: readonly string[];
  /** Unix seconds. */
  readonly now: number;
}

export interface VerifiedToken {
  readonly tokenId: Uint8Array;
  readonly paymentHash: Uint8Array;
  readonly grant: Grant;
}

/**
 * What verification proves of a credential whatever the request and the time:
 * the macaroon is one we minted (HMAC chain under a configured key) for the
 * invoice whose preimage it carries, and its caveats read and narrow properly.
 */
export interface Authenticated {
  readonly tokenId: Uint8Array;
  readonly paymentHash: Uint8Array;
  readonly caveats: CaveatReading;
}

/**
 * Verifies a credential with nothing but the keyring: no storage, no node.
 * Cheap checks first; the preimage proves payment, the HMAC chain proves we
 * minted the macaroon for that invoice, the caveats say what it grants.
 */
export function verify(credential: Credential, options: VerifyOptions): Result<VerifiedToken> {
  const authenticated = authenticate(credential, options.keyring);
  if (!authenticated.ok) return authenticated;
  return grantOf(authenticated.value, options);
}

/** The request-independent part of `verify`. */
export function authenticate(credential: Credential, keyring: Keyring): Result<Authenticated> {
  const { macaroon, preimage } = credential;
  if (macaroon.caveats.some(isThirdParty)) {
    return fail("third_party_caveat", "third-party caveats cannot be discharged by this verifier");
  }
  const decoded = decodeIdentifier(macaroon.identifier);
  if (!decoded.ok) return decoded;
  const identifier = decoded.value;
  const master = keyForToken(keyring, identifier.tokenId);
  if (master === undefined) return fail("unknown_key", "the token was minted under a key that is not configured");
  if (!constantTimeEqual(sha256(preimage), identifier.paymentHash)) {
    return fail("wrong_preimage", "the preimage does not match the token's payment hash");
  }
  const { mac } = keyring;
  if (!hasValidSignature(macaroon, deriveRootKey(master, macaroon.identifier, mac), mac)) {
    return fail("bad_signature", "the macaroon signature does not verify");
  }
  const caveats = readCaveats(macaroon.caveats.map((caveat) => caveat.id));
  if (!caveats.ok) return caveats;
  return succeed({ tokenId: identifier.tokenId, paymentHash: identifier.paymentHash, caveats: caveats.value });
}

/** The request- and time-dependent part of `verify`: what an authenticated credential grants this request. */
export function grantOf(authenticated: Authenticated, options: Omit<VerifyOptions, "keyring">): Result<VerifiedToken> {
  const grant = grantFor(authenticated.caveats, options);
  if (!grant.ok) return grant;
  return succeed({ tokenId: authenticated.tokenId, paymentHash: authenticated.paymentHash, grant: grant.value });
}
