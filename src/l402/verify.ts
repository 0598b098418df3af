import { constantTimeEqual, hasValidSignature, isThirdParty, sha256, type Macaroon } from "../macaroon/index.ts";
import { checkCaveats, type Grant } from "./caveats.ts";
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
 * Verifies a credential with nothing but the keyring: no storage, no node.
 * Cheap checks first; the preimage proves payment, the HMAC chain proves we
 * minted the macaroon for that invoice, the caveats say what it grants.
 */
export function verify(credential: Credential, options: VerifyOptions): Result<VerifiedToken> {
  const { macaroon, preimage } = credential;
  if (macaroon.caveats.some(isThirdParty)) {
    return fail("third_party_caveat", "third-party caveats cannot be discharged by this verifier");
  }
  const decoded = decodeIdentifier(macaroon.identifier);
  if (!decoded.ok) return decoded;
  const identifier = decoded.value;
  const master = keyForToken(options.keyring, identifier.tokenId);
  if (master === undefined) return fail("unknown_key", "the token was minted under a key that is not configured");
  if (!constantTimeEqual(sha256(preimage), identifier.paymentHash)) {
    return fail("wrong_preimage", "the preimage does not match the token's payment hash");
  }
  const { mac } = options.keyring;
  if (!hasValidSignature(macaroon, deriveRootKey(master, macaroon.identifier, mac), mac)) {
    return fail("bad_signature", "the macaroon signature does not verify");
  }
  const grant = checkCaveats(
    macaroon.caveats.map((caveat) => caveat.id),
    options,
  );
  if (!grant.ok) return grant;
  return succeed({ tokenId: identifier.tokenId, paymentHash: identifier.paymentHash, grant: grant.value });
}
