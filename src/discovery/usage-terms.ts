import { pricedByRequest, type BalanceConfig, type PriceRule, type Pricing } from "../config/index.ts";
import { creditCondition, formatSats, priceCondition, requestCondition } from "../l402/index.ts";
import { msatJson } from "./route-info.ts";

/**
 * What a service sells beyond one flat price, as the discovery documents
 * publish it (README, "Selling by usage"): how a request's price is decided
 * (its rules; a pricer, or the app's price function, whose answers only a 402
 * tells), and for a balance service the credit on offer and how each request
 * is debited. Only what a buyer needs: never a pricer's address, the cost
 * header's name (the client never sees it) or an origin.
 */
interface Priced {
  readonly priceMsat: bigint;
  readonly pricing: Pricing;
  readonly balance: BalanceConfig | undefined;
  readonly methodOverride?: boolean;
}

/**
 * How the rules read what a request may claim (claimed-methods.ts,
 * price-rules.ts): what a client must know to price a POST of JSON right.
 */
const METHOD_CLAIMS =
  "A request is priced as each method it may be carried out as (the one sent; one an X-HTTP-Method-Override-style header or a _method parameter names; any, for a form, JSON or untyped body, which frameworks read _method from): each by its first matching rule, else the price for requests no rule matches, the dearest of them applying.";
const PARAMETER_CLAIMS =
  "A form, JSON or untyped body may give query parameters other values: each rule such a request could meet prices it, up to the first that reads no query parameter (else the price for requests no rule matches), the dearest applying.";

/** What the rules make of a request's claims, where they matter: rules naming methods on an origin taking overrides; rules reading the query. */
function claimsOf(route: Priced, rules: readonly PriceRule[]): string | undefined {
  const said = [
    ...(route.methodOverride === true && rules.some((rule) => rule.methods !== undefined) ? [METHOD_CLAIMS] : []),
    ...(rules.some((rule) => rule.query.size > 0) ? [PARAMETER_CLAIMS] : []),
  ];
  return said.length === 0 ? undefined : said.join(" ");
}


const optionalClaims = (claims: string | undefined): { readonly claims?: string } => (claims === undefined ? {} : { claims });

/** A pricer or the app's function prices what no rule does: no price can be published for those requests. */
const pricedElsewhere = ({ pricing }: Priced): boolean => pricing.pricer !== undefined || pricing.price !== undefined;

const amounts = (msat: bigint) => ({ amount_msat: msatJson(msat), amount_sats: formatSats(msat) });

/**
 * The l402-services route's `price`: `static` (one price), or `dynamic` with
 * the rules (first match wins) and the price of requests no rule matches —
 * `priced_by: "pricer"` when a pricer (or the app's function) decides it.
 * `bound_to_request`: each token buys the one request it was priced for.
 */
export function publishedPrice(route: Priced): Record<string, unknown> {
  if (!pricedByRequest(route)) return { type: "static", ...amounts(route.priceMsat) };
  const { rules, bindRequest } = route.pricing;
  // A template Worker's build without request pricing (worker/build.ts) has no rules or pricer (its config check refuses them), so only a binding makes a price the request's: the define is read here, where the bundler folds it.
  if (globalThis.L402_BUILD_PRICES === false) return { type: "dynamic", ...amounts(route.priceMsat), bound_to_request: true };
  return {
    type: "dynamic",
    ...(pricedElsewhere(route) ? { priced_by: "pricer" } : amounts(route.priceMsat)),
    ...(rules.length === 0 ? {} : { rules: rules.map(publishedRule) }),
    // Read in the condition, where the bundler folds it: a build without request pricing carries none of this text (the cast: the return above narrows the define's type).
    ...((globalThis.L402_BUILD_PRICES as boolean | undefined) === false ? {} : optionalClaims(claimsOf(route, rules))),
    ...(bindRequest ? { bound_to_request: true } : {}),
  };
}

/** A price rule as it was written: the conditions a request must meet, and its price. */
function publishedRule(rule: PriceRule): Record<string, unknown> {
  const map = (values: ReadonlyMap<string, string>) => (values.size === 0 ? {} : Object.fromEntries(values));
  const { contentLength } = rule;
  return {
    ...(rule.methods === undefined ? {} : { methods: rule.methods }),
    ...(rule.path === undefined ? {} : { path: rule.path.pathname }),
    ...(rule.params.size === 0 ? {} : { params: map(rule.params) }),
    ...(rule.query.size === 0 ? {} : { query: map(rule.query) }),
    ...(rule.headers.size === 0 ? {} : { headers: map(rule.headers) }),
    ...(contentLength === undefined ? {} : { content_length: { min: contentLength.min, ...(Number.isFinite(contentLength.max) ? { max: contentLength.max } : {}) } }),
    ...amounts(rule.priceMsat),
  };
}

