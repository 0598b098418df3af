import * as v from "valibot";
import { pricedByRequest, type PricerConfig, type ServiceConfig } from "../config/index.ts";
import { headerSpellings, otherSpellings, type HeaderSpellings } from "../header-spellings.ts";
import { fail, succeed, type Result } from "../result.ts";
import { sharedFlights, waitAtMost } from "../shared-flight.ts";
import { methodsCarriedOut, type ClaimedMethods } from "./claimed-methods.ts";
import { rulePrice, statedBodyLength } from "./price-rules.ts";
import type { PaywallRequest } from "./request.ts";

/**
 * What a request costs: its service's rules (price-rules.ts), then its
 * pricer or the app's price function, then the service's price. A pricer
 * that cannot answer makes the request unpayable for now (503), never free;
 * one that answers a price that is not a positive whole number of msat is a
 * configuration error (500).
 */
export type PriceFailure = "ambiguous_price" | "pricer_unavailable" | "pricer_invalid";
export type Price = Result<bigint, PriceFailure>;

export interface RequestPricer {
  priceOf(service: ServiceConfig, request: PaywallRequest, claimed: ClaimedMethods): Promise<Price>;
}


/** The headers a service's price may depend on (its rules' and those its pricer is told), made once per service. */
const pricedHeaderSpellings = new WeakMap<ServiceConfig, HeaderSpellings>();
function pricedHeaders(service: ServiceConfig): HeaderSpellings {
  let spellings = pricedHeaderSpellings.get(service);
  if (spellings === undefined) {
    spellings = headerSpellings([...service.pricing.rules.flatMap((rule) => [...rule.headers.keys()]), ...(service.pricing.pricer?.headers ?? [])]);
    pricedHeaderSpellings.set(service, spellings);
  }
  return spellings;
}

const PRICER_TIMEOUT_MS = 2000;
const MAX_CACHED_ANSWERS = 1000;
/**
 * The longest question whose answer is kept: a question is the whole request
 * as JSON (a 16 KB URL of `%01`s makes 48 KB of it), and a thousand such keys
 * would hold some 50 MB of an isolate's 128. Longer ones are asked each time,
 * as distinct questions are anyway.
 */
const MAX_CACHED_QUESTION_CHARS = 4096;
const MAX_PRICE_MSAT = 21_000_000n * 10n ** 11n;

/** A pricer per paywall: its answers cached per isolate (`cache_seconds`), the same question asked once at a time. */
export function requestPricer(): RequestPricer {
  const answers = new Map<string, { readonly priceMsat: bigint; readonly until: number }>();
  const late = () => fail("pricer_unavailable", "the pricer did not answer in time; retry shortly");
  // A question asked once at a time (shared-flight.ts): within the pricer's timeout, or it is asked anew.
  const shared = sharedFlights<Price>(PRICER_TIMEOUT_MS, late);
  const ask = async (pricer: PricerConfig, question: string, now: number): Promise<Price> => {
    const cached = answers.get(question);
    if (cached !== undefined && now < cached.until) return succeed(cached.priceMsat);
    // Bounded here too, as those who join it are: a Service Binding's fetch may not heed the abort signal.
    const answer = await waitAtMost(shared(question, () => askPricer(pricer, question)), PRICER_TIMEOUT_MS, late);
    if (answer.ok && pricer.cacheSeconds > 0 && question.length <= MAX_CACHED_QUESTION_CHARS) {
      // The oldest answer goes first: a Map keeps insertion order (an answer asked again, expired, is the newest).
      answers.delete(question);
      if (answers.size >= MAX_CACHED_ANSWERS) answers.delete(answers.keys().next().value as string);
      answers.set(question, { priceMsat: answer.value, until: now + pricer.cacheSeconds });
    }
    return answer;
  };
  return {
    async priceOf(service, request, claimed) {
      if (!pricedByRequest(service)) return succeed(service.priceMsat);
      const [spelled] = otherSpellings(request.headers, pricedHeaders(service));
      if (spelled !== undefined) return fail("ambiguous_price", `the header "${spelled.name}" decides the price and is also sent as "${spelled.sent}", which origins behind CGI-style gateways (PHP, Django, WSGI) read as it`);
      const ruled = rulePrice(service, request, claimed);
      if (!ruled.ok) return ruled;
      const { matchedMsat, unpriced } = ruled.value;
      if (!unpriced && matchedMsat !== undefined) return succeed(matchedMsat);
      const { pricer, price } = service.pricing;
      const fallback = pricer !== undefined ? await ask(pricer, question(service, request, pricer, claimed), request.now) : price !== undefined ? await fromFunction(price, request, claimed) : succeed(service.priceMsat);
      if (!fallback.ok || matchedMsat === undefined) return fallback;
      return succeed(matchedMsat > fallback.value ? matchedMsat : fallback.value);
    },
  };
}

