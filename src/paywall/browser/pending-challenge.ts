import { base64urlnopad } from "@scure/base";
import { decodeIdentifier, fromBase64Lenient, keyForToken, toHex, type Keyring } from "../../l402/index.ts";
import { constantTimeEqual, decodeMacaroon } from "../../macaroon/index.ts";
import type { ChallengeParts } from "../challenge-parts.ts";

/**
 * The challenge a browser was shown and may still be paying, sealed into its
 * pending cookie: `<expiresAt>.<macaroon, base64url>.<invoice>.<tag>`.
 *
 * The tag (HMAC under the master key that minted the macaroon) is what makes
 * the cookie the only key to the credential: the paywall hands the preimage it
 * learns from the node to whoever presents a pending cookie for that invoice,
 * and only the browser that was shown the challenge ever got one. A macaroon
 * alone proves nothing of the kind (a challenge cached for a network's clients
 * is shown to several), so a cookie built from one is refused. Page challenges
 * are minted for one browser and never cached (see the middleware).
 */
const LABEL = new TextEncoder().encode("l402-edge/pending-challenge/v1\u0000");

export interface PendingChallenge extends ChallengeParts {
  readonly service: string;
}

export function sealPending(keyring: Keyring, pending: PendingChallenge): string {
  const content = `${pending.expiresAt}.${base64urlnopad.encode(pending.macaroon)}.${pending.invoice}`;
  return `${content}.${base64urlnopad.encode(tag(keyring.current.secret, keyring, pending.service, content))}`;
}

/** The challenge a pending cookie names, when the paywall sealed it for this service under a configured key. */
export function openPending(keyring: Keyring, service: string, value: string): PendingChallenge | undefined {
  const parts = value.split(".");
  if (parts.length !== 4) return undefined;
  const [expires, encodedMacaroon, invoice, encodedTag] = parts as [string, string, string, string];
  const macaroonBytes = fromBase64Lenient(encodedMacaroon);
  const presented = fromBase64Lenient(encodedTag);
  if (!/^\d{1,12}$/.test(expires) || !/^ln[a-z0-9]{1,2000}$/.test(invoice) || macaroonBytes === undefined || presented === undefined) return undefined;
  let identifier;
  try {
    identifier = decodeIdentifier(decodeMacaroon(macaroonBytes).identifier);
  } catch {
    return undefined;
  }
  if (!identifier.ok) return undefined;
  const master = keyForToken(keyring, identifier.value.tokenId);
  if (master === undefined) return undefined;
  if (!constantTimeEqual(presented, tag(master.secret, keyring, service, `${expires}.${encodedMacaroon}.${invoice}`))) return undefined;
  return { service, macaroon: macaroonBytes, invoice, paymentHash: toHex(identifier.value.paymentHash), expiresAt: Number(expires) };
}

function tag(secret: Uint8Array, keyring: Keyring, service: string, content: string): Uint8Array {
  const text = new TextEncoder().encode(`${service}\u0000${content}`);
  const input = new Uint8Array(LABEL.length + text.length);
  input.set(LABEL);
  input.set(text, LABEL.length);
  return keyring.mac(secret, input);
}
