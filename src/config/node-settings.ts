import * as v from "valibot";
import { INVOICE_PREFIXES, parseNwcUri, type Network, type NodeSettings, type NwcConnection } from "../lightning/index.ts";
import { nodeTimeoutMs } from "./paywall-settings.ts";
import { problemsOf, settingsFailure, type SettingsResult } from "./problems.ts";
import { httpUrl } from "./schema.ts";

/**
 * The settings of the node (or wallet) behind the paywall, by `L402_BACKEND`:
 * each backend's URL and credential (a secret), validated only for the backend
 * chosen. The template Worker and `l402Paywall()` (paywall-env.ts) read them
 * alike. Messages name fields, never values.
 */

/** The node (or wallet) the paywall makes invoices with; each has its own settings. */
export const BACKENDS = ["lnd", "nwc", "lnbits", "phoenixd", "cln"] as const;
export type Backend = (typeof BACKENDS)[number];

/** Backends whose invoices name whole sats: LNbits and phoenixd have no msat amount. */
export const WHOLE_SAT_BACKENDS: Partial<Record<Backend, string>> = { lnbits: "LNbits", phoenixd: "phoenixd" };

const NETWORKS = Object.keys(INVOICE_PREFIXES) as [Network, ...Network[]];

/** `L402_NETWORK`: the chain invoices must be on. */
export const networkSetting = v.picklist(NETWORKS, "must be mainnet, testnet, signet or regtest");

/** `L402_BACKEND`: lnd when unset. */
export const backendSetting = v.optional(v.picklist(BACKENDS, `must be one of ${BACKENDS.join(", ")}`), "lnd");

/** The node's settings, and for NWC whether a socket is opened per call or held (by the template Worker's Durable Object). */
export type NodeConfig = Exclude<NodeSettings, { readonly backend: "nwc" }> | (Extract<NodeSettings, { readonly backend: "nwc" }> & { readonly relayConnection: "per-call" | "held" });

const required = () => v.pipe(v.optional(v.string("is required"), ""), v.minLength(1, "is required"));
const url = v.pipe(v.optional(v.string("is required"), ""), v.minLength(1, "is required"), httpUrl, v.transform((u) => u.href.replace(/\/$/, "")));
const secret = (format: RegExp, message: string) => v.pipe(required(), v.regex(format, message));

const nwcSchema = () =>
  v.object({
    L402_NWC_URI: v.pipe(
      required(),
      v.rawTransform(({ dataset, addIssue, NEVER }) => {
        const parsed = parseNwcUri(dataset.value);
        if (parsed.ok) return parsed.value;
        addIssue({ message: parsed.detail });
        return NEVER;
      }),
    ),
    L402_NWC_CONNECTION: v.optional(v.picklist(["per-call", "held"], 'must be "per-call" or "held"'), "per-call"),
  });

/**
 * Each backend's settings. A template Worker built for one backend (worker/build.ts
 * sets the define) carries that one's alone: another is refused there before its
 * settings are read (load-config.ts). The define is read in each condition, where
 * the bundler folds it and drops the rest (NWC's URI reader among them).
 */
const SCHEMAS = {
  ...((globalThis.L402_BUILD_BACKEND ?? "lnd") === "lnd" ? { lnd: v.object({ LND_REST_URL: url, LND_MACAROON: secret(/^(?:[0-9a-fA-F]{2}){1,4096}$/, "must be the hex of a macaroon"), LND_TIMEOUT_MS: nodeTimeoutMs }) } : {}),
  ...((globalThis.L402_BUILD_BACKEND ?? "lnbits") === "lnbits" ? { lnbits: v.object({ LNBITS_URL: url, LNBITS_INVOICE_KEY: secret(/^[0-9a-zA-Z]{16,128}$/, "must be the wallet's invoice/read key") }) } : {}),
  ...((globalThis.L402_BUILD_BACKEND ?? "phoenixd") === "phoenixd" ? { phoenixd: v.object({ PHOENIXD_URL: url, PHOENIXD_PASSWORD: secret(/^\S{8,256}$/, "must be phoenixd's http password") }) } : {}),
  ...((globalThis.L402_BUILD_BACKEND ?? "cln") === "cln" ? { cln: v.object({ CLN_REST_URL: url, CLN_RUNE: secret(/^[A-Za-z0-9_=+/-]{8,2048}$/, "must be a rune (lightning-cli createrune)") }) } : {}),
  ...((globalThis.L402_BUILD_BACKEND ?? "nwc") === "nwc" ? { nwc: nwcSchema() } : {}),
} as Partial<Record<Backend, v.ObjectSchema<v.ObjectEntries, undefined>>>;

/** Every backend's own settings, by name: what tells an env that holds the node's settings. */
export const NODE_SETTING_NAMES: readonly string[] = Object.values(SCHEMAS).flatMap((schema) => Object.keys(schema.entries));

/**
 * The chosen backend's settings, or every problem with them: one per field,
 * the first thing wrong with it. `timeoutMs` (`L402_NODE_TIMEOUT_MS`) wins
 * over LND's own `LND_TIMEOUT_MS`; 5 s when neither is set. Who holds a
 * "held" NWC connection is the caller's to check.
 */
export function readNodeSettings(backend: Backend, env: Record<string, unknown>, timeoutMs: number | undefined): SettingsResult<NodeConfig> {
  const schema = SCHEMAS[backend];
  if (schema === undefined) return settingsFailure([`L402_BACKEND: ${backend} is not in this build`]);
  const parsed = v.safeParse(schema, env, { abortEarly: false, abortPipeEarly: true });
  if (!parsed.success) return settingsFailure(problemsOf(parsed.issues, ""));
  const out = parsed.output as Record<string, unknown>;
  const timeout = timeoutMs ?? (out["LND_TIMEOUT_MS"] as number | undefined) ?? 5000;
  switch (backend) {
    case "lnd":
      return { ok: true, value: { backend, timeoutMs: timeout, url: out["LND_REST_URL"] as string, macaroonHex: out["LND_MACAROON"] as string } };
    case "lnbits":
      return { ok: true, value: { backend, timeoutMs: timeout, url: out["LNBITS_URL"] as string, invoiceKey: out["LNBITS_INVOICE_KEY"] as string } };
    case "phoenixd":
      return { ok: true, value: { backend, timeoutMs: timeout, url: out["PHOENIXD_URL"] as string, password: out["PHOENIXD_PASSWORD"] as string } };
    case "cln":
      return { ok: true, value: { backend, timeoutMs: timeout, url: out["CLN_REST_URL"] as string, rune: out["CLN_RUNE"] as string } };
    case "nwc":
      return { ok: true, value: { backend, timeoutMs: timeout, connection: out["L402_NWC_URI"] as NwcConnection, relayConnection: out["L402_NWC_CONNECTION"] as "per-call" | "held" } };
  }
}

/** What `backend` names, read even when other settings are bad, so that the backend's own problems are named at once; undefined: not a backend. */
export function namedBackend(env: Record<string, unknown>): Backend | undefined {
  const named = env["L402_BACKEND"] ?? "lnd";
  return (BACKENDS as readonly unknown[]).includes(named) ? (named as Backend) : undefined;
}