/**
 * The pricer's question (its JSON request body, and the cache's key): the
 * request as the rules read it (the canonical path, before the origin's
 * `strip_prefix`), with the headers the pricer asked for;
 * the methods the origin may carry it out as (an override header's or
 * `_method`'s, which the pricer may not be sent), whether its body may
 * claim any, and whether it may give query parameters other values (a form,
 * multipart, JSON: Rails', PHP's and Laravel's parameters); the query as sent too, for a pricer that reads it as its origin
 * does (`;` as a separator, a repeated name's last value).
 */
function question(service: ServiceConfig, request: PaywallRequest, pricer: PricerConfig, claimed: ClaimedMethods): string {
  // No prototype: a parameter named `constructor` or `__proto__` is a name like any other.
  const query: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
  for (const [name, value] of request.url.searchParams) (query[name] ??= []).push(value);
  const headers: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const name of pricer.headers) {
    const value = request.headers.get(name);
    if (value !== null) headers[name] = value;
  }
  const length = statedBodyLength(request.headers);
  return JSON.stringify({
    service: service.name,
    method: request.method,
    methods: methodsCarriedOut(request.method.toUpperCase(), claimed),
    any_method: claimed.anyMethod,
    parameter_body: claimed.parameterBody === true,
    path: request.url.pathname,
    query,
    query_string: request.url.search.slice(1),
    content_length: length ?? null,
    headers,
  });
}

const amount = v.union([v.pipe(v.number(), v.safeInteger(), v.transform(String)), v.string()]);
const PricerAnswer = v.object({ price_msat: v.optional(amount), price_sats: v.optional(amount) });

async function askPricer(pricer: PricerConfig, body: string): Promise<Price> {
  // Its address is not said: the client reads these (an internal host and port are the operator's business).
  const unavailable = (detail: string) => fail("pricer_unavailable", `the pricer ${detail}; retry shortly`);
  let answer: unknown;
  try {
    // Not redirected: the question (the request's path, query and headers) goes to the pricer configured, nowhere else.
    const init = { method: "POST", body, redirect: "manual", headers: { "Content-Type": "application/json", Accept: "application/json" }, signal: AbortSignal.timeout(PRICER_TIMEOUT_MS) } as const;
    const response = await pricer.fetch(new Request(pricer.url, init));
    if (!response.ok) return unavailable(`answered ${response.status}`);
    answer = await response.json();
  } catch {
    return unavailable("did not answer with JSON in time");
  }
  const read = v.safeParse(PricerAnswer, answer);
  if (!read.success || (read.output.price_msat === undefined) === (read.output.price_sats === undefined)) {
    return fail("pricer_invalid", "the pricer answered without exactly one of price_msat or price_sats");
  }
  const { price_msat, price_sats } = read.output;
  return checked(price_msat ?? price_sats ?? "", price_sats === undefined ? 1n : 1000n, "the pricer");
}

const LATE = Symbol("late");

/** The app's price function's price: asked once, told the methods the origin may carry the request out as (it sees no body). */
async function fromFunction(price: NonNullable<ServiceConfig["pricing"]["price"]>, request: PaywallRequest, claimed: ClaimedMethods): Promise<Price> {
  let given: unknown;
  let timer: ReturnType<typeof setTimeout> | undefined;
  // Bounded as the pricer is: a promise that never settles must not hold every challenge with it.
  const late = new Promise<typeof LATE>((resolve) => (timer = setTimeout(() => resolve(LATE), PRICER_TIMEOUT_MS)));
  try {
    const asked = { method: request.method, url: request.url, headers: request.headers, methods: methodsCarriedOut(request.method.toUpperCase(), claimed), anyMethod: claimed.anyMethod };
    given = await Promise.race([price(asked), late]);
  } catch {
    return fail("pricer_unavailable", "the service's price function failed; retry shortly");
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
  if (given === LATE) return fail("pricer_unavailable", "the service's price function did not answer in time; retry shortly");
  return typeof given === "bigint" || typeof given === "number" ? checked(String(given), 1n, "the service's price function") : fail("pricer_invalid", "the service's price function answered something other than a number of msat");
}

/** A positive whole number of msat, at most 21 million bitcoin: anything else is the pricer's error, never a free request. */
function checked(text: string, unitMsat: bigint, who: string): Price {
  if (!/^[1-9]\d{0,18}$/.test(text) || BigInt(text) * unitMsat > MAX_PRICE_MSAT) return fail("pricer_invalid", `${who} answered a price that is not a positive whole number (zero, negative or malformed)`);
  return succeed(BigInt(text) * unitMsat);
}
