import * as v from "valibot";

/**
 * The paywall's own settings, each written once as a valibot piece with its
 * range and its default: `l402Paywall()`'s options and the template Worker's
 * env (worker/settings.ts) read them alike. Messages never quote a value.
 */

/** A whole number from `min` to `max`, as a number or as its text (env vars are text; JSON, TOML and options give numbers). */
export const wholeNumber = (min: number, max: number) => {
  const message = `must be an integer from ${min} to ${max}`;
  return v.pipe(
    v.union([v.number(message), v.pipe(v.string(message), v.regex(/^\d{1,16}$/, message), v.transform(Number))], message),
    v.check((n) => Number.isSafeInteger(n) && n >= min && n <= max, message),
  );
};

/** Seconds an invoice stays payable: a minute to a day, 600 when unset. */
export const invoiceExpirySeconds = v.optional(wholeNumber(60, 86_400), 600);

/** Seconds a client's unpaid challenge is handed back instead of a new invoice: 0 (off) to 300, 30 when unset. */
export const challengeCacheSeconds = v.optional(wholeNumber(0, 300), 30);

/** Retry-After of the 429 when the mint limiter refuses: 1 to 3600 s, 60 when unset. */
export const mintRetryAfterSeconds = v.optional(wholeNumber(1, 3600), 60);

/** Node failures in a row that open the circuit breaker: 1 to 1000, 5 when unset. */
export const breakerThreshold = v.optional(wholeNumber(1, 1000), 5);

/** Seconds the open breaker refuses before trying the node again: 1 to 3600, 30 when unset. */
export const breakerCooldownSeconds = v.optional(wholeNumber(1, 3600), 30);

/** Milliseconds to wait for the node: 100 to 30,000; unset, the backend's own setting decides (node-settings.ts). */
export const nodeTimeoutMs = v.optional(wholeNumber(100, 30_000));

/** The macaroon's location hint: 1 to 64 visible ASCII characters, "l402" when unset. */
export const macaroonLocation = v.optional(v.pipe(v.string("must be a string"), v.regex(/^[\x21-\x7e]{1,64}$/, "has an invalid format")), "l402");

/** A BOLT 11 description's most: 1,023 five-bit words (a 10-bit length) make 639 bytes; nodes refuse more. */
const MAX_DESCRIPTION_BYTES = 639;
/** The longest name `{service}` may stand for (isValidServiceName). */
const LONGEST_SERVICE_NAME = "s".repeat(64);

/** The invoice's description, `{service}` replaced by the service's name: no control characters, within BOLT 11's 639 bytes whatever the name. */
export const invoiceMemo = v.optional(
  v.pipe(
    v.string("must be a string"),
    v.regex(/^[^\x00-\x1f\x7f]*$/, "must not hold control characters"),
    v.check(
      (memo) => new TextEncoder().encode(memo.replaceAll("{service}", LONGEST_SERVICE_NAME)).length <= MAX_DESCRIPTION_BYTES,
      `must fit an invoice's description: at most ${MAX_DESCRIPTION_BYTES} bytes of UTF-8, each {service} counted as 64 (the longest name)`,
    ),
  ),
  "{service} API access",
);

/** What services in shadow mode tell clients in a header (`X-L402-Notice`): 1 to 300 printable ASCII characters (a header value). */
export const shadowNotice = v.pipe(v.string("must be a string"), v.regex(/^[\x20-\x7e]{1,300}$/, "must be 1 to 300 printable ASCII characters (it is sent as a header)"));

const FIAT_RATE_MESSAGE = 'must be { currency: an ISO 4217 code such as "USD", perBitcoin: what one bitcoin costs in it, a positive number }';

/** What 1 BTC costs in a currency, for the 402 page's estimate of a price: `{ currency: "USD", perBitcoin: 95000 }`. */
export const fiatRate = v.object(
  {
    currency: v.pipe(v.string(FIAT_RATE_MESSAGE), v.regex(/^[A-Z]{3}$/, FIAT_RATE_MESSAGE)),
    perBitcoin: v.pipe(v.number(FIAT_RATE_MESSAGE), v.finite(FIAT_RATE_MESSAGE), v.gtValue(0, FIAT_RATE_MESSAGE), v.ltValue(1e12, FIAT_RATE_MESSAGE)),
  },
  FIAT_RATE_MESSAGE,
);
