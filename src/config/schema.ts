import { URLPattern } from "#url-pattern";
import * as v from "valibot";
import { isValidServiceName } from "../l402/index.ts";
import { INVOICE_PREFIXES, type Network } from "../lightning/index.ts";

/**
 * The settings schema, in valibot: what a service definition and the Worker's
 * env vars may hold. Every message names what is wrong without quoting the value
 * (it may be a secret); `load.ts` prefixes the field's path.
 */

const NETWORKS = Object.keys(INVOICE_PREFIXES) as [Network, ...Network[]];
/** The node (or wallet) the paywall makes invoices with; each has its own settings (node.ts). */
export const BACKENDS = ["lnd", "nwc", "lnbits", "phoenixd", "cln"] as const;
/** Backends whose invoices name whole sats: LNbits and phoenixd have no msat amount. */
export const WHOLE_SAT_BACKENDS: Partial<Record<(typeof BACKENDS)[number], string>> = { lnbits: "LNbits", phoenixd: "phoenixd" };

/** L402, and the Payment HTTP authentication scheme's lightning charge ("mpp", as the reference proxy names it): what every paywall takes. */
export const BUILT_IN_SCHEME_NAMES: readonly string[] = ["l402", "mpp"];
const MAX_PRICE_MSAT = 10n ** 11n * 21_000_000n;
const CAPABILITY = /^[A-Za-z0-9_.-]{1,64}$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/;
const METHOD = /^[A-Z]{1,16}$/;
/** Headers the paywall itself sets toward the origin; a service may not override them. */
const RESERVED_HEADERS = new Set(["x-l402-token-id", "authorization", "host", "content-length"]);

/** A whole number, as a number or as its text (env vars are text; JSON and TOML give numbers). */
export const wholeNumber = (min: number, max: number) => {
  const message = `must be an integer from ${min} to ${max}`;
  return v.pipe(
    v.union([v.number(message), v.pipe(v.string(message), v.regex(/^\d{1,16}$/, message), v.transform(Number))], message),
    v.check((n) => Number.isSafeInteger(n) && n >= min && n <= max, message),
  );
};

/** true/false, or their text. */
const flag = v.pipe(
  v.union([v.boolean(), v.picklist(["true", "false"])], "must be true or false"),
  v.transform((value) => value === true || value === "true"),
);

