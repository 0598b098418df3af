import * as v from "valibot";
import { isValidServiceName } from "../l402/index.ts";
import { mcpTool, patternTakesPath } from "./mcp-tool-schema.ts";
import { wholeNumber } from "./paywall-settings.ts";
import { balance, chargeOn, costHeader, priceFunction, priceRule, pricer, streamMeter } from "./pricing-schema.ts";
import { amount, CAPABILITY, flag, HEADER_NAME, httpUrl, MAX_PRICE_MSAT, METHOD, objectMessage, pathTo, pattern, recordOf, RESERVED_HEADERS, strings } from "./schema-pieces.ts";

export { HEADER_NAME, httpUrl };

/**
 * The service schema, in valibot: what a service definition may hold, as
 * `l402Paywall()` takes it and the template Worker's `L402_SERVICES` lists it.
 * Every message names what is wrong without quoting the value (it may be a
 * secret); problems.ts prefixes the field's path.
 */

/** L402, the Payment HTTP authentication scheme's lightning charge ("mpp", as the reference proxy names it), and x402's Lightning entry: what every paywall takes. */
export const BUILT_IN_SCHEME_NAMES: readonly string[] = ["l402", "mpp", "x402"];
/** A service's modes (types.ts `ServiceMode`): enforcing payment, shadow (never blocks), paused (sells nothing new). */
export const SERVICE_MODES = ["enforce", "shadow", "paused"] as const;
/** Where a service's secret origin headers are read, and which stateful features the host offers. */
export interface SchemaContext {
  readonly secrets: Readonly<Record<string, unknown>>;
  readonly features: FeatureSupport;
  /** Without `match`, a service covers every path (a middleware mounted on its own routes); the template Worker requires it. */
  readonly matchRequired: boolean;
  /** Compiled to be described (discovery), never run: the bindings a service names are not looked up. */
  readonly describing?: boolean;
  /** The schemes the paywall takes (paywall/schemes/), that a service may list; default the built-in ones. */
  readonly schemes?: readonly string[];
  /** The host serves a service's `mcp` tool (the template Worker's MCP endpoint); elsewhere one is refused, not ignored. */
  readonly servesMcp?: boolean;
}

/** The stateful features a host offers, and how to name what is missing when a service needs one. */
export interface FeatureSupport {
  readonly meter: boolean;
  /** The meter gives a use back (a `uses` service's `charge_on`); a meter port of one's own may not (ports.meter.giveBack): default true. */
  readonly meterGivesBack?: boolean;
  readonly freebies: boolean;
  readonly ledger: boolean;
  readonly revocations: boolean;
  /** Limits node lookups per invoice: what browser payments poll through. */
  readonly lookups: boolean;
  /** Remembers spent Payment-scheme charges until they expire: what makes them single use. */
  readonly spent: boolean;
  /** Keeps prepaid balances, debited exactly under concurrency. */
  readonly balances: boolean;
  /** e.g. "the L402_METER Durable Object binding (see wrangler.toml)" or "a meter port (ports.meter)". */
  readonly describe: (feature: Feature) => string;
}
export type Feature = "meter" | "freebies" | "ledger" | "revocations" | "lookups" | "spent" | "balances";

/** A header value fetch() sends as written: no line breaks or NUL (Headers would throw at every forward), no non-ASCII. */
const HEADER_VALUE = /^[\t\x20-\x7e]{0,8192}$/;
/** As Headers trims a value (a secret stored with its trailing newline still works). */
const trimmed = (value: string) => value.replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, "");
const HEADER_VALUE_RULE = "must be printable ASCII (a header's value), at most 8192 characters";

