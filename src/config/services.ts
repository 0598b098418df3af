import { URLPattern } from "#url-pattern";
import * as v from "valibot";
import { isValidServiceName } from "../l402/index.ts";
import { problemsOf, settingsFailure, type SettingsResult } from "./problems.ts";
import { servicesSchema, type ParsedService, type SchemaContext } from "./schema.ts";
import { withLiteralTest } from "./literal-pattern.ts";
import { withUpperCaseEscapes } from "./schema-pieces.ts";
import { patternReading } from "../unicode-reading.ts";
import { canonicalUrl } from "../canonical-url.ts";
import type { ServiceConfig, ServiceMode, UrlPattern } from "./types.ts";
import { compileBalance, compilePricing } from "./usage-config.ts";

export interface CompileContext extends SchemaContext {
  /** The name the services go by in messages (`L402_SERVICES`, `services`). */
  readonly field: string;
}

/**
 * Validates service definitions (the schema in schema.ts) and compiles them into
 * what the paywall runs on: URL patterns, prices in msat, origin headers with
 * their secrets. Every problem is reported, by field, never quoting a value.
 */
export function compileServices(definitions: unknown, context: CompileContext): SettingsResult<ServiceConfig[]> {
  let list = definitions;
  if (typeof definitions === "string") {
    try {
      list = JSON.parse(definitions);
    } catch {
      return settingsFailure([`${context.field}: is not valid JSON`]);
    }
  }
  const parsed = v.safeParse(servicesSchema(context), list, { abortEarly: false });
  if (!parsed.success) return settingsFailure(problemsOf(parsed.issues, context.field, serviceNames(list)));
  return { ok: true, value: parsed.output.map((service) => compile(service, context)) };
}

/**
 * Each service's name, for messages, where it identifies the service: valid and
 * used once. Otherwise (the name is what is wrong) the service goes by its index.
 */
function serviceNames(list: unknown): (index: number) => string | undefined {
  const names = Array.isArray(list) ? list.map((item: unknown) => (typeof item === "object" && item !== null ? (item as { name?: unknown }).name : undefined)) : [];
  return (index) => {
    const name = names[index];
    return typeof name === "string" && isValidServiceName(name) && names.indexOf(name) === names.lastIndexOf(name) ? name : undefined;
  };
}


/**
 * Where services sold (auth on) invoice a price in part of a sat (`"name".price_msat`,
 * `"name".price_rules[i].price_msat`): a node whose invoices take whole sats
 * (LNbits, phoenixd) would refuse every invoice at a service's own price, and a
 * rule's would be rounded up unannounced, so either is a configuration error
 * there. A balance service invoices its credit offers (whole sats), never its prices.
 */
export const pricesInPartSats = (services: readonly ServiceConfig[]): string[] =>
  services
    .filter((service) => service.auth && service.balance === undefined)
    .flatMap((service) => [
      ...(service.priceMsat % 1000n !== 0n ? [`"${service.name}".price_msat`] : []),
      ...service.pricing.rules.flatMap((rule, index) => (rule.priceMsat % 1000n !== 0n ? [`"${service.name}".price_rules[${index}].price_msat`] : [])),
    ]);

/**
 * The services, each in shadow when a paywall-wide mode says so (`L402_MODE`,
 * the middleware's `mode`) but a paused one: shadow lets every request
 * through, and a service paused must not be opened free by it.
 */
export const inMode = (services: readonly ServiceConfig[], mode: ServiceMode | undefined): readonly ServiceConfig[] =>
  mode === "shadow" ? services.map((service) => (service.mode === "paused" ? service : { ...service, mode: "shadow" })) : services;

