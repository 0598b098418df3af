import * as v from "valibot";
import { parseNwcUri, type NodeSettings, type NwcConnection } from "../lightning/index.ts";
import { problemsOf } from "./problems.ts";
import { BACKENDS, httpUrl, wholeNumber } from "./schema.ts";

/**
 * The settings of the node (or wallet) behind the paywall, by `L402_BACKEND`:
 * each backend's URL and credential (a secret), validated only for the backend
 * chosen. Messages name fields, never values.
 */
export type Backend = (typeof BACKENDS)[number];

/** The node's settings, and for NWC whether a socket is opened per call or held by the template Worker's Durable Object. */
export type NodeConfig = Exclude<NodeSettings, { readonly backend: "nwc" }> | (Extract<NodeSettings, { readonly backend: "nwc" }> & { readonly relayConnection: "per-call" | "held" });

const required = () => v.pipe(v.optional(v.string("is required"), ""), v.minLength(1, "is required"));
const url = v.pipe(v.optional(v.string("is required"), ""), v.minLength(1, "is required"), httpUrl, v.transform((u) => u.href.replace(/\/$/, "")));
const secret = (format: RegExp, message: string) => v.pipe(required(), v.regex(format, message));

const SCHEMAS = {
  lnd: v.object({ LND_REST_URL: url, LND_MACAROON: secret(/^(?:[0-9a-fA-F]{2}){1,4096}$/, "must be the hex of a macaroon"), LND_TIMEOUT_MS: v.optional(wholeNumber(100, 30_000)) }),
  lnbits: v.object({ LNBITS_URL: url, LNBITS_INVOICE_KEY: secret(/^[0-9a-zA-Z]{16,128}$/, "must be the wallet's invoice/read key") }),
  phoenixd: v.object({ PHOENIXD_URL: url, PHOENIXD_PASSWORD: secret(/^\S{8,256}$/, "must be phoenixd's http password") }),
  cln: v.object({ CLN_REST_URL: url, CLN_RUNE: secret(/^[A-Za-z0-9_=+/-]{8,2048}$/, "must be a rune (lightning-cli createrune)") }),
  nwc: v.object({
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
  }),
} as const;

/** Every backend's own settings, by name: what tells an env that holds the node's settings. */
export const NODE_SETTING_NAMES: readonly string[] = Object.values(SCHEMAS).flatMap((schema) => Object.keys(schema.entries));

/**
 * The chosen backend's settings, or every problem with them. A held NWC
 * connection lives in the template Worker's Durable Object (`holder`: its
 * binding); the middleware has none to offer.
 */
export function readNode(backend: Backend, env: Record<string, unknown>, timeoutMs: number | undefined, holder: "binding" | "none" = "binding"): { ok: true; value: NodeConfig } | { ok: false; problems: string[] } {
  // One problem per field: the first thing wrong with it.
  const parsed = v.safeParse(SCHEMAS[backend], env, { abortEarly: false, abortPipeEarly: true });
  if (!parsed.success) return { ok: false, problems: problemsOf(parsed.issues, "") };
  const out = parsed.output as Record<string, unknown>;
  if (out["L402_NWC_CONNECTION"] === "held" && holder === "none") {
    return { ok: false, problems: ['L402_NWC_CONNECTION: "held" is the template Worker\'s (a Durable Object holds the socket); l402Paywall() opens one per call'] };
  }
  if (out["L402_NWC_CONNECTION"] === "held" && env["L402_NWC"] === undefined) {
    return { ok: false, problems: ['L402_NWC_CONNECTION: "held" needs the L402_NWC Durable Object binding (see wrangler.toml)'] };
  }
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