/** Origin headers: names the paywall lets a service set; values literal or `{ "secret": "NAME" }`, read from the secrets. */
const originHeaders = (secrets: Readonly<Record<string, unknown>>) =>
  v.pipe(
    recordOf(v.string(), v.unknown(), "must be an object"),
    v.rawTransform(({ dataset, addIssue, NEVER }) => {
      const headers = new Map<string, string>();
      for (const [name, spec] of Object.entries(dataset.value)) {
        const quoted = JSON.stringify(name.slice(0, 40));
        if (!HEADER_NAME.test(name) || RESERVED_HEADERS.has(name.toLowerCase())) {
          addIssue({ message: `${quoted} is not a header name the paywall lets a service set` });
        } else if (typeof spec === "string") {
          if (HEADER_VALUE.test(trimmed(spec))) headers.set(name, trimmed(spec));
          else addIssue({ message: `${quoted}: ${HEADER_VALUE_RULE}` });
        } else if (typeof spec === "object" && spec !== null && Object.keys(spec).length === 1 && typeof (spec as { secret?: unknown }).secret === "string") {
          const secret = (spec as { secret: string }).secret;
          const value = secrets[secret];
          if (typeof value !== "string" || value === "") addIssue({ message: `${quoted}: secret ${JSON.stringify(secret.slice(0, 40))} is not set` });
          else if (!HEADER_VALUE.test(trimmed(value))) addIssue({ message: `${quoted}: secret ${JSON.stringify(secret.slice(0, 40))} ${HEADER_VALUE_RULE}` });
          else headers.set(name, trimmed(value));
        } else {
          addIssue({ message: `${quoted} must be a string or { "secret": "NAME" }` });
        }
      }
      return dataset.issues === undefined ? (headers as ReadonlyMap<string, string>) : NEVER;
    }),
  );

const origin = (secrets: Readonly<Record<string, unknown>>) =>
  v.pipe(
    v.strictObject(
      {
        url: v.optional(httpUrl),
        strip_prefix: v.optional(v.pipe(v.string("must be a string"), v.regex(/^\/\S*$/, "must be a path starting with /"))),
        headers: v.optional(originHeaders(secrets)),
        forward_authorization: v.optional(flag),
        headers_timeout_seconds: v.optional(wholeNumber(1, 3600)),
      },
      objectMessage,
    ),
    v.forward(
      v.check((o) => o.strip_prefix === undefined || o.url !== undefined, "needs origin.url"),
      ["strip_prefix"],
    ),
  );

const capabilityRule = v.strictObject(
  {
    methods: v.optional(strings(v.pipe(v.string(), v.regex(METHOD, "has an invalid format")))),
    path: pattern(true),
    capability: v.pipe(v.string("is required"), v.regex(CAPABILITY, "has an invalid format")),
  },
  objectMessage,
);

/** The schemes a service offers: one or more of those the paywall takes, each once. */
const schemeList = (known: readonly string[]) => {
  const message = `must list ${known.map((name) => JSON.stringify(name)).join(", ")} or ${known.length === 2 ? "both" : "several of them"}`;
  return v.pipe(
    v.array(v.pipe(v.string(message), v.check((name) => known.includes(name), message)), message),
    v.minLength(1, message),
    v.check((list) => new Set(list).size === list.length, "lists a scheme twice"),
  );
};

const match = v.pipe(strings(pattern(false)), v.minLength(1, "must list at least one pattern"));

const COOKIE_PATH_GONE = "is no longer a setting: the cookies are host-wide __Host- cookies named per service (__Host-l402-token-<name>, Path=/); remove it";

