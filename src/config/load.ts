import type { HmacSha256 } from "../macaroon/index.ts";
import { isNetwork } from "../lightning/index.ts";
import { FieldErrors } from "./fields.ts";
import { parseMasterKeys } from "../l402/index.ts";
import { parseServices } from "./services.ts";
import type { Config } from "./types.ts";

export type ConfigResult = { readonly ok: true; readonly config: Config } | { readonly ok: false; readonly errors: readonly string[] };

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/;

/**
 * Reads and validates the whole configuration from the Worker's env (vars and
 * secrets). Every bad field is reported, by name, never by value.
 */
export function parseConfig(env: Record<string, unknown>, mac?: HmacSha256): ConfigResult {
  const errors = new FieldErrors();
  const services = parseServices(env["L402_SERVICES"], env, errors);
  const keyring = parseMasterKeys(typeof env["L402_MASTER_KEYS"] === "string" ? env["L402_MASTER_KEYS"] : undefined, mac);
  if (!keyring.ok) errors.list.push(`L402_MASTER_KEYS: ${keyring.detail}`);
  const network = errors.string(env["L402_NETWORK"], "L402_NETWORK", { optional: true, pattern: { test: isNetwork }, patternHint: "must be mainnet, testnet, signet or regtest" }) ?? "mainnet";
  const unmatched = errors.string(env["L402_UNMATCHED"], "L402_UNMATCHED", { optional: true, pattern: /^(pass|404)$/, patternHint: 'must be "pass" or "404"' }) ?? "404";
  const lndUrl = errors.url(env["LND_REST_URL"], "LND_REST_URL");
  const macaroonHex = errors.string(env["LND_MACAROON"], "LND_MACAROON", { pattern: /^(?:[0-9a-fA-F]{2}){1,4096}$/, patternHint: "must be the hex of a macaroon" });
  const config = {
    services,
    unmatched: unmatched as "pass" | "404",
    location: errors.string(env["L402_LOCATION"], "L402_LOCATION", { optional: true, pattern: /^[\x21-\x7e]{1,64}$/ }) ?? "l402",
    network: network as Config["network"],
    invoiceExpirySeconds: errors.integer(env["L402_INVOICE_EXPIRY"], "L402_INVOICE_EXPIRY", { min: 60, max: 86_400, optional: true }) ?? 600,
    memo: errors.string(env["L402_MEMO"], "L402_MEMO", { optional: true, pattern: /^[^\x00-\x1f]{0,512}$/ }) ?? "{service} API access",
    originAuthHeader: errors.string(env["L402_ORIGIN_AUTH_HEADER"], "L402_ORIGIN_AUTH_HEADER", { optional: true, pattern: HEADER_NAME }) ?? "X-L402-Origin-Auth",
    originSecret: errors.string(env["L402_ORIGIN_SECRET"], "L402_ORIGIN_SECRET", { optional: true }),
    challengeCacheSeconds: errors.integer(env["L402_CHALLENGE_CACHE_SECONDS"], "L402_CHALLENGE_CACHE_SECONDS", { min: 0, max: 300, optional: true }) ?? 30,
    mintRetryAfterSeconds: errors.integer(env["L402_MINT_RETRY_AFTER"], "L402_MINT_RETRY_AFTER", { min: 1, max: 3600, optional: true }) ?? 60,
    breakerThreshold: errors.integer(env["L402_BREAKER_THRESHOLD"], "L402_BREAKER_THRESHOLD", { min: 1, max: 1000, optional: true }) ?? 5,
    breakerCooldownSeconds: errors.integer(env["L402_BREAKER_COOLDOWN"], "L402_BREAKER_COOLDOWN", { min: 1, max: 3600, optional: true }) ?? 30,
    adminPath: errors.string(env["L402_ADMIN_PATH"], "L402_ADMIN_PATH", { optional: true, pattern: /^\/[\w./-]{1,100}$/, patternHint: "must be a path starting with /" })?.replace(/\/$/, "") ?? "/.well-known/l402/admin",
    adminToken: errors.string(env["L402_ADMIN_TOKEN"], "L402_ADMIN_TOKEN", { optional: true, pattern: /^\S{32,}$/, patternHint: "must be at least 32 characters (e.g. npx l402-edge keygen)" }),
    revocationTtlSeconds: errors.integer(env["L402_REVOCATION_TTL"], "L402_REVOCATION_TTL", { min: 5, max: 3600, optional: true }) ?? 30,
    lndTimeoutMs: errors.integer(env["LND_TIMEOUT_MS"], "LND_TIMEOUT_MS", { min: 100, max: 30_000, optional: true }) ?? 5000,
  };
  if (errors.list.length > 0 || !keyring.ok || lndUrl === undefined || macaroonHex === undefined) {
    return { ok: false, errors: errors.list };
  }
  const { lndTimeoutMs, ...rest } = config;
  return {
    ok: true,
    config: { ...rest, keyring: keyring.value, lnd: { url: lndUrl.href.replace(/\/$/, ""), macaroonHex, timeoutMs: lndTimeoutMs } },
  };
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