function compile(service: ParsedService, context: CompileContext): ServiceConfig {
  // Case-insensitive unless asked: Express and IIS ignore case, and a match missed gives content away.
  const ignoreCase = !(service.match_case ?? false);
  const toPattern = (text: string) => newPattern(text, ignoreCase);
  return {
    name: service.name,
    patterns: (service.match ?? ["/*"]).map(toPattern),
    matchCase: !ignoreCase,
    priceMsat: service.price_msat ?? (service.price_sats ?? 0n) * 1000n,
    timeoutSeconds: service.timeout,
    capabilities: service.capabilities,
    methodOverride: service.method_override ?? true,
    capabilityRules: (service.capability_rules ?? []).map((rule) => ({ methods: rule.methods, path: toPattern(rule.path), capability: rule.capability })),
    auth: service.auth ?? true,
    // Always matching case: a free path over-matched gives away what a case-sensitive origin serves at another spelling.
    freePaths: (service.free_paths ?? []).map((text) => newPattern(text, false, false)),
    mode: service.mode ?? "enforce",
    origin: {
      url: service.origin?.url,
      stripPrefix: canonicalPrefix(service.origin?.strip_prefix ?? ""),
      headers: service.origin?.headers ?? new Map(),
      forwardAuthorization: service.origin?.forward_authorization ?? false,
      headersTimeoutMs: service.origin?.headers_timeout_seconds === undefined ? undefined : service.origin.headers_timeout_seconds * 1000,
    },
    uses: service.uses,
    // A meter that cannot give a use back keeps one for every answer: so it is said (discovery, the answer's count).
    usesChargeOn: service.charge_on ?? (context.features.meterGivesBack === false ? "always" : "below_500"),
    freebies: service.freebies === undefined ? undefined : { count: service.freebies, periodSeconds: service.freebies_period ?? 86_400 },
    revocable: service.revocable ?? false,
    ledger: service.ledger ?? context.features.ledger,
    schemes: service.schemes ?? ["l402"],
    title: service.title,
    description: service.description,
    browser: service.browser ?? false,
    pricing: compilePricing(service, toPattern, context.secrets, ignoreCase),
    balance: compileBalance(service),
    mcp:
      service.mcp === undefined
        ? undefined
        : { name: service.mcp.tool, description: service.mcp.description ?? service.description, inputSchema: service.mcp.input_schema ?? { type: "object" }, method: service.mcp.method ?? "GET", path: service.mcp.path },
  };
}

/**
 * A `strip_prefix` as the paths it is compared with are written (canonical-url.ts:
 * `/café` is `/caf%C3%A9`, `/%61pi` is `/api`), read as a request's path is; one
 * that is more than a path (a query, a fragment) or has no single form, as
 * written: it then strips nothing.
 */
function canonicalPrefix(prefix: string): string {
  if (prefix === "") return prefix;
  let url: URL;
  try {
    url = new URL(`https://prefix.invalid${prefix}`);
  } catch {
    return prefix;
  }
  if (url.search !== "" || url.hash !== "" || prefix.includes("?") || prefix.includes("#")) return prefix;
  const canonical = canonicalUrl(url);
  return canonical.ok ? canonical.value.pathname : prefix;
}

/**
 * `"/path/*"` (any host) or `"host/path/*"`; the schema has checked it compiles.
 * Its path is also matched as a path is read (unicode-reading.ts: `/CAFÉ/*`
 * takes `/café/x`, ignoring case, and a decomposed `é`): a second pattern, where
 * that reads otherwise. The pattern keeps the operator's spelling (discovery,
 * the page's respelling); a free path is matched as written alone (`read` false).
 */
function newPattern(text: string, ignoreCase: boolean, read = true): UrlPattern {
  const slash = text.indexOf("/");
  const hostname = slash === 0 ? "*" : text.slice(0, slash).toLowerCase().replace(/\.$/, "");
  const compile = (path: string) => withLiteralTest(new URLPattern({ hostname, pathname: withUpperCaseEscapes(path) }, { ignoreCase }), ignoreCase);
  const path = text.slice(slash);
  const written = compile(path);
  const readPath = read ? patternReading(path, ignoreCase) : path;
  if (readPath === path) return written;
  const asRead = compile(readPath);
  return {
    hostname: written.hostname,
    pathname: written.pathname,
    test: (input) => written.test(input) || asRead.test(input),
    exec: (input) => written.exec(input) ?? asRead.exec(input),
  };
}
