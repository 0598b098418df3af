import * as v from "valibot";
import { compileServices, inMode, namedBackend, pricesInPartSats, problemsOf, readNodeSettings, settingsFailure, WHOLE_SAT_BACKENDS, type Backend, type ServiceConfig, type SettingsResult } from "../config/index.ts";
import { parseMasterKeys } from "../l402/index.ts";
import { backendProblems, featureProblems, thisBuild, type WorkerBuild } from "./build.ts";
import { workerSettingsSchema } from "./settings.ts";
import type { WorkerConfig } from "./worker-config.ts";

export type ConfigResult = SettingsResult<WorkerConfig>;

/** What the template Worker's bindings provide, named as its operator declares them. */
const BINDINGS = {
  meter: "L402_METER",
  freebies: "L402_FREEBIES",
  ledger: "L402_LEDGER",
  revocations: "L402_LEDGER",
  lookups: "L402_LOOKUPS",
  spent: "L402_SPENT",
  balances: "L402_BALANCES",
} as const;
const BINDING_KIND = { meter: "Durable Object", freebies: "Durable Object", ledger: "D1", revocations: "D1", lookups: "Durable Object", spent: "Durable Object", balances: "Durable Object" } as const;

/**
 * Reads and validates the template Worker's whole configuration from its env
 * (vars, secrets and which bindings exist). Every bad field is reported, by
 * name, never by value; and whatever they use that `build` left out.
 */
export function parseConfig(env: object, build: WorkerBuild = thisBuild()): ConfigResult {
  const read = readConfig(env, build);
  if (!read.ok) return read;
  const left = featureProblems(build, read.value);
  return left.length > 0 ? settingsFailure(left) : read;
}

