import * as v from "valibot";
import {
  challengeCacheSeconds,
  compileServices,
  inMode,
  pricesInPartSats,
  fiatRate,
  invoiceExpirySeconds,
  invoiceMemo,
  macaroonLocation,
  mintRetryAfterSeconds,
  problemsOf,
  serviceMode,
  shadowNotice,
  type FiatRate,
  type ServiceDefinition,
  type ServiceMode,
} from "../config/index.ts";
import type { Keyring } from "../l402/index.ts";
import type { InvoiceBackend } from "../lightning/index.ts";
import { fromEnv } from "./env-settings.ts";
import { BUILT_IN_SCHEMES } from "./paywall.ts";
import type { PaywallPorts } from "./ports.ts";
import type { PaywallLog } from "./refusal-log.ts";
import type { PaymentScheme } from "./schemes/scheme.ts";
import type { PaywallSettings } from "./settings.ts";

/** A service mounted by an adapter: all but `mcp`, which only the template Worker's MCP endpoint serves. */
export type MountedService = Omit<ServiceDefinition, "mcp">;

/** What a paywall takes, whichever adapter mounts it (Hono's `l402Paywall`, the fetch adapter's `withPaywall`). */
export interface PaywallOptionsBase {
  /** One service for the routes the paywall is mounted on (it needs no `match`)… */
  readonly service?: MountedService;
  /** …or several, told apart by their `match` patterns; requests matching none pass on to the app. */
  readonly services?: readonly MountedService[];
  /** Mints and verifies tokens: `createKeyring(key)`, or `parseMasterKeys(text)`'s value when it is `ok`; absent: `L402_MASTER_KEYS` from the env. */
  readonly keyring?: Keyring;
  /**
   * Makes invoices (wrap it in `withBreaker()` to spare a sick node); absent:
   * the node `L402_BACKEND` and its settings in the env name, behind a breaker,
   * on `L402_NETWORK` or else the node's own network.
   */
  readonly backend?: InvoiceBackend;
  /** State for the features services use; see ports.ts. */
  readonly ports?: PaywallPorts;
  /** Ways to pay beyond the built-in L402, Payment (`mpp`) and x402 schemes (schemes/scheme.ts); a service lists the ones it offers by name. */
  readonly schemes?: readonly PaymentScheme[];
  readonly invoice?: {
    /** Seconds an invoice stays payable (default 600). */
    readonly expirySeconds?: number;
    /** Its description; `{service}` is replaced (default "{service} API access"). */
    readonly memo?: string;
  };
  /** Seconds a client's unpaid challenge is handed back instead of a new invoice (default 30; 0 disables). */
  readonly challengeCacheSeconds?: number;
  /** Retry-After of the 429 when the mint limiter refuses (default 60). */
  readonly mintRetryAfterSeconds?: number;
  /** The macaroon's location hint (default "l402"). */
  readonly location?: string;
  /** What 1 BTC costs in a currency (`{ currency: "USD", perBitcoin: 95000 }`): the 402 page adds an estimate of the price in it; off by default. */
  readonly fiatRate?: FiatRate;
  /** Where `{ "secret": "NAME" }` origin headers are read (a forwarding app's env). */
  readonly secrets?: Readonly<Record<string, unknown>>;
  /** Where the line for each refusal goes (default: one JSON line on the console); false: nowhere. */
  readonly log?: false | PaywallLog;
  /** `"shadow"`: every service in shadow mode (nothing blocked, would-be decisions logged: shadow.ts); `"enforce"` (default): each service's own `mode`. */
  readonly mode?: ServiceMode;
  /** What services in shadow mode tell clients, in an `X-L402-Notice` header on every answer (e.g. that the API will require payment); off by default. */
  readonly shadowNotice?: string;
}

/** Options that do not hold together: every problem, by field. */
export class PaywallConfigError extends Error {
  override readonly name = "PaywallConfigError";
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`l402Paywall: ${problems.join("; ")}`);
    this.problems = problems;
  }
}

/** The paywall's own settings among the options: the same valibot pieces as the template Worker's env (config/paywall-settings.ts). */
const OWN_SETTINGS = v.object({
  invoiceExpirySeconds,
  memo: invoiceMemo,
  challengeCacheSeconds,
  mintRetryAfterSeconds,
  location: macaroonLocation,
  fiatRate: v.optional(fiatRate),
  mode: v.optional(serviceMode),
  shadowNotice: v.optional(shadowNotice),
});

/** The options every adapter takes (PaywallOptionsBase), the ports (ports.ts) and `invoice`'s: any other name is a typo (`challenge_cache_seconds`, `mintLimitter`), refused rather than left to its default. */
const BASE_OPTIONS = ["service", "services", "keyring", "backend", "ports", "schemes", "invoice", "challengeCacheSeconds", "mintRetryAfterSeconds", "location", "fiatRate", "secrets", "log", "mode", "shadowNotice"];
const PORTS: ReadonlySet<string> = new Set(["challengeCache", "invoicePool", "mintLimiter", "networkMintLimiter", "meter", "freebies", "ledger", "revocations", "lookupLimiter", "spentCharges", "balances"]);
const INVOICE_OPTIONS: ReadonlySet<string> = new Set(["expirySeconds", "memo"]);

/** A problem for each name of `given` not in `known` (an object's own names; none when it is no object). */
function unknownNames(given: unknown, known: ReadonlySet<string>, where: string): string[] {
  if (typeof given !== "object" || given === null) return [];
  return Object.keys(given).filter((name) => !known.has(name)).map((name) => `${where}has an unknown setting "${name}"`);
}

