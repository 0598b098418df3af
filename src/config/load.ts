import * as v from "valibot";
import { parseMasterKeys } from "../l402/index.ts";
import type { HmacSha256 } from "../macaroon/index.ts";
import { problemsOf } from "./problems.ts";
import { readNode, type Backend } from "./node.ts";
import { BACKENDS, settingsSchema, WHOLE_SAT_BACKENDS } from "./schema.ts";
import { compileServices, servicesFailure, type ServicesFailure } from "./services.ts";
import type { Config } from "./types.ts";

export type ConfigResult = { readonly ok: true; readonly value: Config } | ServicesFailure;

/** What the template Worker's bindings provide, named as its operator declares them. */
const BINDINGS = {
  meter: "L402_METER",
  freebies: "L402_FREEBIES",
  ledger: "L402_LEDGER",
  revocations: "L402_LEDGER",
  lookups: "L402_LOOKUPS",
  spent: "L402_SPENT",
} as const;
const BINDING_KIND = { meter: "Durable Object", freebies: "Durable Object", ledger: "D1", revocations: "D1", lookups: "Durable Object", spent: "Durable Object" } as const;

/**
 * Reads and validates the template Worker's whole configuration from its env
 * (vars, secrets and which bindings exist). Every bad field is reported, by
 * name, never by value.
 */
export function parseConfig(env: Record<string, unknown>, mac?: HmacSha256): ConfigResult {
  // An empty var is an unset one (`.dev.vars` lines left blank).
  const given = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== "" && value !== null && value !== undefined));
  const problems: string[] = [];
  const settings = v.safeParse(settingsSchema, given, { abortEarly: false });
  if (!settings.success) problems.push(...problemsOf(settings.issues, ""));
  const bound = (feature: keyof typeof BINDINGS) => given[BINDINGS[feature]] !== undefined;
  const services = compileServices(given["L402_SERVICES"], {
    field: "L402_SERVICES",
    secrets: given,
    matchRequired: true,
    features: {
      meter: bound("meter"),
      freebies: bound("freebies"),
      ledger: bound("ledger"),
      revocations: bound("revocations"),
      lookups: bound("lookups"),
      spent: bound("spent"),
      describe: (feature) => `the ${BINDINGS[feature]} ${BINDING_KIND[feature]} binding (see wrangler.toml)`,
    },
  });
  if (!services.ok) problems.push(...services.problems);
  const keyring = parseMasterKeys(typeof given["L402_MASTER_KEYS"] === "string" ? given["L402_MASTER_KEYS"] : undefined, mac);
  if (!keyring.ok) problems.push(`L402_MASTER_KEYS: ${keyring.detail}`);
  // The backend's own settings are checked even when others are bad, so that every problem is named at once.
  const backend = settings.success ? settings.output.L402_BACKEND : ((BACKENDS as readonly unknown[]).includes(given["L402_BACKEND"] ?? "lnd") ? ((given["L402_BACKEND"] ?? "lnd") as Backend) : undefined);
  const node = backend === undefined ? undefined : readNode(backend, given, settings.success ? settings.output.L402_NODE_TIMEOUT_MS : undefined);
  if (node !== undefined && !node.ok) problems.push(...node.problems);
  if (node?.ok && services.ok) problems.push(...wholeSatProblems(node.value.backend, services.value));
  if (problems.length > 0 || !settings.success || !services.ok || !keyring.ok || node === undefined || !node.ok) return servicesFailure(problems);

  const s = settings.output;
  return {
    ok: true,
    value: {
      services: services.value,
      unmatched: s.L402_UNMATCHED,
      keyring: keyring.value,
      location: s.L402_LOCATION,
      network: s.L402_NETWORK,
      node: node.value,
      invoiceExpirySeconds: s.L402_INVOICE_EXPIRY,
      memo: s.L402_MEMO,
      fiatRate: s.L402_FIAT_RATE,
      originAuthHeader: s.L402_ORIGIN_AUTH_HEADER,
      originSecret: s.L402_ORIGIN_SECRET,
      challengeCacheSeconds: s.L402_CHALLENGE_CACHE_SECONDS,
      mintRetryAfterSeconds: s.L402_MINT_RETRY_AFTER,
      breakerThreshold: s.L402_BREAKER_THRESHOLD,
      breakerCooldownSeconds: s.L402_BREAKER_COOLDOWN,
      adminPath: s.L402_ADMIN_PATH,
      adminToken: s.L402_ADMIN_TOKEN,
      revocationTtlSeconds: s.L402_REVOCATION_TTL,
      discovery: s.L402_DISCOVERY === "off" ? undefined : { sellerName: s.L402_SERVICE_NAME, sellerDescription: s.L402_SERVICE_DESCRIPTION, openapi: s.L402_OPENAPI },
    },
  };
}

/** LNbits and phoenixd take whole sats: a price in msat there would fail at every challenge, so it fails here. */
function wholeSatProblems(backend: Backend, services: readonly { readonly name: string; readonly auth: boolean; readonly priceMsat: bigint }[]): string[] {
  const label = WHOLE_SAT_BACKENDS[backend];
  if (label === undefined) return [];
  return services.flatMap((service) => (service.auth && service.priceMsat % 1000n !== 0n ? [`L402_SERVICES "${service.name}".price_msat: ${label} invoices are in whole sats (L402_BACKEND)`] : []));
}

const cache = new WeakMap<object, ConfigResult>();

/** Parsed once per isolate (per env object), not per request. */
export function configFor(env: object, mac?: HmacSha256): ConfigResult {
  let result = cache.get(env);
  if (result === undefined) {
    result = parseConfig(env as Record<string, unknown>, mac);
    cache.set(env, result);
  }
  return result;
}
