import type { Context } from "hono";
import type { cors } from "hono/cors";
import { compileServices, fiatRateProblem, type FiatRate, type ServiceConfig, type ServiceDefinition } from "../config/index.ts";
import type { Keyring } from "../l402/index.ts";
import type { InvoiceBackend } from "../lightning/index.ts";
import { fromEnv } from "./env-settings.ts";
import type { PaywallPorts } from "./ports.ts";
import { consoleLog, type PaywallLog } from "./refusal-log.ts";

export type CorsOptions = NonNullable<Parameters<typeof cors>[0]>;

/** What `l402Paywall()` takes. */
export interface PaywallOptions {
  /** One service for the routes the middleware is mounted on (it needs no `match`)… */
  readonly service?: ServiceDefinition;
  /** …or several, told apart by their `match` patterns; requests matching none pass on to the app. */
  readonly services?: readonly ServiceDefinition[];
  /** Mints and verifies tokens: `createKeyring(key)` or `parseMasterKeys(text)`; absent: `L402_MASTER_KEYS` from the env. */
  readonly keyring?: Keyring;
  /**
   * Makes invoices (wrap it in `withBreaker()` to spare a sick node); absent:
   * the node `L402_BACKEND` and its settings in the env name, behind a breaker,
   * on `L402_NETWORK` or else the node's own network.
   */
  readonly backend?: InvoiceBackend;
  /** State for the features services use; see ports.ts. */
  readonly ports?: PaywallPorts;
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
  /** CORS on every answer the paywall gives and every request it lets through to a service; off by default. */
  readonly cors?: CorsOptions;
  /** What 1 BTC costs in a currency (`{ currency: "USD", perBitcoin: 95000 }`): the 402 page adds an estimate of the price in it; off by default. */
  readonly fiatRate?: FiatRate;
  /** The client's address, for free allowances, the mint limit and the challenge cache (default: CF-Connecting-IP). */
  readonly clientAddress?: (c: Context) => string | null;
  /** Where `{ "secret": "NAME" }` origin headers are read (a forwarding app's env). */
  readonly secrets?: Readonly<Record<string, unknown>>;
  /** Where the line for each refusal goes (default: one JSON line on the console); false: nowhere. */
  readonly log?: false | PaywallLog;
}

/** The options, validated and compiled: what the middleware runs on. */
export interface ResolvedPaywall {
  readonly services: readonly ServiceConfig[];
  readonly keyring: Keyring;
  readonly backend: InvoiceBackend;
  readonly ports: PaywallPorts;
  readonly invoiceExpirySeconds: number;
  readonly memo: string;
  readonly challengeCacheSeconds: number;
  readonly mintRetryAfterSeconds: number;
  readonly location: string;
  readonly cors: CorsOptions | undefined;
  readonly fiatRate?: FiatRate | undefined;
  readonly clientAddress: (c: Context) => string | null;
  /** Absent: no log lines (the template Worker logs every request itself: worker/request-log.ts). */
  readonly log?: PaywallLog;
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

const PORT_NAMES = { meter: "meter", freebies: "freebies", ledger: "ledger", revocations: "revocations", lookups: "lookupLimiter", spent: "spentCharges" } as const;

/**
 * Validates the options with the same schema as the template Worker's
 * `L402_SERVICES`; what they leave out of keyring and backend comes from `env`.
 */
export function resolvePaywall(options: PaywallOptions, env: Readonly<Record<string, unknown>> = {}): ResolvedPaywall {
  const { settled, problems } = settle(options);
  const read = options.keyring !== undefined && options.backend !== undefined ? undefined : fromEnv(env, { keyring: options.keyring === undefined, backend: options.backend === undefined });
  if (read !== undefined && !read.ok) problems.push(...read.problems);
  const keyring = options.keyring ?? (read?.ok ? read.keyring : undefined);
  const backend = options.backend ?? (read?.ok ? read.backend : undefined);
  if (problems.length > 0 || keyring === undefined || backend === undefined) throw new PaywallConfigError(problems);
  return { ...settled, keyring, backend };
}

/** Every problem the options have on their own, whatever the env: thrown when the middleware is made. */
export function checkOptions(options: PaywallOptions): void {
  const { problems } = settle(options);
  if (problems.length > 0) throw new PaywallConfigError(problems);
}

function settle(options: PaywallOptions): { settled: Omit<ResolvedPaywall, "keyring" | "backend">; problems: string[] } {
  const problems: string[] = [];
  if ((options.service === undefined) === (options.services === undefined)) problems.push("give exactly one of service or services");
  const ports = options.ports ?? {};
  const definitions = options.service === undefined ? options.services : [options.service];
  const compiled = compileServices(definitions ?? [], {
    field: options.service === undefined ? "services" : "service",
    secrets: options.secrets ?? {},
    matchRequired: false,
    features: {
      meter: ports.meter !== undefined,
      freebies: ports.freebies !== undefined,
      ledger: ports.ledger !== undefined,
      revocations: ports.revocations !== undefined,
      lookups: ports.lookupLimiter !== undefined,
      spent: ports.spentCharges !== undefined,
      describe: (feature) => `a ${PORT_NAMES[feature]} port (ports.${PORT_NAMES[feature]})`,
    },
  });
  // One service needs no index or name to be found.
  if (!compiled.ok) problems.push(...compiled.problems.map((problem) => problem.replace(/^service(?:\[0\]| "[^"]*")/, "service")));
  const whole = (name: string, value: number | undefined, min: number, max: number, fallback: number) => {
    if (value === undefined) return fallback;
    if (!Number.isSafeInteger(value) || value < min || value > max) problems.push(`${name}: must be an integer from ${min} to ${max}`);
    return value;
  };
  const fiatProblem = options.fiatRate === undefined ? undefined : fiatRateProblem(options.fiatRate);
  if (fiatProblem !== undefined) problems.push(`fiatRate: ${fiatProblem}`);
  const settled = {
    services: compiled.ok ? compiled.value : [],
    ports,
    invoiceExpirySeconds: whole("invoice.expirySeconds", options.invoice?.expirySeconds, 60, 86_400, 600),
    memo: options.invoice?.memo ?? "{service} API access",
    challengeCacheSeconds: whole("challengeCacheSeconds", options.challengeCacheSeconds, 0, 300, 30),
    mintRetryAfterSeconds: whole("mintRetryAfterSeconds", options.mintRetryAfterSeconds, 1, 3600, 60),
    location: options.location ?? "l402",
    cors: options.cors,
    fiatRate: options.fiatRate,
    clientAddress: options.clientAddress ?? ((c: Context) => c.req.header("cf-connecting-ip") ?? null),
    ...(options.log === false ? {} : { log: options.log ?? consoleLog }),
  };
  return { settled, problems };
}
