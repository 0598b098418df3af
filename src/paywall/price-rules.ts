import type { PriceRule, ServiceConfig } from "../config/index.ts";
import { asciiFolded } from "../ascii-folding.ts";
import { fail, succeed, type Result } from "../result.ts";
import { asPhpNamesIt, UNNAMED_METHOD, type ClaimedMethods } from "./claimed-methods.ts";
import { pathReadings, type PathInput } from "./path-readings.ts";
import type { HeaderReader } from "./request.ts";

/**
 * The price a service's rules give a request, read as its origin may read it:
 * - every method it sends or claims (claimed-methods.ts) is priced, and the
 *   dearest wins, as capability rules need every claimed method's capability;
 * - a path matches with or without its trailing slash (match.ts says why);
 *   its parameters are read decoded, and a service that ignores case in
 *   paths ignores it in their values;
 * - a query parameter or header a rule prices by, given more than once (or,
 *   for a query parameter, under names an origin reads as one: other case
 *   where the service ignores case, PHP's `.` for `_` and its cut at a NUL,
 *   Rack's and PHP's readings of brackets), is refused: which of its values
 *   would the origin read? So is one an origin that splits the query at `;`
 *   would read otherwise;
 * - a body without a `Content-Length` counts as endless;
 * - a body frameworks read parameters from (a form, multipart, JSON) may
 *   give a query parameter a rule prices by any value: the dearest rule it
 *   could meet prices the request, and the service's price too unless a rule
 *   that reads no query parameter would be met first.
 * `matchedMsat`: the dearest price a rule gave (undefined: none matched);
 * `unpriced`: some method no rule prices, which the service's pricer,
 * function or price prices (the dearer of the two is the request's).
 */
export type RulePrice = Result<{ readonly matchedMsat: bigint | undefined; readonly unpriced: boolean }, "ambiguous_price">;

export function rulePrice(service: ServiceConfig, request: { readonly url: URL; readonly headers: HeaderReader }, claimed: ClaimedMethods): RulePrice {
  const { rules } = service.pricing;
  if (rules.length === 0) return succeed({ matchedMsat: undefined, unpriced: true });
  const read = readPricedValues(rules, request, !service.matchCase);
  if (!read.ok) return read;
  const methods = new Set(claimed.methods);
  if (claimed.anyMethod) for (const method of [UNNAMED_METHOD, ...rules.flatMap((rule) => rule.methods ?? [])]) methods.add(method);
  let dearest: bigint | undefined;
  let unpriced = false;
  const price = (rule: PriceRule): void => {
    if (dearest === undefined || rule.priceMsat > dearest) dearest = rule.priceMsat;
  };
  // The path as sent and as an origin comparing Unicode reads it (match.ts) may meet different rules: as with methods, the dearest prices the request.
  for (const method of methods) {
    for (const path of pathReadings(request.url, !service.matchCase)) {
      if (claimed.parameterBody !== true) {
        const rule = rules.find((candidate) => matches(candidate, method, path, read.value, !service.matchCase, false));
        if (rule === undefined) unpriced = true;
        else price(rule);
        continue;
      }
      // A body an origin reads parameters from (Rails' params, PHP's $_REQUEST, Laravel's input()) may give every query parameter any value, the query's or another:
      // each rule the request could then meet, in order, prices it, up to the first that reads no query parameter (met whatever the body says); past them all, the service's price does.
      let certain = false;
      for (const rule of rules) {
        if (!matches(rule, method, path, read.value, !service.matchCase, true)) continue;
        price(rule);
        certain = rule.query.size === 0;
        if (certain) break;
      }
      if (!certain) unpriced = true;
    }
  }
  return succeed({ matchedMsat: dearest, unpriced });
}

/** The most query parameters common origins read, dropping the rest unseen: qs's `parameterLimit`, Node's `maxKeys`, PHP's `max_input_vars`. */
const MOST_QUERY_PAIRS_READ = 1000;

/** The query's parts as an origin's limit counts them: empty ones too (qs and Node's querystring count `&&`), split at `;` as well (Rack 2, Perl's CGI). */
const segmentsOf = (search: string): number => (search.length <= 1 ? 0 : search.slice(1).split(/[&;]/).length);

/** The query parameters and headers some rule prices by, each with its one value (absent: not sent), and the body's length. */
interface PricedValues {
  readonly query: ReadonlyMap<string, string>;
  readonly headers: ReadonlyMap<string, string>;
  readonly contentLength: number;
}