const PORT_NAMES = { meter: "meter", freebies: "freebies", ledger: "ledger", revocations: "revocations", lookups: "lookupLimiter", spent: "spentCharges", balances: "balances" } as const;

/**
 * Validates the options with the same schema as the template Worker's
 * `L402_SERVICES`; what they leave out of keyring and backend comes from `env`.
 */
export function resolvePaywall(options: PaywallOptionsBase, env: Readonly<Record<string, unknown>> = {}, adapterOptions: readonly string[] = []): PaywallSettings {
  const { settled, problems } = settle(options, adapterOptions);
  const read = options.keyring !== undefined && options.backend !== undefined ? undefined : fromEnv(env, { keyring: options.keyring === undefined, backend: options.backend === undefined });
  if (read !== undefined && !read.ok) problems.push(...read.problems);
  const keyring = options.keyring ?? (read?.ok ? read.value.keyring : undefined);
  const backend = options.backend ?? (read?.ok ? read.value.backend : undefined);
  // A node taking whole sats would refuse every invoice at a service's own price in part of a sat.
  if (backend?.wholeSats === true) {
    const named = (field: string) => (options.service === undefined ? `services ${field}` : `service${field.replace(/^"[^"]*"/, "")}`);
    problems.push(...pricesInPartSats(settled.services).map((field) => `${named(field)}: this backend's invoices are in whole sats`));
  }
  if (problems.length > 0 || keyring === undefined || backend === undefined) throw new PaywallConfigError(problems);
  return { ...settled, keyring, backend };
}

/** Every problem the options have on their own, whatever the env: thrown when the middleware is made. */
export function checkOptions(options: PaywallOptionsBase, adapterOptions: readonly string[] = []): void {
  const { problems } = settle(options, adapterOptions);
  if (problems.length > 0) throw new PaywallConfigError(problems);
}

/** `adapterOptions`: the names the adapter's own options add (Hono's `cors`, `clientAddress`). */
function settle(options: PaywallOptionsBase, adapterOptions: readonly string[]): { settled: Omit<PaywallSettings, "keyring" | "backend">; problems: string[] } {
  const problems = [
    ...unknownNames(options, new Set([...BASE_OPTIONS, ...adapterOptions]), ""),
    ...unknownNames(options.ports, PORTS, "ports: "),
    ...unknownNames(options.invoice, INVOICE_OPTIONS, "invoice: "),
  ];
  if ((options.service === undefined) === (options.services === undefined)) problems.push("give exactly one of service or services");
  const ports = options.ports ?? {};
  const schemes = [...BUILT_IN_SCHEMES, ...(options.schemes ?? [])];
  const schemeNames = schemeNamesOf(schemes, problems);
  const definitions = options.service === undefined ? options.services : [options.service];
  const compiled = compileServices(definitions ?? [], {
    field: options.service === undefined ? "services" : "service",
    secrets: options.secrets ?? {},
    matchRequired: false,
    schemes: schemeNames,
    features: {
      meter: ports.meter !== undefined,
      meterGivesBack: ports.meter?.giveBack !== undefined,
      freebies: ports.freebies !== undefined,
      ledger: ports.ledger !== undefined,
      revocations: ports.revocations !== undefined,
      lookups: ports.lookupLimiter !== undefined,
      spent: ports.spentCharges !== undefined,
      balances: ports.balances !== undefined,
      describe: (feature) => `a ${PORT_NAMES[feature]} port (ports.${PORT_NAMES[feature]})`,
    },
  });
  // One service needs no index or name to be found.
  if (!compiled.ok) problems.push(...compiled.problems.map((problem) => problem.replace(/^service(?:\[0\]| "[^"]*")/, "service")));
  const own = v.safeParse(OWN_SETTINGS, { invoiceExpirySeconds: options.invoice?.expirySeconds, memo: options.invoice?.memo, challengeCacheSeconds: options.challengeCacheSeconds, mintRetryAfterSeconds: options.mintRetryAfterSeconds, location: options.location, fiatRate: options.fiatRate, mode: options.mode, shadowNotice: options.shadowNotice }, { abortEarly: false });
  // Named as the options name them; the fiat rate's message says what the whole object must be, so once.
  const named = own.success ? [] : problemsOf(own.issues, "").map((problem) => problem.replace(/^invoiceExpirySeconds\b/, "invoice.expirySeconds").replace(/^memo\b/, "invoice.memo").replace(/^fiatRate\.\w+/, "fiatRate"));
  problems.push(...new Set(named));
  const read = own.success ? own.output : v.getDefaults(OWN_SETTINGS);
  const settled = {
    services: compiled.ok ? inMode(compiled.value, read.mode) : [],
    schemes,
    ports,
    invoiceExpirySeconds: read.invoiceExpirySeconds,
    memo: read.memo,
    challengeCacheSeconds: read.challengeCacheSeconds,
    mintRetryAfterSeconds: read.mintRetryAfterSeconds,
    location: read.location,
    fiatRate: read.fiatRate,
    shadowNotice: read.shadowNotice,
  };
  return { settled, problems };
}

/** The names services may list: each scheme's, once (a name taken twice is a problem: which scheme would it mean?). */
function schemeNamesOf(schemes: readonly PaymentScheme[], problems: string[]): string[] {
  const names = schemes.map((scheme) => scheme.name);
  const twice = names.find((name, index) => names.indexOf(name) !== index);
  if (twice !== undefined) problems.push(`schemes: two schemes are named "${twice}"`);
  return names;
}
