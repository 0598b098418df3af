import { URLPattern } from "#url-pattern";
import * as v from "valibot";
import { canonicalUrl } from "../canonical-url.ts";
import { backtrackingProblem } from "./pattern-backtracking.ts";

/**
 * The valibot pieces service definitions are made of (schema.ts,
 * pricing-schema.ts). Every message names what is wrong without quoting the
 * value (it may be a secret).
 */

export const MAX_PRICE_MSAT = 10n ** 11n * 21_000_000n;
export const CAPABILITY = /^[A-Za-z0-9_.-]{1,64}$/;
/** A header name (RFC 9110 token), at most 128 characters. */
export const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/;
export const METHOD = /^[A-Z]{1,16}$/;
/** Headers the paywall itself sets toward the origin; a service may not override them. */
export const RESERVED_HEADERS = new Set(["x-l402-token-id", "authorization", "host", "content-length"]);

/** Names valibot's `record` leaves out without a word: refused instead, so that no condition or header written under one vanishes unsaid. */
const NAMES_RECORD_DROPS = ["__proto__", "constructor", "prototype"];

/** `v.record(key, value, message)`, refusing an object that names one of NAMES_RECORD_DROPS (a price rule's `query: { constructor }` would else be a rule with no condition: every request's). */
export const recordOf = <TKey extends v.GenericSchema<string, string>, TValue extends v.GenericSchema>(key: TKey, value: TValue, message: string) =>
  v.pipe(
    v.unknown(),
    v.check(
      (input) => typeof input !== "object" || input === null || !NAMES_RECORD_DROPS.some((name) => Object.hasOwn(input, name)),
      `may not name ${NAMES_RECORD_DROPS.map((name) => JSON.stringify(name)).join(", ")}: nothing written under those names is read`,
    ),
    v.record(key, value, message),
  );

/** true/false, or their text. */
export const flag = v.pipe(
  v.union([v.boolean(), v.picklist(["true", "false"])], "must be true or false"),
  v.transform((value) => value === true || value === "true"),
);

/** How a service's decisions are acted on (types.ts ServiceMode): a service's `mode`, and the Worker's `L402_MODE`. */
export const serviceMode = v.picklist(["enforce", "shadow"], 'must be "enforce" or "shadow"');

/** A price in sats or msat: a positive whole number, or its text. */
export const amount = v.pipe(
  v.union([v.number(), v.string()], "must be a positive integer (use auth: false for free services)"),
  v.transform((value) => String(value)),
  v.regex(/^[1-9]\d{0,17}$/, "must be a positive integer (use auth: false for free services)"),
  v.transform((text) => BigInt(text)),
);

const isPattern = (text: string): boolean => {
  const slash = text.indexOf("/");
  try {
    new URLPattern({ hostname: slash === 0 ? "*" : text.slice(0, slash), pathname: text.slice(slash) });
    return true;
  } catch {
    return false;
  }
};
/** Percent-escapes in upper case, as canonical paths write them (services.ts compiles patterns so: `%c3%a9` matches with match_case too). */
export const withUpperCaseEscapes = (text: string): string => text.replace(/%[0-9A-Fa-f]{2}/g, (escape) => escape.toUpperCase());

/** URLPattern syntax in a path pattern: groups, named and regular-expression parts, wildcards, modifiers. */
const PATTERN_PARTS = /\\(.)|:[\p{ID_Continue}$]+(?:\([^)]*\))?|\([^)]*\)|\*|[{}?+]/gu;

/**
 * Whether the pattern's literal parts are in the form requests are matched in
 * (canonical-url.ts: single slashes, no dot segments, safe characters
 * unescaped): `"/v2//x/*"`, `"/%7Ebob/*"` or `"//host/v1/*"` would never
 * match, and their routes would go unpaid under L402_UNMATCHED=pass.
 */
const isCanonical = (text: string): boolean => {
  // Without a path, or not a pattern: reported as such.
  if (!text.includes("/") || !isPattern(text)) return true;
  const path = new URLPattern({ pathname: text.slice(text.indexOf("/")) }).pathname;
  // Each part of URLPattern syntax stands for one plain segment character.
  const sample = withUpperCaseEscapes(path.replace(PATTERN_PARTS, (_, escaped: string | undefined) => escaped ?? "x"));
  const canonical = canonicalUrl(new URL(`https://pattern.invalid${sample}`));
  return canonical.ok && canonical.value.pathname === sample;
};

/** What is wrong with a pattern whose test a crafted request could make slow, if anything: its path's, else its host's (`host/path`). */
const slowToTest = (text: string): string | undefined => {
  const slash = Math.max(0, text.indexOf("/"));
  return backtrackingProblem(text.slice(slash)) ?? backtrackingProblem(text.slice(0, slash), ".");
};

/** `"/path/*"` or, where hosts are allowed, `"host/path/*"`, in URLPattern syntax. */
export const pattern = (pathOnly: boolean) =>
  v.pipe(
    v.string("must be a string"),
    v.check((text) => (pathOnly ? text.startsWith("/") : text.includes("/")), pathOnly ? "must be a path starting with /" : "must be /path or host/path"),
    v.check(isPattern, "is not a valid URL pattern"),
    v.check(
      isCanonical,
      `never matches: requests are matched with single slashes, no "." or ".." segments, and letters, digits and -._~!$&'()*+,=:@ unescaped${pathOnly ? "" : ' (a host is written "host/path", without "//")'}`,
    ),
    v.check(
      (text) => slowToTest(text) === undefined,
      (issue) => slowToTest(String(issue.input)) ?? "",
    ),
  );

/** An http(s) URL without credentials. */
export const httpUrl = v.pipe(
  v.string("must be a string"),
  v.check((text) => URL.canParse(text), "is not a URL"),
  v.transform((text) => new URL(text)),
  v.check((url) => url.protocol === "https:" || url.protocol === "http:", "must be an http or https URL"),
  v.check((url) => url.username === "" && url.password === "", "must not carry credentials (use a secret header)"),
);

export const strings = (item: v.GenericSchema<string, string>) => v.array(item, "must be an array of strings");

/** An unknown key: reported at the object (problems.ts), naming the key; a missing one at the key. */
export const objectMessage = (issue: v.BaseIssue<unknown>) => {
  if (issue.expected === "never") return `has an unknown setting ${JSON.stringify(String(issue.path?.at(-1)?.key ?? "").slice(0, 40))}`;
  return issue.path?.at(-1)?.origin === "key" ? "is required" : "must be an object";
};

/** A valibot issue path to a value inside `root`, for issues a check raises below the object it checks. */
export function pathTo(root: unknown, keys: readonly (string | number)[]): [v.IssuePathItem, ...v.IssuePathItem[]] {
  const items: v.IssuePathItem[] = [];
  let input = root as Record<string | number, unknown>;
  for (const key of keys) {
    const value = input?.[key];
    items.push(typeof key === "number" ? { type: "array", origin: "value", input: input as unknown as unknown[], key, value } : { type: "object", origin: "value", input, key, value });
    input = value as Record<string | number, unknown>;
  }
  return items as [v.IssuePathItem, ...v.IssuePathItem[]];
}
