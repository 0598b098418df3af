import { createMacaroon, encodeMacaroon, type Macaroon } from "../macaroon/index.ts";
import { encodeIdentifier } from "./identifier.ts";
import { deriveRootKey, newTokenId, type Keyring } from "./keyring.ts";

/** Aperture's location hint. Clients ignore it and the signature does not cover it. */
export const DEFAULT_LOCATION = "l402";

export interface MintedToken {
  readonly macaroon: Macaroon;
  /** The macaroon encoded (V2 binary), as it goes on the wire. */
  readonly bytes: Uint8Array;
  readonly tokenId: Uint8Array;
  readonly paymentHash: Uint8Array;
}

/** Mints a token for an invoice's payment hash under the keyring's current key. */
export function mint(params: {
  keyring: Keyring;
  paymentHash: Uint8Array;
  caveats: readonly Uint8Array[];
  location?: string;
}): MintedToken {
  const tokenId = newTokenId(params.keyring);
  const identifier = encodeIdentifier(params.paymentHash, tokenId);
  const macaroon = createMacaroon({
    rootKey: deriveRootKey(params.keyring.current, identifier, params.keyring.mac),
    identifier,
    mac: params.keyring.mac,
    caveats: params.caveats,
    location: params.location ?? DEFAULT_LOCATION,
  });
  return { macaroon, bytes: encodeMacaroon(macaroon), tokenId, paymentHash: params.paymentHash };
}
