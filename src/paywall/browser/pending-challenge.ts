import { constantTimeEqual, fromBase64Lenient, toBase64Url, toHex, utf8, concatBytes } from "../../bytes.ts";
import { keyForToken, tokenFacts, type Keyring } from "../../l402/index.ts";
import { readInvoice } from "../../lightning/index.ts";
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
 * are minted for one browser and never shared (page-challenge.ts).
 */
const LABEL = utf8("l402-edge/pending-challenge/v1\u0000");

/** A pending cookie outlives its invoice by this much, so a payment made in the last seconds can still be collected; after it, the node is not asked. */
export const PENDING_GRACE_SECONDS = 120;

export interface PendingChallenge extends ChallengeParts {
  readonly service: string;
}

export function sealPending(keyring: Keyring, pending: PendingChallenge): string {
  const content = `${pending.expiresAt}.${toBase64Url(pending.macaroon)}.${pending.invoice}`;
  return `${content}.${toBase64Url(tag(keyring.current.secret, keyring, pending.service, content))}`;
}

/** The challenge a pending cookie names, when the paywall sealed it for this service under a configured key. */
export function openPending(keyring: Keyring, service: string, value: string): PendingChallenge | undefined {
  const parts = value.split(".");
  if (parts.length !== 4) return undefined;
  const [expires, encodedMacaroon, invoice, encodedTag] = parts as [string, string, string, string];
  const macaroon = fromBase64Lenient(encodedMacaroon);
  const presented = fromBase64Lenient(encodedTag);
  if (!/^\d{1,12}$/.test(expires) || !/^ln[a-z0-9]{1,2000}$/.test(invoice) || macaroon === undefined || presented === undefined) return undefined;
  const facts = tokenFacts(macaroon, service);
  if (!facts.ok) return undefined;
  const master = keyForToken(keyring, facts.value.tokenId);
  if (master === undefined) return undefined;
  if (!constantTimeEqual(presented, tag(master.secret, keyring, service, `${expires}.${encodedMacaroon}.${invoice}`))) return undefined;
  // The amount is the invoice's own (sealed with it): no need to seal it twice.
  const amountMsat = readInvoice(invoice);
  if (!amountMsat.ok || amountMsat.value.amountMsat === undefined) return undefined;
  const { tokenId, paymentHash, validUntil } = facts.value;
  return { service, macaroon, tokenId: toHex(tokenId), tokenValidUntil: validUntil, amountMsat: amountMsat.value.amountMsat, invoice, paymentHash: toHex(paymentHash), expiresAt: Number(expires) };
}

function tag(secret: Uint8Array, keyring: Keyring, service: string, content: string): Uint8Array {
  return keyring.mac(secret, concatBytes(LABEL, utf8(`${service}\u0000${content}`)));
}
