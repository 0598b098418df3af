import { paramReading } from "../unicode-reading.ts";
import type { ParsedService } from "./schema.ts";
import type { BalanceConfig, PriceRule, Pricing, UrlPattern } from "./types.ts";

/**
 * A service's usage settings, compiled (README, "Selling by usage"): its
 * price rules as patterns and maps, its pricer as a fetch (over HTTPS, or the
 * Service Binding it names), its balance's offers and meter in msat.
 */
export function compilePricing(service: ParsedService, toPattern: (text: string) => UrlPattern, bindings: Readonly<Record<string, unknown>>, ignoreCase: boolean): Pricing {
  const rules = (service.price_rules ?? []).map((rule): PriceRule => ({
    methods: rule.methods,
    path: rule.path === undefined ? undefined : toPattern(rule.path),
    // Read as the request's values are (price-rules.ts): composed, and a service that ignores case in paths ignores it in the values its path parameters take.
    params: new Map(Object.entries(rule.params ?? {}).map(([name, value]) => [name, paramReading(value, ignoreCase)])),
    query: new Map(Object.entries(rule.query ?? {})),
    headers: new Map(Object.entries(rule.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value])),
    contentLength: rule.content_length === undefined ? undefined : { min: rule.content_length.min ?? 0, max: rule.content_length.max ?? Number.POSITIVE_INFINITY },
    priceMsat: rule.price_msat ?? (rule.price_sats ?? 0n) * 1000n,
  }));
  const given = service.pricer;
  const pricer =
    given === undefined
      ? undefined
      : {
          fetch: pricerFetch(given.binding === undefined ? undefined : bindings[given.binding]),
          // A binding's fetch is routed by the binding, not the URL; the URL only has to parse.
          url: given.url ?? new URL("https://pricer.binding/"),
          headers: (given.headers ?? []).map((name) => name.toLowerCase()),
          cacheSeconds: given.cache_seconds ?? 0,
        };
  return { rules, pricer, price: service.price, bindRequest: service.bind_request ?? false };
}

export function compileBalance(service: ParsedService): BalanceConfig | undefined {
  const { balance, meter } = service;
  if (balance === undefined) return undefined;
  const bonus = new Map(Object.entries(balance.bonus_sats ?? {}).map(([amount, sats]) => [BigInt(amount), sats]));
  return {
    offers: balance.amounts_sats.map((sats) => ({ amountMsat: sats * 1000n, creditMsat: (sats + (bonus.get(sats) ?? 0n)) * 1000n })),
    costHeader: service.cost_header,
    maxCostMsat: service.max_cost_sats === undefined ? undefined : service.max_cost_sats * 1000n,
    chargeOn: service.charge_on ?? "below_500",
    meter:
      meter === undefined
        ? undefined
        : {
            ...(meter.per_kib_msat === undefined ? {} : { perKibMsat: meter.per_kib_msat }),
            ...(meter.per_1k_input_tokens_msat === undefined ? {} : { perThousandInputTokensMsat: meter.per_1k_input_tokens_msat }),
            ...(meter.per_1k_output_tokens_msat === undefined ? {} : { perThousandOutputTokensMsat: meter.per_1k_output_tokens_msat }),
          },
  };
}

/** The global fetch for a pricer URL; a Service Binding's own fetch; or (compiled to be described) none. */
function pricerFetch(binding: unknown): (request: Request) => Promise<Response> {
  if (binding === undefined) return (request) => fetch(request);
  const bound = binding as { fetch?: (request: Request) => Promise<Response> };
  if (typeof bound.fetch === "function") return (request) => (bound.fetch as (request: Request) => Promise<Response>).call(bound, request);
  return () => Promise.reject(new Error("the pricer's binding is not bound here"));
}

/**
 * Whether a service's tokens are sold for the request: its price depends on
 * it (rules, a pricer, the app's function), or each token is bound to one
 * (`bind_request`, at one price as well). Its tokens then carry the price
 * they paid (and the request), so their prices change in the config only.
 */
export const pricedByRequest = ({ pricing }: { readonly pricing: Pricing }): boolean =>
  pricing.rules.length > 0 || pricing.pricer !== undefined || pricing.price !== undefined || pricing.bindRequest;
