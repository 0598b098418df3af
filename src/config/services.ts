import { isValidServiceName } from "../l402/index.ts";
import { FieldErrors } from "./fields.ts";
import type { CapabilityRule, OriginConfig, ServiceConfig } from "./types.ts";

const CAPABILITY = /^[A-Za-z0-9_.-]{1,64}$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/;
const METHOD = /^[A-Z]{1,16}$/;
const MAX_PRICE_MSAT = 10n ** 11n * 21_000_000n;
/** Headers the paywall itself sets toward the origin; a service may not override them. */
const RESERVED_HEADERS = new Set(["x-l402-token-id", "authorization", "host", "content-length"]);

/** URLPattern with its options argument; the polyfill's type declarations (check-config in Node) predate it. */
type PatternConstructor = new (init: { hostname: string; pathname: string }, options: { ignoreCase: boolean }) => URLPattern;
const newPattern = (...args: ConstructorParameters<PatternConstructor>) => new (URLPattern as unknown as PatternConstructor)(...args);

/**
 * Reads `L402_SERVICES`: a JSON array (or its text) of services. See the README's
 * configuration reference for every field.
 */
export function parseServices(raw: unknown, env: Record<string, unknown>, errors: FieldErrors): ServiceConfig[] {
  let list = raw;
  if (typeof raw === "string") {
    try {
      list = JSON.parse(raw);
    } catch {
      errors.add("L402_SERVICES", "is not valid JSON");
      return [];
    }
  }
  if (!Array.isArray(list) || list.length === 0) {
    errors.add("L402_SERVICES", "must be a non-empty array of services");
    return [];
  }
  const services = list.flatMap((entry, index) => {
    const service = parseService(entry, `L402_SERVICES[${index}]`, env, errors);
    return service ? [service] : [];
  });
  const names = services.map((service) => service.name);
  const duplicate = names.find((name, index) => names.indexOf(name) !== index);
  if (duplicate !== undefined) errors.add("L402_SERVICES", `service name "${duplicate}" is used twice`);
  return services;
}

function parseService(entry: unknown, field: string, env: Record<string, unknown>, errors: FieldErrors): ServiceConfig | undefined {
  const raw = errors.object(entry, field);
  if (raw === undefined) return errors.add(field, "must be an object");
  const known = ["name", "match", "price_sats", "price_msat", "timeout", "capabilities", "capability_rules", "auth", "free_paths", "origin", "uses", "freebies", "freebies_period", "revocable", "ledger", "match_case"];
  for (const key of Object.keys(raw)) if (!known.includes(key)) errors.add(field, `has an unknown setting ${JSON.stringify(key.slice(0, 40))}`);

  const name = errors.string(raw["name"], `${field}.name`, {
    pattern: { test: isValidServiceName },
    patternHint: "must be letters, digits, '.', '_' or '-' (at most 64)",
  });
  // Case-insensitive unless asked: Express and IIS ignore case, and a match missed gives content away.
  const ignoreCase = !errors.boolean(raw["match_case"], `${field}.match_case`, false);
  const patterns = parseMatch(raw["match"], `${field}.match`, errors, ignoreCase);
  const priceMsat = parsePrice(raw, field, errors);
  const timeoutSeconds = errors.integer(raw["timeout"], `${field}.timeout`, { min: 1, max: 10 * 365 * 86_400, optional: true });
  const capabilities = errors.stringArray(raw["capabilities"], `${field}.capabilities`, CAPABILITY);
  const capabilityRules = parseRules(raw["capability_rules"], `${field}.capability_rules`, capabilities, errors, ignoreCase);
  const auth = errors.boolean(raw["auth"], `${field}.auth`, true);
  const freePaths = (errors.stringArray(raw["free_paths"], `${field}.free_paths`) ?? []).flatMap((path, index) => {
    const pattern = toPattern(path, `${field}.free_paths[${index}]`, errors, { pathOnly: true, ignoreCase });
    return pattern ? [pattern] : [];
  });
  const origin = parseOrigin(raw["origin"], `${field}.origin`, env, errors);
  const uses = errors.integer(raw["uses"], `${field}.uses`, { min: 1, max: 1_000_000, optional: true });
  const freebieCount = errors.integer(raw["freebies"], `${field}.freebies`, { min: 1, max: 1_000_000, optional: true });
  const freebiePeriod = errors.integer(raw["freebies_period"], `${field}.freebies_period`, { min: 60, max: 366 * 86_400, optional: true }) ?? 86_400;
  const freebies = freebieCount === undefined ? undefined : { count: freebieCount, periodSeconds: freebiePeriod };
  if (uses !== undefined && env["L402_METER"] === undefined) errors.add(`${field}.uses`, "needs the L402_METER Durable Object binding (see wrangler.toml)");
  if (freebies !== undefined && env["L402_FREEBIES"] === undefined) errors.add(`${field}.freebies`, "needs the L402_FREEBIES Durable Object binding (see wrangler.toml)");
  const hasLedger = env["L402_LEDGER"] !== undefined;
  const revocable = errors.boolean(raw["revocable"], `${field}.revocable`, false);
  if (revocable && !hasLedger) errors.add(`${field}.revocable`, "needs the L402_LEDGER D1 binding (see wrangler.toml)");
  const ledger = errors.boolean(raw["ledger"], `${field}.ledger`, hasLedger);
  if (ledger && !hasLedger) errors.add(`${field}.ledger`, "needs the L402_LEDGER D1 binding (see wrangler.toml)");
  if (name === undefined || patterns === undefined || priceMsat === undefined || origin === undefined) return undefined;
  return { name, patterns, matchCase: !ignoreCase, priceMsat, timeoutSeconds, capabilities, capabilityRules, auth, freePaths, origin, uses, freebies, revocable, ledger };
}