/**
 * A balance service's terms: the credit offers (the first is the default;
 * `X-L402-Credit: <amount_sats>` asks for another), what each request
 * debits — its price, the cost reported after the answer (at most
 * `reserved_msat` or its price, whichever is more, reserved before it), or its metered body at the `meter`
 * rates — and when an answer is charged for. A short balance is answered 402
 * `balance_short` with a top-up of the same token (a new token's offer, for
 * one expiring before a top-up could be paid and sent).
 */
export function publishedBalance(route: Priced): Record<string, unknown> | undefined {
  const { balance } = route;
  // As for prices (above): a build without balances has none.
  if (globalThis.L402_BUILD_BALANCE === false || balance === undefined) return undefined;
  const { meter, maxCostMsat } = balance;
  const debited = meter !== undefined ? "metered" : balance.costHeader !== undefined || maxCostMsat !== undefined ? "reported" : "price";
  const rates =
    meter === undefined
      ? undefined
      : {
          ...(meter.perKibMsat === undefined ? {} : { per_kib_msat: msatJson(meter.perKibMsat) }),
          ...(meter.perThousandInputTokensMsat === undefined ? {} : { per_1k_input_tokens_msat: msatJson(meter.perThousandInputTokensMsat) }),
          ...(meter.perThousandOutputTokensMsat === undefined ? {} : { per_1k_output_tokens_msat: msatJson(meter.perThousandOutputTokensMsat) }),
        };
  return {
    credit_offers: balance.offers.map((offer) => ({ amount_sats: Number(offer.amountMsat / 1000n), credit_sats: Number(offer.creditMsat / 1000n) })),
    credit_header: "X-L402-Credit",
    balance_header: "X-L402-Balance",
    debited,
    ...(maxCostMsat === undefined ? {} : { reserved_msat: msatJson(maxCostMsat) }),
    ...(rates === undefined ? {} : { meter: rates }),
    charge_on: balance.chargeOn,
    top_up: "a 402 balance_short offers a top-up of the same token (a new token covering the request, for a token expiring before a top-up could be paid and sent)",
  };
}

/** What each request costs, in words, for the documents' readers (and the OpenAPI offer's description). */
export function usageTerms(route: Priced): string | undefined {
  if (globalThis.L402_BUILD_PRICES === false && globalThis.L402_BUILD_BALANCE === false) return undefined;
  const { balance } = route;
  const price = pricedElsewhere(route) ? "priced per request by a pricer" : route.pricing.rules.length > 0 ? "priced per request by its rules" : undefined;
  if (balance === undefined) {
    if (price === undefined) return undefined;
    return `${capitalised(price)}; ${route.pricing.bindRequest ? "a token buys the one request it was priced for" : "a token pays for requests up to the price it was bought at"}.`;
  }
  const { meter, maxCostMsat } = balance;
  // A request priced above max_cost_sats reserves (and, unreported, costs) its price.
  const dearer = maxCostMsat !== undefined && (pricedElsewhere(route) || route.priceMsat > maxCostMsat || route.pricing.rules.some((rule) => rule.priceMsat > maxCostMsat));
  const reserve = maxCostMsat === undefined ? "its price" : `${formatSats(maxCostMsat)} sats${dearer ? " (or its price, if more)" : ""}`;
  const debit =
    meter !== undefined
      ? `its body is metered (${meterWords(meter)}), starting from a reservation of ${reserve}`
      : balance.costHeader !== undefined || maxCostMsat !== undefined
        ? `its cost is reported after the answer, at most ${reserve} reserved before it`
        : "it debits its price";
  return `Each request is debited from the balance: ${debit}${price === undefined ? "" : ` (${price})`}.`;
}

function meterWords(meter: NonNullable<BalanceConfig["meter"]>): string {
  return [
    meter.perKibMsat === undefined ? undefined : `${meter.perKibMsat} msat per KiB`,
    meter.perThousandInputTokensMsat === undefined ? undefined : `${meter.perThousandInputTokensMsat} msat per 1,000 input tokens`,
    meter.perThousandOutputTokensMsat === undefined ? undefined : `${meter.perThousandOutputTokensMsat} msat per 1,000 output tokens`,
  ]
    .filter((words) => words !== undefined)
    .join(", ");
}

const capitalised = (text: string): string => `${text.charAt(0).toUpperCase()}${text.slice(1)}`;

/** The usage caveats a token for this route is minted with, beside the service's own (l402/caveats.ts). */
export function usageCaveats(service: string, route: Priced): string[] {
  if (route.balance !== undefined) return [creditCondition(service)];
  if (!pricedByRequest(route)) return [];
  return [priceCondition(service), ...(route.pricing.bindRequest ? [requestCondition(service)] : [])];
}
