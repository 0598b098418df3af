import { pricedByRequest, type CreditOffer, type ServiceConfig } from "../config/index.ts";
import { fail, succeed, type Result } from "../result.ts";
import type { HeaderReader } from "./request.ts";

/**
 * What a 402 sells: the invoice's amount, and what the token minted over it
 * says beyond its service's own caveats.
 *
 * - a service at one price: access at that price (nothing more to say);
 * - a request-priced one: the request's price, minted as the most each
 *   request may cost (`<service>_price_msat`), and, with `bind_request`, the
 *   request it is bound to (`<service>_request`);
 * - a balance: credit (`<service>_credit_msat`), an amount the operator
 *   lists, chosen by `X-L402-Credit`; or, for a token whose balance is short,
 *   a top-up of that token (`<service>_topup`), expiring with it.
 */
export interface Offer {
  readonly amountMsat: bigint;
  readonly caveats: OfferCaveats;
  /** A top-up's expiry and capabilities, its target's, minted instead of the service's. */
  readonly validUntil?: number | undefined;
  readonly capabilities?: readonly string[] | undefined;
  /** The credit offer sold, on a balance service. */
  readonly credit?: CreditOffer;
}

export interface OfferCaveats {
  readonly priceMsat?: bigint;
  readonly request?: string;
  readonly creditMsat?: bigint;
  readonly topupFor?: string;
}

/** A top-up for a token: its id, its expiry and capabilities (the token's narrowest), and how much its balance lacks. */
export interface TopUpTarget {
  readonly tokenId: string;
  readonly validUntil: number | undefined;
  readonly capabilities: readonly string[] | undefined;
  readonly shortMsat: bigint;
}

/**
 * The offer for a request priced `priceMsat`. Prices become whole sats where
 * the invoice must name whole sats (the Payment scheme's charge, or a
 * backend without msat), rounded up: never below the price.
 */
export function offerFor(
  service: ServiceConfig,
  priceMsat: bigint,
  request: { readonly headers: HeaderReader },
  wholeSats: boolean,
  binding: { readonly digest?: string | undefined; readonly topup?: TopUpTarget | undefined; readonly needsMsat?: bigint | undefined },
): Result<Offer, "unknown_credit_offer"> {
  const { balance } = service;
  if (balance !== undefined) {
    const credit = chosenCredit(balance.offers, request.headers.get("x-l402-credit"), binding.topup?.shortMsat ?? binding.needsMsat);
    if (credit === undefined) {
      const listed = balance.offers.map((offer) => String(offer.amountMsat / 1000n)).join(", ");
      return fail("unknown_credit_offer", `X-L402-Credit must name one of the amounts on offer (sats): ${listed}`);
    }
    const { topup } = binding;
    const caveats = { creditMsat: credit.creditMsat, ...(topup === undefined ? {} : { topupFor: topup.tokenId }) };
    return succeed({ amountMsat: credit.amountMsat, caveats, credit, ...(topup === undefined ? {} : { validUntil: topup.validUntil, capabilities: topup.capabilities }) });
  }
  if (!pricedByRequest(service)) return succeed({ amountMsat: service.priceMsat, caveats: {} });
  const amountMsat = wholeSats || service.schemes.includes("mpp") ? roundUpToSats(priceMsat) : priceMsat;
  return succeed({ amountMsat, caveats: { priceMsat: amountMsat, ...(binding.digest === undefined ? {} : { request: binding.digest }) } });
}

/**
 * The credit a 402 sells: the one `X-L402-Credit` names (in sats); else, for a
 * top-up (or a new token sold instead of one), the smallest that covers what
 * is needed (or the largest); else the first the operator lists. Undefined:
 * the header names none on offer.
 */
function chosenCredit(offers: readonly CreditOffer[], asked: string | null, neededMsat: bigint | undefined): CreditOffer | undefined {
  if (asked !== null) return /^[1-9]\d{0,17}$/.test(asked.trim()) ? offers.find((offer) => offer.amountMsat === BigInt(asked.trim()) * 1000n) : undefined;
  if (neededMsat === undefined) return offers[0];
  const bySize = [...offers].sort((a, b) => (a.creditMsat < b.creditMsat ? -1 : 1));
  return bySize.find((offer) => offer.creditMsat >= neededMsat) ?? bySize.at(-1);
}

const roundUpToSats = (msat: bigint): bigint => ((msat + 999n) / 1000n) * 1000n;

/**
 * What the challenge cache tells a client's offers apart by, within one
 * service: the price, for a service at one price; else what the token says
 * (the same text from the offer minted and from the token later presented,
 * so a token's first use drops its cached challenge). And the terms the
 * service mints into every token (its timeout, uses, capabilities): an
 * invoice cached before a deploy changed them is not handed out after it,
 * its token minted on the old terms (no expiry where one is now set).
 */
export function offerKey(service: ServiceConfig, caveats: OfferCaveats): string {
  const { priceMsat, request, creditMsat, topupFor } = caveats;
  const terms = [service.timeoutSeconds ?? "", service.uses ?? "", service.capabilities?.join(",") ?? "*"].join("|");
  if (priceMsat === undefined && creditMsat === undefined) return `${service.priceMsat}|${terms}`;
  return [priceMsat ?? "", request ?? "", creditMsat ?? "", topupFor ?? "", terms].join("|");
}
