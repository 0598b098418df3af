import { constantTimeEqual } from "../bytes.ts";
import { fastHmacSha256, hmacChain, keepPads, type HmacSha256 } from "./fast-hmac.ts";
import { isThirdParty, type Caveat, type Macaroon } from "./types.ts";

/**
 * The signature chain every real implementation uses (libmacaroons, go-macaroon,
 * js-macaroon):
 *
 *   k   = HMAC-SHA256(key = "macaroons-key-generator", msg = rootKey)
 *   sig = HMAC-SHA256(k, identifier)
 *   sig = HMAC-SHA256(sig, caveat)        for each first-party caveat, in order
 *
 * The published L402 text omits the first step; tokens in the field include it.
 */
const KEY_GENERATOR = new TextEncoder().encode("macaroons-key-generator");
// Every token's key derivation starts with this key: its HMAC pads are hashed once.
keepPads(KEY_GENERATOR);

/**
 * The HMAC is fast-hmac.ts unless a caller passes another (`HmacSha256`): plain
 * TypeScript, runs anywhere, measured fastest in workerd and Node by `npm run bench`.
 */

export const deriveMacaroonKey = (rootKey: Uint8Array, mac: HmacSha256 = fastHmacSha256): Uint8Array =>
  mac(KEY_GENERATOR, rootKey);

/** Computes the signature of an identifier and first-party caveats under a root key. */
export function computeSignature(
  rootKey: Uint8Array,
  identifier: Uint8Array,
  caveats: readonly Caveat[],
  mac: HmacSha256 = fastHmacSha256,
): Uint8Array {
  if (caveats.some(isThirdParty)) throw new TypeError("third-party caveats cannot be signed here");
  if (mac === fastHmacSha256) {
    // fast-hmac.ts runs the whole chain in one call, each MAC keying the next without becoming bytes.
    const messages: [Uint8Array, ...Uint8Array[]] = [rootKey, identifier];
    for (const caveat of caveats) messages.push(caveat.id);
    return hmacChain(KEY_GENERATOR, messages);
  }
  let signature = mac(deriveMacaroonKey(rootKey, mac), identifier);
  for (const caveat of caveats) signature = mac(signature, caveat.id);
  return signature;
}

/** Creates a macaroon with first-party caveats, signed with the root key. */
export function createMacaroon(params: {
  rootKey: Uint8Array;
  identifier: Uint8Array;
  caveats?: readonly Uint8Array[];
  location?: string;
  mac?: HmacSha256;
}): Macaroon {
  const caveats = (params.caveats ?? []).map((id) => ({ id }));
  return {
    ...(params.location === undefined ? {} : { location: params.location }),
    identifier: params.identifier,
    caveats,
    signature: computeSignature(params.rootKey, params.identifier, caveats, params.mac),
  };
}

/**
 * Appends a first-party caveat using only the current signature: a holder can
 * narrow a macaroon without knowing the root key, and nobody can remove it again.
 */
export function attenuate(macaroon: Macaroon, caveat: Uint8Array): Macaroon {
  return {
    ...macaroon,
    caveats: [...macaroon.caveats, { id: caveat }],
    signature: fastHmacSha256(macaroon.signature, caveat),
  };
}

/**
 * True when the macaroon's signature chain matches the root key. Third-party
 * caveats make this false: an L402 verifier cannot discharge them.
 */
export function hasValidSignature(macaroon: Macaroon, rootKey: Uint8Array, mac: HmacSha256 = fastHmacSha256): boolean {
  if (macaroon.caveats.some(isThirdParty)) return false;
  return constantTimeEqual(computeSignature(rootKey, macaroon.identifier, macaroon.caveats, mac), macaroon.signature);
}

export { constantTimeEqual };
