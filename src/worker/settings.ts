import * as v from "valibot";
import { contextKeysSetting } from "../context/index.ts";
import {
  backendSetting,
  breakerCooldownSeconds,
  breakerThreshold,
  challengeCacheSeconds,
  fiatRate,
  HEADER_NAME,
  invoiceExpirySeconds,
  invoiceMemo,
  macaroonLocation,
  mintRetryAfterSeconds,
  networkSetting,
  nodeTimeoutMs,
  serviceMode,
  shadowNotice,
  wholeNumber,
} from "../config/index.ts";
import { isJsonObject } from "../json-object.ts";

/**
 * The template Worker's own settings (vars and secrets), beside
 * `L402_SERVICES`, `L402_MASTER_KEYS` and the node's settings: the paywall's
 * settings as config/ writes them (ranges and defaults shared with
 * `l402Paywall()`'s options), and what only the Worker has (unmatched
 * requests, the origin's secret, the admin API, discovery).
 */

/** The operations of an OpenAPI path item. */
const OPERATIONS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;

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
    if (!isJsonObject(shape) || typeof shape.openapi !== "string" || !/^3\./.test(shape.openapi) || !isJsonObject(shape.info) || (shape.paths !== undefined && !isJsonObject(shape.paths))) {
      addIssue({ message: "must be an OpenAPI 3 document (openapi, info, paths)" });
      return NEVER;
    }
    // Discovery annotates each operation: a path item or an operation that is not an object could not be.
    for (const [path, item] of Object.entries((shape.paths ?? {}) as Record<string, unknown>)) {
      const where = `paths ${JSON.stringify(path.slice(0, 80))}`;
      if (!isJsonObject(item)) {
        addIssue({ message: `${where} must be an object` });
        return NEVER;
      }
      for (const method of OPERATIONS) {
        const operation = (item as Record<string, unknown>)[method] as { responses?: unknown } | undefined;
        if (operation !== undefined && (!isJsonObject(operation) || (operation.responses !== undefined && !isJsonObject(operation.responses)))) {
          addIssue({ message: `${where}.${method} must be an object (its responses too)` });
          return NEVER;
        }
      }
    }
    return document as { openapi: string; info: Record<string, unknown>; paths?: Record<string, Record<string, unknown>> };
  }),
);

const FIAT_RATE_MESSAGE = 'must be a currency code and what one bitcoin costs in it, e.g. "USD:95000"';

const LOG_PASSES_MESSAGE = 'must be "all", "none" or "sample:<share>" with a share above 0 and at most 1, e.g. "sample:0.01"';

/** `L402_LOG_PASSES`: the share of requests let through that get a log line (1: all; 0: none). */
const logPasses = v.pipe(
  v.string(LOG_PASSES_MESSAGE),
  v.regex(/^(?:all|none|sample:(?:0\.\d+|1(?:\.0+)?))$/, LOG_PASSES_MESSAGE),
  v.check((text) => !text.startsWith("sample:") || Number(text.slice("sample:".length)) > 0, LOG_PASSES_MESSAGE),
  v.transform((text) => (text === "all" ? 1 : text === "none" ? 0 : Number(text.slice("sample:".length)))),
);

/** What 1 BTC costs in a currency, as text (`"USD:95000"`), read into the middleware's `fiatRate`. */
const fiatRateText = v.pipe(
  v.string(FIAT_RATE_MESSAGE),
  v.regex(/^[A-Z]{3}:\d{1,12}(?:\.\d{1,8})?$/, FIAT_RATE_MESSAGE),
  v.transform((text) => ({ currency: text.slice(0, 3), perBitcoin: Number(text.slice(4)) })),
  v.check((rate) => v.is(fiatRate, rate), FIAT_RATE_MESSAGE),
);

/**
 * A path the Worker answers below (the admin API, MCP): segments of its own. "/"
 * or "//" would put it in front of the whole site, and a "." or ".." segment
 * never arrives as written. A trailing "/" is dropped.
 */
const pathBelowRoot = v.pipe(
  v.string("must be a string"),
  v.regex(/^(?=.{2,101}$)(?:\/(?!\.{1,2}(?:\/|$))[\w.-]+)+\/?$/, "must be a path below / (e.g. /admin): segments of letters, digits, _ . -, none empty, . or .."),
  v.transform((path) => path.replace(/\/$/, "")),
);