/** A service's settings, each on its own (serviceSchema checks them together). */
const serviceFields = (context: SchemaContext) =>
  v.strictObject(
    {
      name: v.pipe(v.string("is required"), v.check(isValidServiceName, "must be letters, digits, '.', '_' or '-' (at most 64)")),
      match: v.optional(match),
      match_case: v.optional(flag),
      price_sats: v.optional(amount),
      price_msat: v.optional(amount),
      timeout: v.optional(wholeNumber(1, 10 * 365 * 86_400)),
      capabilities: v.optional(strings(v.pipe(v.string(), v.regex(CAPABILITY, "has an invalid format")))),
      capability_rules: v.optional(v.array(capabilityRule, "must be an array")),
      method_override: v.optional(flag),
      auth: v.optional(flag),
      free_paths: v.optional(strings(pattern(true))),
      mode: v.optional(v.picklist(SERVICE_MODES, 'must be "enforce", "shadow" or "paused"')),
      origin: v.optional(origin(context.secrets)),
      uses: v.optional(wholeNumber(1, 1_000_000)),
      freebies: v.optional(wholeNumber(1, 1_000_000)),
      freebies_period: v.optional(wholeNumber(60, 366 * 86_400)),
      revocable: v.optional(flag),
      ledger: v.optional(flag),
      browser: v.optional(flag),
      schemes: v.optional(schemeList(context.schemes ?? BUILT_IN_SCHEME_NAMES)),
      title: v.optional(v.pipe(v.string("must be a string"), v.regex(/^[^\x00-\x1f\x7f]{1,80}$/, "must be 1 to 80 characters, without control characters"))),
      description: v.optional(v.pipe(v.string("must be a string"), v.regex(/^[^\x00-\x1f\x7f]{1,300}$/, "must be 1 to 300 characters, without control characters"))),
      price_rules: v.optional(v.pipe(v.array(priceRule, "must be an array"), v.maxLength(64, "lists more than 64 rules"))),
      pricer: v.optional(pricer),
      price: v.optional(priceFunction),
      bind_request: v.optional(flag),
      balance: v.optional(balance),
      cost_header: v.optional(costHeader),
      max_cost_sats: v.optional(amount),
      charge_on: v.optional(chargeOn),
      meter: v.optional(streamMeter),
      // A build that leaves MCP out (worker/build.ts) carries none of its schema: any tool there is refused, as its feature check says.
      mcp: v.optional(globalThis.L402_BUILD_MCP === false ? (v.custom<never>(() => false, MCP_LEFT_OUT) as unknown as typeof mcpTool) : mcpTool),
      // Gone since the cookies became __Host- cookies (Path=/ by definition): a config still naming it is told why.
      cookie_path: v.optional(v.custom<never>(() => false, COOKIE_PATH_GONE)),
    },
    objectMessage,
  );

