import { decodeMacaroon, isThirdParty, MacaroonFormatError, type Macaroon } from "../macaroon/index.ts";
import { grantFor, readCaveats } from "./caveats.ts";
import { decodeIdentifier } from "./identifier.ts";
import { toBase64, toHex } from "./encoding.ts";
import { keyIdOfToken } from "./keyring.ts";
import { fail, succeed, type Result } from "./result.ts";

export interface TokenDescription {
  readonly location: string | null;
  readonly version: number | null;
  readonly paymentHash: string | null;
  readonly tokenId: string | null;
  /** The master key id (hex) inside tokens this project mints; meaningless for others. */
  readonly keyId: string | null;
  readonly identifierError?: string;
  readonly caveats: readonly (string | { thirdParty: true; location: string | null; id: string })[];
  readonly signature: string;
}

const text = new TextDecoder();

/** A JSON-ready description of any macaroon, L402 or not. */
export function describeMacaroon(macaroon: Macaroon): TokenDescription {
  const identifier = decodeIdentifier(macaroon.identifier);
  const l402 = identifier.ok ? identifier.value : undefined;
  return {
    location: macaroon.location ?? null,
    version: l402?.version ?? null,
    paymentHash: l402 ? toHex(l402.paymentHash) : null,
    tokenId: l402 ? toHex(l402.tokenId) : null,
    keyId: l402 ? keyIdOfToken(l402.tokenId).toString(16).padStart(8, "0") : null,
    ...(identifier.ok ? {} : { identifierError: identifier.detail }),
    caveats: macaroon.caveats.map((caveat) =>
      isThirdParty(caveat)
        ? { thirdParty: true as const, location: caveat.location ?? null, id: toBase64(caveat.id) }
        : text.decode(caveat.id),
    ),
    signature: toHex(macaroon.signature),
  };
}

/** What an encoded token says of itself, unverified: its ids, and the expiry, uses, capabilities, price and request minted into it for `service`. */
export interface TokenFacts {
  readonly tokenId: Uint8Array;
  readonly paymentHash: Uint8Array;
  readonly validUntil: number | undefined;
  readonly uses: number | undefined;
  readonly capabilities: readonly string[] | undefined;
  readonly priceMsat: bigint | undefined;
  readonly request: string | undefined;
}

export function tokenFacts(bytes: Uint8Array, service: string): Result<TokenFacts> {
  let macaroon: Macaroon;
  try {
    macaroon = decodeMacaroon(bytes);
  } catch (error) {
    if (error instanceof MacaroonFormatError) return fail("malformed", error.message);
    throw error;
  }
  const identifier = decodeIdentifier(macaroon.identifier);
  if (!identifier.ok) return identifier;
  const reading = readCaveats(macaroon.caveats.map((caveat) => caveat.id));
  if (!reading.ok) return reading;
  // `now: 0`: this asks what the token says, not whether it is valid now.
  const grant = grantFor(reading.value, { service, now: 0 });
  const granted = grant.ok ? grant.value : undefined;
  return succeed({
    tokenId: identifier.value.tokenId,
    paymentHash: identifier.value.paymentHash,
    validUntil: granted?.validUntil,
    uses: granted?.uses,
    capabilities: granted?.capabilities,
    priceMsat: granted?.priceMsat,
    request: granted?.request,
  });
}