function parsePrice(raw: Record<string, unknown>, field: string, errors: FieldErrors): bigint | undefined {
  if ((raw["price_sats"] === undefined) === (raw["price_msat"] === undefined)) {
    return errors.add(field, "needs exactly one of price_sats or price_msat");
  }
  const isMsat = raw["price_msat"] !== undefined;
  const value = isMsat ? raw["price_msat"] : raw["price_sats"];
  const text = typeof value === "number" && Number.isSafeInteger(value) ? String(value) : value;
  if (typeof text !== "string" || !/^[1-9]\d{0,17}$/.test(text)) {
    return errors.add(`${field}.${isMsat ? "price_msat" : "price_sats"}`, "must be a positive integer (use auth: false for free services)");
  }
  const msat = BigInt(text) * (isMsat ? 1n : 1000n);
  if (msat > MAX_PRICE_MSAT) return errors.add(`${field}.price`, "is more than 21 million bitcoin");
  return msat;
}

/** `"/path/*"` (any host) or `"host/path/*"`, in URLPattern syntax. */
function parseMatch(value: unknown, field: string, errors: FieldErrors, ignoreCase: boolean): URLPattern[] | undefined {
  const entries = errors.stringArray(value, field);
  if (entries === undefined || entries.length === 0) return errors.add(field, "must list at least one pattern");
  const patterns = entries.map((entry, index) => toPattern(entry, `${field}[${index}]`, errors, { pathOnly: false, ignoreCase }));
  return patterns.every((pattern) => pattern !== undefined) ? (patterns as URLPattern[]) : undefined;
}

function toPattern(entry: string, field: string, errors: FieldErrors, options: { pathOnly: boolean; ignoreCase: boolean }): URLPattern | undefined {
  const slash = entry.indexOf("/");
  if (slash === -1 || (options.pathOnly && slash !== 0)) return errors.add(field, options.pathOnly ? "must be a path starting with /" : "must be /path or host/path");
  const hostname = slash === 0 ? "*" : entry.slice(0, slash).toLowerCase().replace(/\.$/, "");
  try {
    return newPattern({ hostname, pathname: entry.slice(slash) }, { ignoreCase: options.ignoreCase });
  } catch {
    return errors.add(field, "is not a valid URL pattern");
  }
}

function parseRules(value: unknown, field: string, capabilities: readonly string[] | undefined, errors: FieldErrors, ignoreCase: boolean): CapabilityRule[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) return errors.add(field, "must be an array") ?? [];
  return value.flatMap((entry, index) => {
    const at = `${field}[${index}]`;
    const rule = errors.object(entry, at);
    if (rule === undefined) return errors.add(at, "must be an object") ?? [];
    const methods = errors.stringArray(rule["methods"], `${at}.methods`, METHOD);
    const path = toPattern(errors.string(rule["path"], `${at}.path`) ?? "", `${at}.path`, errors, { pathOnly: true, ignoreCase });
    const capability = errors.string(rule["capability"], `${at}.capability`, { pattern: CAPABILITY });
    if (capability !== undefined && capabilities !== undefined && !capabilities.includes(capability)) {
      errors.add(`${at}.capability`, "is not one of the service's capabilities, so no token could ever grant it");
    }
    return path && capability ? [{ methods, path, capability }] : [];
  });
}

function parseOrigin(value: unknown, field: string, env: Record<string, unknown>, errors: FieldErrors): OriginConfig | undefined {
  const raw = errors.object(value, field) ?? {};
  const url = errors.url(raw["url"], `${field}.url`, { optional: true });
  const stripPrefix = errors.string(raw["strip_prefix"], `${field}.strip_prefix`, { optional: true, pattern: /^\/\S*$/, patternHint: "must be a path starting with /" }) ?? "";
  if (stripPrefix !== "" && url === undefined) errors.add(`${field}.strip_prefix`, "needs origin.url");
  const headers = new Map<string, string>();
  for (const [name, spec] of Object.entries(errors.object(raw["headers"], `${field}.headers`) ?? {})) {
    const at = `${field}.headers`;
    const quoted = JSON.stringify(name.slice(0, 40));
    if (!HEADER_NAME.test(name) || RESERVED_HEADERS.has(name.toLowerCase())) {
      errors.add(at, `${quoted} is not a header name the paywall lets a service set`);
      continue;
    }
    const resolved = resolveHeaderValue(spec, at, quoted, env, errors);
    if (resolved !== undefined) headers.set(name, resolved);
  }
  return { url, stripPrefix, headers, forwardAuthorization: errors.boolean(raw["forward_authorization"], `${field}.forward_authorization`, false) };
}

/** A literal string, or `{ "secret": "NAME" }` read from the Worker's secrets. */
function resolveHeaderValue(spec: unknown, field: string, header: string, env: Record<string, unknown>, errors: FieldErrors): string | undefined {
  if (typeof spec === "string") return spec;
  const secret = (spec as { secret?: unknown } | null)?.["secret"];
  if (typeof secret !== "string") return errors.add(field, `${header} must be a string or { "secret": "NAME" }`);
  const value = env[secret];
  if (typeof value !== "string" || value === "") return errors.add(field, `${header}: secret ${JSON.stringify(secret.slice(0, 40))} is not set`);
  return value;
}
