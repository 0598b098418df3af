import { sha256, toHex, utf8 } from "../../bytes.ts";
import { tokenFacts } from "../../l402/index.ts";
import { offerKey, type OfferCaveats } from "../offer.ts";
import { cachedFrom, clientKey, storeChallenge } from "../challenge-cache.ts";
import type { ChallengeParts } from "../challenge-parts.ts";
import type { BrowserContext } from "./browser-context.ts";

/**
 * The page invoice a client (its network and user agent, as the challenge
 * cache counts clients) holds open for a service: what bounds page challenges
 * to one per client, service and window (page-challenge.ts). Kept in the
 * challenge cache under a key of its own, never read as a JSON client's
 * challenge: a page invoice is only ever collected through its browser's
 * pending cookie. Forgotten once paid or expired, else at the end of the
 * window (`challengeCacheSeconds`).
 *
 * A cache that cannot answer bounds nothing (the mint limit still does): it
 * must not turn a page into an error.
 */
const LABEL = "l402-edge/page-invoice\u0000";

/** Page challenges are bounded where JSON clients' challenges are cached: with a challenge cache and a window. */
export const isBounded = ({ paywall }: BrowserContext): boolean => paywall.settings.ports.challengeCache !== undefined && paywall.settings.challengeCacheSeconds > 0;

/** The client's slot for page invoices of one offer: a dearer page of a request-priced service is another offer, with an invoice of its own. */
export function pageInvoiceKey({ request, service, paywall }: BrowserContext, caveats: OfferCaveats): string {
  return toHex(sha256(utf8(`${LABEL}${clientKey(request.client, service.name, offerKey(service, caveats), paywall.settings.keyring.current.id)}`)));
}

/** What a token minted by this paywall sells beyond its service's own caveats (offer.ts), as it says of itself. */
export function mintedOffer(service: string, macaroon: Uint8Array): OfferCaveats {
  const facts = tokenFacts(macaroon, service);
  const priceMsat = facts.ok ? facts.value.priceMsat : undefined;
  const request = facts.ok ? facts.value.request : undefined;
  return { ...(priceMsat === undefined ? {} : { priceMsat }), ...(request === undefined ? {} : { request }) };
}

/** The payment hash of the client's open page invoice, if it has one. */
export async function openPageInvoice(bc: BrowserContext, key: string): Promise<string | undefined> {
  try {
    const entry = await bc.paywall.settings.ports.challengeCache?.read(key);
    return entry !== undefined && bc.request.now < entry.expiresAt ? entry.paymentHash : undefined;
  } catch {
    return undefined;
  }
}

export async function rememberPageInvoice(bc: BrowserContext, key: string, parts: ChallengeParts): Promise<void> {
  const { settings } = bc.paywall;
  const cache = settings.ports.challengeCache;
  if (cache === undefined) return;
  await storeChallenge(cache, key, cachedFrom(parts, bc.request.now), settings.challengeCacheSeconds, bc.request.now).catch(() => undefined);
}

/** Forgets the client's open page invoice of this offer if it is this one (paid, or expired). */
export async function forgetPageInvoice(bc: BrowserContext, paymentHash: string, caveats: OfferCaveats): Promise<void> {
  if (!isBounded(bc)) return;
  const key = pageInvoiceKey(bc, caveats);
  if ((await openPageInvoice(bc, key)) !== paymentHash) return;
  await bc.paywall.settings.ports.challengeCache?.drop(key).catch(() => undefined);
}
