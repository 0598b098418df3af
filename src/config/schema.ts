import { URLPattern } from "#url-pattern";
import * as v from "valibot";
import { isValidServiceName } from "../l402/index.ts";
import { wholeNumber } from "./paywall-settings.ts";

/**
 * The service schema, in valibot: what a service definition may hold, as
 * `l402Paywall()` takes it and the template Worker's `L402_SERVICES` lists it.
 * Every message names what is wrong without quoting the value (it may be a
 * secret); problems.ts prefixes the field's path.
 */

/** L402, and the Payment HTTP authentication scheme's lightning charge ("mpp", as the reference proxy names it): what every paywall takes. */
export const BUILT_IN_SCHEME_NAMES: readonly string[] = ["l402", "mpp"];
const MAX_PRICE_MSAT = 10n ** 11n * 21_000_000n;
const CAPABILITY = /^[A-Za-z0-9_.-]{1,64}$/;
/** A header name (RFC 9110 token), at most 128 characters. */
export const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/;
const METHOD = /^[A-Z]{1,16}$/;
/** Headers the paywall itself sets toward the origin; a service may not override them. */
const RESERVED_HEADERS = new Set(["x-l402-token-id", "authorization", "host", "content-length"]);

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
      method_override: v.optional(flag),
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