/** A price in sats or msat: a positive whole number, or its text. */
const amount = v.pipe(
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
/** `"/path/*"` or, where hosts are allowed, `"host/path/*"`, in URLPattern syntax. */
const pattern = (pathOnly: boolean) =>
  v.pipe(
    v.string("must be a string"),
    v.check((text) => (pathOnly ? text.startsWith("/") : text.includes("/")), pathOnly ? "must be a path starting with /" : "must be /path or host/path"),
    v.check(isPattern, "is not a valid URL pattern"),
  );

/** An http(s) URL without credentials. */
export const httpUrl = v.pipe(
  v.string("must be a string"),
  v.check((text) => URL.canParse(text), "is not a URL"),
  v.transform((text) => new URL(text)),
  v.check((url) => url.protocol === "https:" || url.protocol === "http:", "must be an http or https URL"),
  v.check((url) => url.username === "" && url.password === "", "must not carry credentials (use a secret header)"),
);

const strings = (item: v.GenericSchema<string, string>) => v.array(item, "must be an array of strings");

/** An unknown key: reported at the object (problems.ts), naming the key; a missing one at the key. */
const objectMessage = (issue: v.BaseIssue<unknown>) => {
  if (issue.expected === "never") return `has an unknown setting ${JSON.stringify(String(issue.path?.at(-1)?.key ?? "").slice(0, 40))}`;
  return issue.path?.at(-1)?.origin === "key" ? "is required" : "must be an object";
};

/** Where a service's secret origin headers are read, and which stateful features the host offers. */
export interface SchemaContext {
  readonly secrets: Readonly<Record<string, unknown>>;
  readonly features: FeatureSupport;
  /** Without `match`, a service covers every path (a middleware mounted on its own routes); the template Worker requires it. */
  readonly matchRequired: boolean;
  /** The schemes the paywall takes (paywall/schemes/), that a service may list; default the built-in ones. */
  readonly schemes?: readonly string[];
}

/** The stateful features a host offers, and how to name what is missing when a service needs one. */
export interface FeatureSupport {
  readonly meter: boolean;
  readonly freebies: boolean;
  readonly ledger: boolean;
  readonly revocations: boolean;
  /** Limits node lookups per invoice: what browser payments poll through. */
  readonly lookups: boolean;
  /** Remembers spent Payment-scheme charges until they expire: what makes them single use. */
  readonly spent: boolean;
  /** e.g. "the L402_METER Durable Object binding (see wrangler.toml)" or "a meter port (ports.meter)". */
  readonly describe: (feature: Feature) => string;
}
export type Feature = "meter" | "freebies" | "ledger" | "revocations" | "lookups" | "spent";

/** Origin headers: names the paywall lets a service set; values literal or `{ "secret": "NAME" }`, read from the secrets. */
const originHeaders = (secrets: Readonly<Record<string, unknown>>) =>
  v.pipe(
    v.record(v.string(), v.unknown(), "must be an object"),
    v.rawTransform(({ dataset, addIssue, NEVER }) => {
      const headers = new Map<string, string>();
      for (const [name, spec] of Object.entries(dataset.value)) {
        const quoted = JSON.stringify(name.slice(0, 40));
        if (!HEADER_NAME.test(name) || RESERVED_HEADERS.has(name.toLowerCase())) {
          addIssue({ message: `${quoted} is not a header name the paywall lets a service set` });
        } else if (typeof spec === "string") {
          headers.set(name, spec);
        } else if (typeof spec === "object" && spec !== null && Object.keys(spec).length === 1 && typeof (spec as { secret?: unknown }).secret === "string") {
          const secret = (spec as { secret: string }).secret;
          const value = secrets[secret];
          if (typeof value === "string" && value !== "") headers.set(name, value);
          else addIssue({ message: `${quoted}: secret ${JSON.stringify(secret.slice(0, 40))} is not set` });
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

/** One service, as `L402_SERVICES` holds it and as `l402Paywall()` takes it. */
const serviceSchema = (context: SchemaContext) => v.pipe(
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
      auth: v.optional(flag),
      free_paths: v.optional(strings(pattern(true))),
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
      // Gone since the cookies became __Host- cookies (Path=/ by definition): a config still naming it is told why.
      cookie_path: v.optional(v.custom<never>(() => false, COOKIE_PATH_GONE)),
    },
    objectMessage,
  ),
  // A free service (auth: false) charges nothing, so it may go without a price.
  v.check((s) => (s.price_sats === undefined && s.price_msat === undefined ? s.auth === false : s.price_sats === undefined || s.price_msat === undefined), "needs exactly one of price_sats or price_msat"),
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
    if (service.freebies !== undefined && !features.freebies) at(`needs ${features.describe("freebies")}`, "freebies");
    if (service.revocable === true && !features.revocations) at(`needs ${features.describe("revocations")}`, "revocable");
    if (service.ledger === true && !features.ledger) at(`needs ${features.describe("ledger")}`, "ledger");
    if (service.browser === true && !features.lookups) at(`needs ${features.describe("lookups")}`, "browser");
    const schemes = service.schemes ?? ["l402"];
    if (service.browser === true && !schemes.includes("l402")) at('needs the "l402" scheme (the browser\'s cookie holds an L402 credential)', "browser");
    if (schemes.includes("mpp")) {
      // The lightning charge request names whole sats; a metered service's uses bound its credentials, others need the spent set.
      if (service.price_msat !== undefined && service.price_msat % 1000n !== 0n) at('must be whole sats for the "mpp" scheme (its lightning charge prices in sats)', "price_msat");
      if (service.uses === undefined && !features.spent) at(`needs ${features.describe("spent")} (each Payment credential is single use)`, "schemes");
    }
  }),
);

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

/** A valibot issue path to a value inside `root`, for issues a check raises below the object it checks. */
function pathTo(root: unknown, keys: readonly (string | number)[]): [v.IssuePathItem, ...v.IssuePathItem[]] {
  const items: v.IssuePathItem[] = [];
  let input = root as Record<string | number, unknown>;
  for (const key of keys) {
    const value = input?.[key];
    items.push(typeof key === "number" ? { type: "array", origin: "value", input: input as unknown as unknown[], key, value } : { type: "object", origin: "value", input, key, value });
    input = value as Record<string | number, unknown>;
  }
  return items as [v.IssuePathItem, ...v.IssuePathItem[]];
}

type ServiceSchema = ReturnType<typeof serviceSchema>;
export type ServiceDefinition = v.InferInput<ServiceSchema>;
export type ParsedService = v.InferOutput<ServiceSchema>;

export const servicesSchema = (context: SchemaContext) => v.pipe(
  v.array(serviceSchema(context), "must be a non-empty array of services"),
  v.minLength(1, "must be a non-empty array of services"),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const names = dataset.value.map((service) => service.name);
    const duplicate = names.find((name, index) => names.indexOf(name) !== index);
    if (duplicate !== undefined) addIssue({ message: `service name "${duplicate}" is used twice` });
  }),
);

/** An OpenAPI 3 document (an object, or its JSON text) for discovery to annotate. */
const openApiBase = v.pipe(
  v.union([v.string(), v.record(v.string(), v.unknown())], "must be an OpenAPI document (an object, or its JSON text)"),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    let document: unknown = dataset.value;
    if (typeof document === "string") {
      try {
        document = JSON.parse(document);
      } catch {
        addIssue({ message: "is not valid JSON" });
        return NEVER;
      }
    }
    const shape = document as { openapi?: unknown; info?: unknown; paths?: unknown };
    const isObject = (value: unknown) => typeof value === "object" && value !== null && !Array.isArray(value);
    if (!isObject(shape) || typeof shape.openapi !== "string" || !/^3\./.test(shape.openapi) || !isObject(shape.info) || (shape.paths !== undefined && !isObject(shape.paths))) {
      addIssue({ message: "must be an OpenAPI 3 document (openapi, info, paths)" });
      return NEVER;
    }
    return document as { openapi: string; info: Record<string, unknown>; paths?: Record<string, Record<string, unknown>> };
  }),
);

