import { decodeMacaroon } from "../macaroon/index.ts";
import { decodeIdentifier, fromBase64Lenient, grantFor, namedServices, readCaveats, toHex } from "../l402/index.ts";

/**
 * What an L402 token says about itself, read from its caveats (l402/caveats.ts)
 * for the first service it names, the way a client can: no key, so nothing is
 * verified; the server decides. Enough to choose what to send and what to pay:
 * a token bought for requests of up to `priceMsat`, one `request` only, a
 * balance of `creditMsat`, or a top-up of the token `topupFor`.
 */
export interface TokenTerms {
  /** Hex, as a 402's `topup_for` names a token. */
  readonly tokenId: string;
  readonly paymentHash: string;
  readonly services: readonly string[];
  readonly priceMsat?: bigint;
  readonly request?: string;
  readonly creditMsat?: bigint;
  readonly topupFor?: string;
}

/** Undefined: not a macaroon with an L402 identifier. Caveats this client cannot read say nothing beyond the services. */
export function tokenTerms(macaroon: Uint8Array): TokenTerms | undefined {
  let decoded;
  try {
    decoded = decodeMacaroon(macaroon);
  } catch {
    return undefined;
  }
  const identifier = decodeIdentifier(decoded.identifier);
  if (!identifier.ok) return undefined;
  const caveats = decoded.caveats.map((caveat) => caveat.id);
  const services = namedServices(caveats);
  const base = { tokenId: toHex(identifier.value.tokenId), paymentHash: toHex(identifier.value.paymentHash), services };
  const reading = readCaveats(caveats);
  const service = services[0];
  // `now: 0`: what the token says, not whether it is still valid.
  const grant = reading.ok && service !== undefined ? grantFor(reading.value, { service, now: 0 }) : undefined;
  if (grant?.ok !== true) return base;
  const { priceMsat, request, creditMsat, topupFor } = grant.value;
  return { ...base, ...(priceMsat === undefined ? {} : { priceMsat }), ...(request === undefined ? {} : { request }), ...(creditMsat === undefined ? {} : { creditMsat }), ...(topupFor === undefined ? {} : { topupFor }) };
}

/** A kept token's terms (its macaroon is stored as base64). */
export const storedTokenTerms = (macaroonBase64: string): TokenTerms | undefined => {
  const bytes = fromBase64Lenient(macaroonBase64);
  return bytes === undefined ? undefined : tokenTerms(bytes);
};