function readConfig(env: object, build: WorkerBuild): ConfigResult {
  // An empty var is an unset one (`.dev.vars` lines left blank).
  const given: Record<string, unknown> = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== "" && value !== null && value !== undefined));
  const problems: string[] = [];
  const settings = v.safeParse(workerSettingsSchema, given, { abortEarly: false });
  if (!settings.success) problems.push(...problemsOf(settings.issues, ""));
  const bound = (feature: keyof typeof BINDINGS) => given[BINDINGS[feature]] !== undefined;
  const context = {
    field: "L402_SERVICES",
    secrets: given,
    matchRequired: true,
    servesMcp: true,
    features: {
      meter: bound("meter"),
      freebies: bound("freebies"),
      ledger: bound("ledger"),
      revocations: bound("revocations"),
      lookups: bound("lookups"),
      spent: bound("spent"),
      balances: bound("balances"),
      describe: (feature: keyof typeof BINDINGS) => `the ${BINDINGS[feature]} ${BINDING_KIND[feature]} binding (see wrangler.toml)`,
    },
  };
  const services = compileServices(given["L402_SERVICES"], context);
  if (!services.ok) problems.push(...services.problems);
  const keyring = parseMasterKeys(typeof given["L402_MASTER_KEYS"] === "string" ? given["L402_MASTER_KEYS"] : undefined);
  if (!keyring.ok) problems.push(`L402_MASTER_KEYS: ${keyring.detail}`);
  // The backend's own settings are checked even when others are bad, so that every problem is named at once.
  const backend = settings.success ? settings.output.L402_BACKEND : namedBackend(given);
  // A backend this build leaves out is said so, and its settings not read: the build carries no reader of them (config/node-settings.ts).
  const outOfBuild = backend === undefined ? [] : backendProblems(build, backend);
  problems.push(...outOfBuild);
  const node = backend === undefined || outOfBuild.length > 0 ? undefined : readNodeSettings(backend, given, settings.success ? settings.output.L402_NODE_TIMEOUT_MS : undefined);
  if (node !== undefined && !node.ok) problems.push(...node.problems);
  if (node?.ok && node.value.backend === "nwc" && node.value.relayConnection === "held" && given["L402_NWC"] === undefined) {
    problems.push('L402_NWC_CONNECTION: "held" needs the L402_NWC Durable Object binding (see wrangler.toml)');
  }
  if (settings.success && settings.output.L402_INVOICE_POOL_SIZE > 0 && given["L402_INVOICE_POOL"] === undefined) {
    problems.push("L402_INVOICE_POOL_SIZE: a pool needs the L402_INVOICE_POOL Durable Object binding (see wrangler.toml)");
  }
  if (node?.ok && services.ok) problems.push(...wholeSatProblems(node.value.backend, services.value));
  if (settings.success && settings.output.L402_OVERRIDES === "on" && !bound("ledger")) problems.push('L402_OVERRIDES: "on" needs the L402_LEDGER D1 binding (see wrangler.toml)');
  if (problems.length > 0 || !settings.success || !services.ok || !keyring.ok || node === undefined || !node.ok) return settingsFailure(problems);

  const s = settings.output;
  const { backend: nodeBackend } = node.value;
  // What the admin API's overrides are laid over, and how the services they make are checked: as the config's are.
  const raw = given["L402_SERVICES"];
  const definitions = (typeof raw === "string" ? JSON.parse(raw) : raw) as Record<string, unknown>[];
  // L402_MODE = "shadow" is written into the base (as inMode applies it), so that overrides keep it and can switch a service to enforce.
  const serviceDefinitions = s.L402_MODE === "shadow" ? definitions.map((definition) => (definition["mode"] === "paused" ? definition : { ...definition, mode: "shadow" })) : definitions;
  const compile = (definitions: unknown): SettingsResult<ServiceConfig[]> => {
    const compiled = compileServices(definitions, context);
    const wholeSats = compiled.ok ? wholeSatProblems(nodeBackend, compiled.value) : [];
    return wholeSats.length > 0 ? settingsFailure(wholeSats) : compiled;
  };
  return {
    ok: true,
    value: {
      services: inMode(services.value, s.L402_MODE),
      unmatched: s.L402_UNMATCHED,
      keyring: keyring.value,
      location: s.L402_LOCATION,
      network: s.L402_NETWORK,
      node: node.value,
      invoiceExpirySeconds: s.L402_INVOICE_EXPIRY,
      memo: s.L402_MEMO,
      fiatRate: s.L402_FIAT_RATE,
      originAuthHeader: s.L402_ORIGIN_AUTH_HEADER,
      originSecret: s.L402_ORIGIN_SECRET === "" ? undefined : s.L402_ORIGIN_SECRET,
      challengeCacheSeconds: s.L402_CHALLENGE_CACHE_SECONDS,
      mintRetryAfterSeconds: s.L402_MINT_RETRY_AFTER,
      breakerThreshold: s.L402_BREAKER_THRESHOLD,
      breakerCooldownSeconds: s.L402_BREAKER_COOLDOWN,
      invoicePool: { size: s.L402_INVOICE_POOL_SIZE, refillPerSecond: s.L402_INVOICE_POOL_RATE },
      adminPath: s.L402_ADMIN_PATH,
      adminToken: s.L402_ADMIN_TOKEN,
      revocationTtlSeconds: s.L402_REVOCATION_TTL,
      discovery: s.L402_DISCOVERY === "off" ? undefined : { sellerName: s.L402_SERVICE_NAME, sellerDescription: s.L402_SERVICE_DESCRIPTION, openapi: s.L402_OPENAPI },
      mcpPath: s.L402_MCP_PATH,
      contextHeader: s.L402_CONTEXT_HEADER,
      paymentContext: s.L402_CONTEXT_KEYS === undefined ? undefined : { keys: s.L402_CONTEXT_KEYS, ttlSeconds: s.L402_CONTEXT_TTL },
      shadowNotice: s.L402_SHADOW_NOTICE,
      serviceDefinitions,
      compileServices: compile,
      overridesTtlSeconds: s.L402_OVERRIDES === "on" ? s.L402_OVERRIDES_TTL : undefined,
      logPasses: s.L402_LOG_PASSES,
      decisionFlushSeconds: s.L402_DECISION_FLUSH_SECONDS,
    },
  };
}

/** LNbits and phoenixd take whole sats: a price in msat there would fail at every challenge, so it fails here (pricesInPartSats). */
function wholeSatProblems(backend: Backend, services: readonly ServiceConfig[]): string[] {
  const label = WHOLE_SAT_BACKENDS[backend];
  if (label === undefined) return [];
  return pricesInPartSats(services).map((field) => `L402_SERVICES ${field}: ${label} invoices are in whole sats (L402_BACKEND)`);
}
