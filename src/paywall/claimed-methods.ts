import { asGatewayReadsIt } from "../header-spellings.ts";
import type { RequestHeaders } from "./request.ts";

/**
 * Every method a request may be carried out as, for judging capability rules.
 *
 * Frameworks let a request claim another method than the one it was sent
 * with: Express's method-override, Symfony and Laravel read these headers
 * (PHP and other CGI-style gateways under `_` for `-` too: `X_HTTP_Method_Override`),
 * and a `_method` parameter of a POST's query or body. The origin then acts on
 * the claimed method, so a rule that needs a capability for DELETE must see a
 * POST claiming DELETE as a DELETE too. A body is not read (the paywall streams
 * bodies): one that a framework reads parameters from (a form, any multipart; JSON, which
 * Laravel reads as its input; none named, which Rack reads as a form) may
 * claim any method, so it is judged as every method the rules name, and as one
 * they do not (UNNAMED_METHOD). Names and
 * types are read as the frameworks read them: PHP turns `.method`,
 * ` _method` and `_method%00x` into `_method`, and Rack and PHP take a
 * media type up to `;`, `,` or a space. A HEAD is also a GET: every
 * framework answers it with the GET route's handler.
 *
 * A service whose origin lets no request claim another method
 * (`method_override = false`) is judged by the method sent alone (a HEAD
 * still as a GET).
 */
const OVERRIDE_HEADERS: ReadonlySet<string> = new Set(["x-http-method-override", "x-http-method", "x-method-override"]);
const OVERRIDE_PARAMETER = "_method";
const PARAMETER_BODIES: ReadonlySet<string> = new Set(["", "application/x-www-form-urlencoded", "application/json"]);

/** A query parameter's name as PHP registers it: leading spaces dropped, cut at a NUL (PHP reads it as a C string), `.` and ` ` made `_`. */
export const asPhpNamesIt = (name: string): string => name.replace(/^ +/, "").replace(/\0[^]*$/, "").replace(/[. ]/g, "_");
/** The media type as Rack and PHP cut it from a Content-Type, lower case. */
const mediaType = (contentType: string): string => contentType.trim().split(/[;,\s]/, 1)[0]?.toLowerCase() ?? "";
/**
 * A body a framework reads parameters (and so `_method`) from: a form, any
 * multipart (Rack parses `multipart/mixed` and `multipart/related` too), one
 * of no declared type, or JSON as Laravel knows it: a Content-Type holding
 * `/json` or `+json` anywhere (`text/json`, `application/json5` too).
 */
const readsParameters = (contentType: string): boolean => {
  const type = mediaType(contentType);
  return PARAMETER_BODIES.has(type) || type.startsWith("multipart/") || /\/json|\+json/i.test(contentType);
};

/**
 * What a body that may claim any method may also be carried out as besides the
 * methods the rules name: a method none of them names (no HTTP method has a
 * space), judged by the rules that name no method, or by none.
 */
export const UNNAMED_METHOD = "any other method";

export interface ClaimedMethods {
  /** The method sent and every method claimed by a header or a `_method` query parameter, upper case. */
  readonly methods: readonly string[];
  /** A body a framework reads `_method` from, which may claim any method. */
  readonly anyMethod: boolean;
  /** A body a framework reads parameters from (its `_method`, and any other: price-rules.ts), whether or not the origin takes overrides; absent: none. */
  readonly parameterBody?: boolean;
  /**
   * The override headers sent, as Headers give them (`name: value`: the name in lower case, in name order, a repeated header one line of its values), where the origin takes overrides; absent: none.
   * Frameworks read different ones, and the first or the last of a list: the same methods claimed another way may be another action (request-binding.ts).
   */
  readonly overrideHeaders?: readonly string[];
}

export function claimedMethods(method: string, headers: RequestHeaders, url: URL, overridable = true): ClaimedMethods {
  const sent = method.toUpperCase();
  const methods = new Set(sent === "HEAD" ? [sent, "GET"] : [sent]);
  // A body unless it is said to be empty: a chunked one names no length.
  const parameterBody = sent !== "GET" && sent !== "HEAD" && headers.get("content-length") !== "0" && readsParameters(headers.get("content-type") ?? "");
  if (!overridable) return { methods: [...methods], anyMethod: false, parameterBody };
  const claim = (value: string) => {
    for (const part of value.split(",")) if (part.trim() !== "") methods.add(part.trim().toUpperCase());
  };
  const overrideHeaders: string[] = [];
  // One pass over the names sent, in every spelling a gateway reads (header-spellings.ts): a get per name wanted, on top of the pass, costs ~2 µs in workerd.
  for (const name of headers.keys()) {
    if (!OVERRIDE_HEADERS.has(asGatewayReadsIt(name))) continue;
    const value = headers.get(name) ?? "";
    claim(value);
    overrideHeaders.push(`${name}: ${value}`);
  }
  // Most requests have no query: its parameters are not parsed for nothing (this runs on every paid request a service judges by method).
  if (url.search !== "") for (const [name, value] of url.searchParams) if (asPhpNamesIt(name) === OVERRIDE_PARAMETER) claim(value);
  return { methods: [...methods], anyMethod: parameterBody, parameterBody, ...(overrideHeaders.length === 0 ? {} : { overrideHeaders }) };
}

/**
 * The most methods one request may be carried out as: the method sent, a
 * HEAD's GET and a few claims. Each is judged against every price and
 * capability rule (each a URLPattern test), so a request claiming thousands
 * (one override header of comma-separated names fills 16 KiB) would cost
 * thousands of times a request's matching, before any limit: refused.
 */
export const MOST_CLAIMED_METHODS = 8;

/** The method sent (as sent), then each other it may be carried out as, sorted: one spelling of the claims, for digests and the pricer. */
export const methodsCarriedOut = (method: string, claimed: ClaimedMethods): string[] => [
  method,
  ...claimed.methods.filter((other) => other !== method.toUpperCase()).sort(),
];

/** A plain request of one method, claiming nothing else (a browser's page load). */
export const onlyMethod = (method: string): ClaimedMethods => ({ methods: [method], anyMethod: false });