/** Visible characters, `max` at most: names and sentences shown to people. */
const displayText = (max: number) => v.pipe(v.string("must be a string"), v.regex(new RegExp(`^[^\\x00-\\x1f\\x7f]{1,${max}}$`), `must be 1 to ${max} characters, without control characters`));

/** The Worker's settings; load-config.ts reads them with `L402_SERVICES`, the keys and the node's. */
export const workerSettingsSchema = v.object({
  L402_NETWORK: v.optional(networkSetting, "mainnet"),
  L402_UNMATCHED: v.optional(v.picklist(["pass", "404"], 'must be "pass" or "404"'), "404"),
  L402_BACKEND: backendSetting,
  L402_NODE_TIMEOUT_MS: nodeTimeoutMs,
  L402_LOCATION: macaroonLocation,
  L402_INVOICE_EXPIRY: invoiceExpirySeconds,
  L402_MEMO: invoiceMemo,
  L402_FIAT_RATE: v.optional(fiatRateText),
  L402_ORIGIN_AUTH_HEADER: v.optional(v.pipe(v.string("must be a string"), v.regex(HEADER_NAME, "has an invalid format")), "X-L402-Origin-Auth"),
  // Empty: none. A header's value, long enough not to be guessed (a CR or LF in it would fail every forward).
  L402_ORIGIN_SECRET: v.optional(v.pipe(v.string("must be a string"), v.regex(/^(?:|[\x21-\x7e]{16,})$/, "must be 16 characters or more, printable ASCII without spaces (a header's value; e.g. npx l402-edge keygen), or empty for none"))),
  L402_CHALLENGE_CACHE_SECONDS: challengeCacheSeconds,
  L402_MINT_RETRY_AFTER: mintRetryAfterSeconds,
  L402_BREAKER_THRESHOLD: breakerThreshold,
  L402_BREAKER_COOLDOWN: breakerCooldownSeconds,
  L402_INVOICE_POOL_SIZE: v.optional(wholeNumber(0, 1000), 0),
  L402_INVOICE_POOL_RATE: v.optional(wholeNumber(1, 1000), 10),
  L402_ADMIN_PATH: v.optional(pathBelowRoot, "/.well-known/l402/admin"),
  L402_ADMIN_TOKEN: v.optional(v.pipe(v.string("must be a string"), v.regex(/^[A-Za-z0-9._~+/-]{32,}=*$/, "must be 32 characters or more of a bearer token's: letters, digits, - . _ ~ + / and trailing = (e.g. npx l402-edge keygen)"))),
  L402_REVOCATION_TTL: v.optional(wholeNumber(5, 3600), 30),
  L402_DISCOVERY: v.optional(v.picklist(["on", "off"], 'must be "on" or "off"'), "on"),
  L402_SERVICE_NAME: v.optional(displayText(100)),
  L402_SERVICE_DESCRIPTION: v.optional(displayText(500)),
  L402_OPENAPI: v.optional(openApiBase),
  L402_MODE: v.optional(serviceMode, "enforce"),
  L402_SHADOW_NOTICE: v.optional(shadowNotice),
  L402_OVERRIDES: v.optional(v.picklist(["on", "off"], 'must be "on" or "off"'), "off"),
  L402_OVERRIDES_TTL: v.optional(wholeNumber(1, 3600), 10),
  // At most 25: the flush runs in waitUntil, which Workers keeps alive up to 30 s after the answer.
  L402_DECISION_FLUSH_SECONDS: v.optional(wholeNumber(1, 25)),
  L402_MCP_PATH: v.optional(pathBelowRoot, "/mcp"),
  L402_CONTEXT_KEYS: v.optional(contextKeysSetting),
  L402_CONTEXT_HEADER: v.optional(v.pipe(v.string("must be a string"), v.regex(HEADER_NAME, "has an invalid format")), "Payment-Context"),
  L402_CONTEXT_TTL: v.optional(wholeNumber(10, 300), 120),
  L402_LOG_PASSES: v.optional(logPasses, "all"),
});