/** One service, as `L402_SERVICES` holds it and as `l402Paywall()` takes it. */
const serviceSchema = (context: SchemaContext) => v.pipe(
  serviceFields(context),
  // A free service (auth: false) charges nothing, so it may go without a price; a pricer or the app's function prices every request.
  v.check((s) => (s.price_sats === undefined && s.price_msat === undefined ? s.auth === false || s.pricer !== undefined || s.price !== undefined : s.price_sats === undefined || s.price_msat === undefined), "needs exactly one of price_sats or price_msat"),
  v.forward(
    v.check((s) => ((s.price_sats ?? 0n) * 1000n + (s.price_msat ?? 0n)) <= MAX_PRICE_MSAT, "is more than 21 million bitcoin"),
    ["price_sats"],
  ),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const service = dataset.value;
    const at = (message: string, ...keys: (string | number)[]) => addIssue({ message, path: pathTo(service, keys) });
    if (context.matchRequired && service.match === undefined) at("must list at least one pattern", "match");
    for (const [index, rule] of (service.capability_rules ?? []).entries()) {
      if (service.capabilities !== undefined && !service.capabilities.includes(rule.capability)) {
        at("is not one of the service's capabilities, so no token could ever grant it", "capability_rules", index, "capability");
      }
    }
    // A service using a stateful feature the host lacks is a configuration error, not a silent downgrade.
    const { features } = context;
    if (service.uses !== undefined && !features.meter) at(`needs ${features.describe("meter")}`, "uses");
    else if (service.uses !== undefined && features.meterGivesBack === false && service.charge_on !== undefined && service.charge_on !== "always") {
      at(`needs ${features.describe("meter")} that gives a use back (giveBack), to keep none for an answer it does not charge: add it, or set "always"`, "charge_on");
    }
    if (service.freebies !== undefined && !features.freebies) at(`needs ${features.describe("freebies")}`, "freebies");
    if (service.revocable === true && !features.revocations) at(`needs ${features.describe("revocations")}`, "revocable");
    if (service.ledger === true && !features.ledger) at(`needs ${features.describe("ledger")}`, "ledger");
    if (service.browser === true && !features.lookups) at(`needs ${features.describe("lookups")}`, "browser");
    const schemes = service.schemes ?? ["l402"];
    if (service.browser === true && !schemes.includes("l402")) at('needs the "l402" scheme (the browser\'s cookie holds an L402 credential)', "browser");
    if (schemes.includes("mpp")) {
      // The lightning charge request names whole sats; a metered service's uses bound its credentials, others need the spent set.
      if (service.price_msat !== undefined && service.price_msat % 1000n !== 0n) at('must be whole sats for the "mpp" scheme (its lightning charge prices in sats)', "price_msat");
      for (const [index, rule] of (service.price_rules ?? []).entries()) {
        if (rule.price_msat !== undefined && rule.price_msat % 1000n !== 0n) at('must be whole sats for the "mpp" scheme (its lightning charge prices in sats)', "price_rules", index, "price_msat");
      }
      if (service.uses === undefined && !features.spent) at(`needs ${features.describe("spent")} (each Payment credential is single use)`, "schemes");
    }
    if (schemes.includes("x402")) {
      // An x402 payment may name its invoice only: the node is asked whether it was paid, within the lookup limit.
      if (!features.lookups) at(`needs ${features.describe("lookups")} (an x402 payment may name its invoice only, and the node is asked)`, "schemes");
      if (service.uses === undefined && !features.spent) at(`needs ${features.describe("spent")} (each x402 payment is single use)`, "schemes");
    }
    usageProblems(service, context, at);
    if (globalThis.L402_BUILD_MCP !== false && service.mcp !== undefined) {
      if (context.servesMcp !== true) at("is served by the template Worker's MCP endpoint, not here", "mcp");
      // A tool call carries its credential as Authorization (_meta["l402/credential"]): x402's PAYMENT-SIGNATURE has no way there.
      else if (!schemes.includes("l402") && !schemes.includes("mpp")) at('needs "l402" or "mpp" among the schemes: a tool call cannot carry an x402 payment', "mcp");
      else if (!(service.match ?? ["/*"]).some((text) => patternTakesPath(text, service.mcp?.path ?? "", !(service.match_case ?? false)))) at("is not a path this service matches", "mcp", "path");
    }
  }),
);

type Service = v.InferOutput<ReturnType<typeof serviceFields>>;

/** What selling by usage needs of the rest of a service (README, "Selling by usage"). */
function usageProblems(service: Service, context: SchemaContext, at: (message: string, ...keys: (string | number)[]) => void): void {
  if (service.pricer !== undefined && service.price !== undefined) at("cannot be given with a price function: which one prices a request?", "pricer");
  const binding = service.pricer?.binding;
  if (binding !== undefined && context.describing !== true && typeof (context.secrets[binding] as { fetch?: unknown } | undefined)?.fetch !== "function") at("is not a Service Binding of this Worker", "pricer", "binding");
  const afterwards = (["cost_header", "max_cost_sats", "charge_on", "meter"] as const).filter((key) => service[key] !== undefined);
  if (service.balance === undefined) {
    for (const key of afterwards) {
      if (key !== "charge_on") at("needs balance (a cost is debited from a prepaid balance)", key);
      else if (service.uses === undefined) at("needs balance or uses (which answers are charged: a cost debited, a use kept)", key);
    }
    return;
  }
  if (!context.features.balances) at(`needs ${context.features.describe("balances")}`, "balance");
  // A balance is debited request by request: a Payment charge or an x402 payment buys one request, uses count requests, a bound token makes one.
  if ((service.schemes ?? ["l402"]).some((scheme) => scheme === "mpp" || scheme === "x402")) at('needs the schemes to be ["l402"] (a Payment charge or an x402 payment buys one request, not a balance)', "balance");
  if (service.uses !== undefined) at("cannot be given with uses: a balance is debited by cost, not counted", "balance");
  if (service.bind_request === true) at("cannot be given with bind_request: a balance token makes many requests", "balance");
  if (service.cost_header !== undefined && service.meter !== undefined) at("cannot be given with meter: the stream's cost is counted as it passes", "cost_header");
  if (service.browser === true) at("cannot be given with balance: the 402 page sells access, not credit or its top-ups", "browser");
  if (service.max_cost_sats !== undefined && service.max_cost_sats * 1000n > MAX_PRICE_MSAT) at("is more than 21 million bitcoin", "max_cost_sats");
}

