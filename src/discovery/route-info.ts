import { chargeTermsOf, coveringPattern, type BalanceConfig, type ChargeOn, type Pricing, type ServiceConfig, type ServiceMode, type UrlPattern } from "../config/index.ts";

/**
 * What a paid service sells, as discovery documents publish it: only what a
 * buyer needs (prices, schemes, validity, capabilities, the paths), never an
 * origin, a header, a secret or an operational setting.
 */
export interface SoldRoute {
  readonly service: string;
  readonly description: string | undefined;
  /** The pattern's host, when it names one. */
  readonly host: string | undefined;
  /** The pattern's path, in URLPattern syntax. */
  readonly pattern: string;
  /** The compiled pattern, for matching (not published). */
  readonly matcher: UrlPattern;
  readonly priceMsat: bigint;
  /** How a request's price is decided, and a balance service's credit (usage-terms.ts publishes what a buyer needs of them). */
  readonly pricing: Pricing;
  readonly balance: BalanceConfig | undefined;
  /** The schemes it takes, as services list them ("l402", "mpp", …). */
  readonly schemes: readonly string[];
  readonly timeoutSeconds: number | undefined;
  readonly uses: number | undefined;
  /** With `uses`: the answers that keep their use (the rest give it back). */
  readonly usesChargeOn: ChargeOn;
  readonly capabilities: readonly string[] | undefined;
  /** Methods the service's capability rules name (the only methods it names at all). */
  readonly methods: readonly string[];
  /** Its mode (published when not "enforce": a paused service sells nothing new). */
  readonly mode: ServiceMode;
  /** Whether a request is judged as the methods it may claim (claimed-methods.ts): price rules naming methods are then read so. */
  readonly methodOverride: boolean;
}

/**
 * One entry per pattern of every paid service, in matching order, but a
 * pattern a service listed before takes whole (its requests are sold at that
 * one's terms, or given free): a buyer paying its terms would be refused there.
 */
export function soldRoutes(services: readonly ServiceConfig[]): SoldRoute[] {
  return services.flatMap((service, index) =>
    service.auth ? service.patterns.filter((pattern) => coveringPattern(services, index, pattern) === undefined).map((pattern) => soldRoute(service, pattern)) : [],
  );
}

function soldRoute(service: ServiceConfig, pattern: UrlPattern): SoldRoute {
  return {
    service: service.name,
    description: service.description,
    host: pattern.hostname === "*" ? undefined : pattern.hostname,
    pattern: pattern.pathname,
    matcher: pattern,
    priceMsat: service.priceMsat,
    pricing: service.pricing,
    balance: service.balance,
    schemes: service.schemes,
    timeoutSeconds: service.timeoutSeconds,
    uses: service.uses,
    usesChargeOn: service.usesChargeOn,
    capabilities: service.capabilities,
    methods: [...new Set(service.capabilityRules.flatMap((rule) => rule.methods ?? []))],
    mode: service.mode,
    methodOverride: service.methodOverride,
  };
}

/** `charge_terms`, where the route takes a Payment charge or an x402 payment: what one buys (`terms` is a token's), most often one request. */
export const chargeTerms = (route: SoldRoute): { readonly charge_terms?: string } => (route.schemes.some((scheme) => scheme !== "l402") ? { charge_terms: chargeTermsOf(route) } : {});

/** msat as a JSON number where one is exact, else as text. */
export const msatJson = (msat: bigint): number | string => (msat <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(msat) : String(msat));
