import * as v from "valibot";
import { wholeNumber } from "./paywall-settings.ts";
import type { PriceFunction } from "./types.ts";
import { amount, HEADER_NAME, httpUrl, MAX_PRICE_MSAT, METHOD, objectMessage, pattern, recordOf, RESERVED_HEADERS, strings } from "./schema-pieces.ts";

/**
 * What a service's requests cost when the price depends on the request, and
 * how a balance service sells credit: the valibot pieces schema.ts adds to a
 * service (README, "Selling by usage").
 */

const GROUP_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const MAX_BYTES = Number.MAX_SAFE_INTEGER;

/** Exactly one of price_sats or price_msat, as msat. */
const onePrice = <T extends { price_sats?: bigint | undefined; price_msat?: bigint | undefined }>() =>
  v.check<T, string>((item) => (item.price_sats === undefined) !== (item.price_msat === undefined), "needs exactly one of price_sats or price_msat");

const textValues = (key: v.GenericSchema<string, string>, message: string) =>
  recordOf(key, v.pipe(v.string(message), v.regex(/^[^\x00-\x1f\x7f,]{0,256}$/, "must be at most 256 characters, without commas or control characters")), "must be an object");

/** `{ "methods", "path", "params", "query", "headers", "content_length", "price_sats" | "price_msat" }`: every condition named must hold. */
export const priceRule = v.pipe(
  v.strictObject(
    {
      methods: v.optional(strings(v.pipe(v.string(), v.regex(METHOD, "has an invalid format")))),
      path: v.optional(pattern(true)),
      params: v.optional(textValues(v.pipe(v.string(), v.regex(GROUP_NAME, "names no path parameter")), "must be a string")),
      query: v.optional(textValues(v.pipe(v.string(), v.minLength(1, "must be a parameter name"), v.maxLength(128, "must be a parameter name")), "must be a string")),
      headers: v.optional(textValues(v.pipe(v.string(), v.regex(HEADER_NAME, "is not a header name")), "must be a string")),
      content_length: v.optional(
        v.pipe(
          v.strictObject({ min: v.optional(wholeNumber(0, MAX_BYTES)), max: v.optional(wholeNumber(0, MAX_BYTES)) }, objectMessage),
          v.check((range) => range.min !== undefined || range.max !== undefined, "needs min, max or both"),
          v.check((range) => (range.min ?? 0) <= (range.max ?? MAX_BYTES), "has min above max"),
        ),
      ),
      price_sats: v.optional(amount),
      price_msat: v.optional(amount),
    },
    objectMessage,
  ),
  onePrice(),
  v.check((rule) => ((rule.price_sats ?? 0n) * 1000n + (rule.price_msat ?? 0n)) <= MAX_PRICE_MSAT, "is more than 21 million bitcoin"),
  v.check((rule) => rule.params === undefined || (rule.path !== undefined && Object.keys(rule.params).every((name) => new RegExp(`:${name}(?![A-Za-z0-9_])`).test(rule.path ?? ""))), "names a parameter its path does not have"),
);

/** `{ "url" | "binding", "headers", "cache_seconds" }`: where the pricer is, what it is told, how long its answers are kept. */
export const pricer = v.pipe(
  v.strictObject(
    {
      url: v.optional(httpUrl),
      binding: v.optional(v.pipe(v.string("must be a string"), v.regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, "must be a binding's name"))),
      headers: v.optional(strings(v.pipe(v.string(), v.regex(HEADER_NAME, "is not a header name"), v.check((name) => !CREDENTIAL_HEADERS.has(name.toLowerCase()), "carries credentials: a pricer is never told them")))),
      cache_seconds: v.optional(wholeNumber(0, 3600)),
    },
    objectMessage,
  ),
  v.check((given) => (given.url === undefined) !== (given.binding === undefined), "needs exactly one of url or binding"),
);
const CREDENTIAL_HEADERS = new Set(["authorization", "cookie", "macaroon", "grpc-metadata-macaroon", "proxy-authorization", "payment-signature", "x-payment"]);

const AMOUNT_KEY = /^[1-9]\d{0,17}$/;

/** `{ "amounts_sats": [...], "bonus_sats": { "<amount>": <bonus> } }`: the credit a 402 sells. */
export const balance = v.pipe(
  v.strictObject(
    {
      amounts_sats: v.pipe(v.array(amount, "must be an array of amounts"), v.minLength(1, "must list at least one amount"), v.maxLength(8, "lists more than 8 amounts"), v.check((list) => new Set(list).size === list.length, "lists an amount twice")),
      bonus_sats: v.optional(v.record(v.pipe(v.string(), v.regex(AMOUNT_KEY, "must be an amount")), amount, "must be an object")),
    },
    objectMessage,
  ),
  v.forward(
    // Keys that are no amount have their own issue (checks run on, and must not throw).
    v.check((given) => Object.keys(given.bonus_sats ?? {}).every((key) => !AMOUNT_KEY.test(key) || given.amounts_sats.includes(BigInt(key))), "names an amount amounts_sats does not list"),
    ["bonus_sats"],
  ),
  // Minted into the token (`<service>_credit_msat`), which no verifier reads beyond 21 million bitcoin.
  v.forward(
    v.check((given) => creditsSats(given).every((credit) => credit * 1000n <= MAX_PRICE_MSAT), "is more than 21 million bitcoin"),
    ["amounts_sats"],
  ),
  // Offers are told apart by their credit (a top-up's choice, the challenge cache's key).
  v.forward(
    v.check((given) => new Set(creditsSats(given)).size === given.amounts_sats.length, "gives two amounts the same credit"),
    ["bonus_sats"],
  ),
);

/** What each amount on offer credits, in sats: the amount and its bonus. */
const creditsSats = (given: { readonly amounts_sats: readonly bigint[]; readonly bonus_sats?: Readonly<Record<string, bigint>> | undefined }): bigint[] =>
  given.amounts_sats.map((sats) => sats + (given.bonus_sats?.[String(sats)] ?? 0n));

const ratePerUnit = v.optional(amount);
/** `{ "per_kib_msat", "per_1k_input_tokens_msat", "per_1k_output_tokens_msat" }`: a streamed answer's prices. */
export const streamMeter = v.pipe(
  v.strictObject({ per_kib_msat: ratePerUnit, per_1k_input_tokens_msat: ratePerUnit, per_1k_output_tokens_msat: ratePerUnit }, objectMessage),
  v.check((given) => Object.values(given).some((rate) => rate !== undefined), "needs at least one price"),
);

/** The response header carrying a request's cost: not one the paywall or HTTP itself gives meaning to (it is taken off the answer after the paywall's own headers, `Cache-Control: private` among them). */
export const costHeader = v.pipe(
  v.string("must be a string"),
  v.regex(HEADER_NAME, "is not a header name"),
  v.check((name) => name.toLowerCase() === "x-l402-cost" || (!RESERVED_HEADERS.has(name.toLowerCase()) && !/^(?:set-cookie|content-type|content-encoding|content-length|transfer-encoding|cache-control|vary|x-l402-.*)$/i.test(name)), "is a header the answer needs"),
);

export const chargeOn = v.picklist(["below_500", "success", "always"], 'must be "below_500", "success" or "always"');

/** What the middleware's own `price` is: a function of the request (the template Worker's JSON cannot hold one). */
export const priceFunction = v.custom<PriceFunction>((input) => typeof input === "function", "must be a function of the request");