function readPricedValues(rules: readonly PriceRule[], request: { readonly url: URL; readonly headers: HeaderReader }, ignoreCase: boolean): Result<PricedValues, "ambiguous_price"> {
  const query = new Map<string, string>();
  // Ignoring case as Java and Python do: `ſize` and `sİze` are `size` to them.
  const sameName = (name: string) => asPhpNamesIt(ignoreCase ? asciiFolded(name).toLowerCase() : name);
  // Rack 2, Perl's CGI and Go and Python before 2021 split a query at `;` as well as `&`.
  const splitAtSemicolons = request.url.search.includes(";") ? new URLSearchParams(request.url.search.slice(1).replaceAll(";", "&")) : undefined;
  // What names written with brackets are read as, either way the query is split (most queries have none).
  const bracketed = new Set([...request.url.searchParams.keys(), ...(splitAtSemicolons?.keys() ?? [])].flatMap((given) => bracketReadings(given).map(sameName)));
  const priced = new Set(rules.flatMap((rule) => [...rule.query.keys()]));
  const pairs = segmentsOf(request.url.search);
  if (priced.size > 0 && pairs > MOST_QUERY_PAIRS_READ) {
    return fail("ambiguous_price", `the query has ${pairs} parts, and origins read the first ${MOST_QUERY_PAIRS_READ} (Express, PHP, Node's querystring): a parameter that decides the price might never be read`);
  }
  for (const name of priced) {
    const valuesIn = (pairs: URLSearchParams) => [...pairs].filter(([given]) => sameName(given) === sameName(name)).map(([, value]) => value);
    const values = valuesIn(request.url.searchParams);
    const split = splitAtSemicolons === undefined ? values : valuesIn(splitAtSemicolons);
    if (values.length > 1 || split.length > 1) return fail("ambiguous_price", `the query parameter "${name.slice(0, 40)}" decides the price and is given more than once`);
    if (bracketed.has(sameName(name))) {
      return fail("ambiguous_price", `the query parameter "${name.slice(0, 40)}" decides the price, and a name with brackets is read as it by some origins`);
    }
    if (values[0] !== split[0]) return fail("ambiguous_price", `the query parameter "${name.slice(0, 40)}" decides the price and is read otherwise where ';' separates parameters`);
    if (values[0] !== undefined) query.set(name, values[0]);
  }
  const headers = new Map<string, string>();
  for (const name of new Set(rules.flatMap((rule) => [...rule.headers.keys()]))) {
    const value = request.headers.get(name);
    // Headers sent twice arrive joined with ", ": a value no rule can name (rules' values have no commas).
    if (value?.includes(",") === true) return fail("ambiguous_price", `the header "${name}" decides the price and is given more than once`);
    if (value !== null) headers.set(name, value);
  }
  return succeed({ query, headers, contentLength: statedBodyLength(request.headers) ?? Number.POSITIVE_INFINITY });
}

/**
 * The names a query parameter written with brackets is read as: Rack's (it
 * drops leading brackets and reads up to the next: `[size]`, `size]` and
 * `size[]` are `size`) and PHP's (`size[x]` is the array `size`; an unclosed
 * `image[size` is `image_size`). None for a name without brackets.
 */
function bracketReadings(name: string): string[] {
  if (!/[[\]]/.test(name)) return [];
  const rack = /^[[\]]*([^[\]]*)/.exec(name)?.[1] ?? "";
  const open = name.indexOf("[");
  return open < 0 ? [rack] : [rack, name.slice(0, open), `${name.slice(0, open)}_${name.slice(open + 1)}`];
}

/** Whether the rule's every condition holds; `queryOpen`: its query parameters may hold any value (a body may give them). */
function matches(rule: PriceRule, method: string, path: readonly PathInput[], values: PricedValues, ignoreCase: boolean, queryOpen: boolean): boolean {
  if (rule.methods !== undefined && !rule.methods.includes(method)) return false;
  if (rule.path !== undefined && !pathMatches(rule, path, ignoreCase)) return false;
  if (!queryOpen) for (const [name, value] of rule.query) if (values.query.get(name) !== value) return false;
  for (const [name, value] of rule.headers) if (values.headers.get(name) !== value) return false;
  if (rule.contentLength !== undefined) {
    const length = method === "GET" || method === "HEAD" ? 0 : values.contentLength;
    if (length < rule.contentLength.min || length > rule.contentLength.max) return false;
  }
  return true;
}

/** `path`: one reading of the path, in both its slash forms. */
function pathMatches(rule: PriceRule, path: readonly PathInput[], ignoreCase: boolean): boolean {
  for (const input of path) {
    const found = rule.path?.exec(input);
    if (found === null || found === undefined) continue;
    const groups = found.pathname.groups;
    if ([...rule.params].every(([name, value]) => paramValue(groups[name], ignoreCase) === value)) return true;
  }
  return false;
}

/**
 * A path parameter as its origin reads it: decoded (the canonical path keeps
 * escapes of what is not safe in a path: canonical-url.ts). Composed and in one
 * case as the rule's value is (config/usage-config.ts), from the path's read form.
 */
function paramValue(raw: string | undefined, ignoreCase: boolean): string | undefined {
  if (raw === undefined) return undefined;
  try {
    const value = decodeURIComponent(raw);
    return ignoreCase ? value.toLowerCase() : value;
  } catch {
    // Not UTF-8 once decoded: no rule names it.
    return undefined;
  }
}

/**
 * The length of the body the origin will work on, as far as the request says:
 * its `Content-Length`, unless the body is encoded (`Content-Encoding: gzip`,
 * which an origin inflates: 9 KB stated may be 10 MB read). Undefined: not
 * known (none stated, or encoded), priced as endless.
 */
export function statedBodyLength(headers: HeaderReader): number | undefined {
  const encoding = headers.get("content-encoding");
  if (encoding !== null && encoding.trim().toLowerCase() !== "identity" && encoding.trim() !== "") return undefined;
  const length = headers.get("content-length");
  return length !== null && /^\d{1,15}$/.test(length) ? Number(length) : undefined;
}