const FIAT_RATE_MESSAGE = 'must be a currency code and what one bitcoin costs in it, e.g. "USD:95000"';

/** What 1 BTC costs in a currency, for the 402 page's estimate of a price: `"USD:95000"`. */
const fiatRate = v.pipe(
  v.string(FIAT_RATE_MESSAGE),
  v.regex(/^[A-Z]{3}:\d{1,12}(?:\.\d{1,8})?$/, FIAT_RATE_MESSAGE),
  v.transform((text) => ({ currency: text.slice(0, 3), perBitcoin: Number(text.slice(4)) })),
  v.check((rate) => rate.perBitcoin > 0, FIAT_RATE_MESSAGE),
);

/** The same rule for the middleware's `fiatRate` option, given as an object: what is wrong, or undefined. */
export function fiatRateProblem(rate: { readonly currency: unknown; readonly perBitcoin: unknown }): string | undefined {
  const valid = typeof rate.currency === "string" && /^[A-Z]{3}$/.test(rate.currency) && typeof rate.perBitcoin === "number" && Number.isFinite(rate.perBitcoin) && rate.perBitcoin > 0 && rate.perBitcoin < 1e12;
  return valid ? undefined : 'must be { currency: an ISO 4217 code such as "USD", perBitcoin: what one bitcoin costs in it, a positive number }';
}

/** Which node, on which chain, how long to wait for it, and when to stop asking it: the template Worker's settings, and what l402Paywall() reads from an env. */
export const NODE_SETTINGS = {
  network: v.picklist(NETWORKS, "must be mainnet, testnet, signet or regtest"),
  backend: v.optional(v.picklist(BACKENDS, `must be one of ${BACKENDS.join(", ")}`), "lnd"),
  timeoutMs: v.optional(wholeNumber(100, 30_000)),
  breakerThreshold: v.optional(wholeNumber(1, 1000), 5),
  breakerCooldownSeconds: v.optional(wholeNumber(1, 3600), 30),
} as const;

/** The Worker's own settings (vars and secrets), beside `L402_SERVICES` and `L402_MASTER_KEYS`. */
export const settingsSchema = v.object({
  L402_NETWORK: v.optional(NODE_SETTINGS.network, "mainnet"),
  L402_UNMATCHED: v.optional(v.picklist(["pass", "404"], 'must be "pass" or "404"'), "404"),
  L402_BACKEND: NODE_SETTINGS.backend,
  L402_NODE_TIMEOUT_MS: NODE_SETTINGS.timeoutMs,
  L402_LOCATION: v.optional(v.pipe(v.string(), v.regex(/^[\x21-\x7e]{1,64}$/, "has an invalid format")), "l402"),
  L402_INVOICE_EXPIRY: v.optional(wholeNumber(60, 86_400), 600),
  L402_MEMO: v.optional(v.pipe(v.string(), v.regex(/^[^\x00-\x1f]{0,512}$/, "has an invalid format")), "{service} API access"),
  L402_FIAT_RATE: v.optional(fiatRate),
  L402_ORIGIN_AUTH_HEADER: v.optional(v.pipe(v.string(), v.regex(HEADER_NAME, "has an invalid format")), "X-L402-Origin-Auth"),
  L402_ORIGIN_SECRET: v.optional(v.string("must be a string")),
  L402_CHALLENGE_CACHE_SECONDS: v.optional(wholeNumber(0, 300), 30),
  L402_MINT_RETRY_AFTER: v.optional(wholeNumber(1, 3600), 60),
  L402_BREAKER_THRESHOLD: NODE_SETTINGS.breakerThreshold,
  L402_BREAKER_COOLDOWN: NODE_SETTINGS.breakerCooldownSeconds,
  L402_ADMIN_PATH: v.optional(v.pipe(v.string(), v.regex(/^\/[\w./-]{1,100}$/, "must be a path starting with /"), v.transform((path) => path.replace(/\/$/, ""))), "/.well-known/l402/admin"),
  L402_ADMIN_TOKEN: v.optional(v.pipe(v.string(), v.regex(/^\S{32,}$/, "must be at least 32 characters (e.g. npx l402-edge keygen)"))),
  L402_REVOCATION_TTL: v.optional(wholeNumber(5, 3600), 30),
  L402_DISCOVERY: v.optional(v.picklist(["on", "off"], 'must be "on" or "off"'), "on"),
  L402_SERVICE_NAME: v.optional(v.pipe(v.string("must be a string"), v.regex(/^[^\x00-\x1f\x7f]{1,100}$/, "must be 1 to 100 characters, without control characters"))),
  L402_SERVICE_DESCRIPTION: v.optional(v.pipe(v.string("must be a string"), v.regex(/^[^\x00-\x1f\x7f]{1,500}$/, "must be 1 to 500 characters, without control characters"))),
  L402_OPENAPI: v.optional(openApiBase),
});