/**
 * The literal start of a pattern's path, up to its last "/" before anything
 * that varies (`*`, `:name`, groups, escapes): `/articles/*` → `/articles`,
 * `host/a/:id` → `/a`, `/exact` → `/exact`.
 */
export function literalPath(pattern: string): string {
  const path = pattern.slice(pattern.indexOf("/"));
  const varying = path.search(/[*:({?+\\]/);
  if (varying === -1) return path.replace(/(.)\/$/, "$1");
  return path.slice(0, path.lastIndexOf("/", varying)) || "/";
}

/** Whether `path` is `base` or lies below it, segment by segment (as a cookie's `Path` covers paths, RFC 6265 §5.1.4). */
export function pathCovers(base: string, path: string): boolean {
  const trimmed = base.replace(/(.)\/$/, "$1");
  return trimmed === "/" || path === trimmed || path.startsWith(`${trimmed}/`);
}

const MCP_LEFT_OUT = "this build of the Worker leaves the MCP endpoint out (globalThis.L402_BUILD_MCP = false): remove that define";

type ServiceSchema = ReturnType<typeof serviceSchema>;
/** A service as written: its lists and objects read-only, so that a definition written `as const` is taken. */
export type ServiceDefinition = Written<v.InferInput<ServiceSchema>>;
type Written<T> = T extends (...args: never[]) => unknown ? T : T extends readonly (infer U)[] ? readonly Written<U>[] : T extends object ? { readonly [K in keyof T]: Written<T[K]> } : T;
export type ParsedService = v.InferOutput<ServiceSchema>;

export const servicesSchema = (context: SchemaContext) => v.pipe(
  v.array(serviceSchema(context), "must be a non-empty array of services"),
  v.minLength(1, "must be a non-empty array of services"),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const names = dataset.value.map((service) => service.name);
    const duplicate = names.find((name, index) => names.indexOf(name) !== index);
    if (duplicate !== undefined) addIssue({ message: `service name "${duplicate}" is used twice` });
    if (globalThis.L402_BUILD_MCP !== false) mcpToolProblems(dataset.value, addIssue);
  }),
);

/**
 * Tools across services: each name once, each path the paywall gives to the
 * tool's own service (the first match wins) on any host. An earlier service
 * naming a host takes the path on that host only: the endpoint checks it call
 * by call.
 */
function mcpToolProblems(services: readonly ParsedService[], addIssue: (issue: { message: string; path?: [v.IssuePathItem, ...v.IssuePathItem[]] }) => void): void {
  const toolNames: string[] = [];
  for (const [index, service] of services.entries()) {
    const tool = service.mcp;
    if (tool === undefined) continue;
    if (toolNames.includes(tool.tool)) addIssue({ message: `MCP tool name "${tool.tool}" is used twice` });
    toolNames.push(tool.tool);
    const earlier = services.slice(0, index).find((other) => (other.match ?? ["/*"]).some((text) => text.startsWith("/") && patternTakesPath(text, tool.path, !(other.match_case ?? false))));
    if (earlier !== undefined) addIssue({ message: `is matched first by service "${earlier.name}", so a call would be sold as that service`, path: pathTo(services, [index, "mcp", "path"]) });
  }
}
