import * as v from "valibot";
import { parseMasterKeys, type Keyring } from "../l402/index.ts";
import type { Network, NodeSettings } from "../lightning/index.ts";
import { NODE_SETTING_NAMES, readNode, type Backend } from "./node.ts";
import { problemsOf } from "./problems.ts";
import { BACKENDS, NODE_SETTINGS } from "./schema.ts";

/** The node as an env describes it: how to reach it, its chain if pinned, its circuit breaker. */
export interface EnvNode {
  readonly settings: NodeSettings;
  /** `L402_NETWORK`; undefined: the node's own (asked once). */
  readonly network: Network | undefined;
  readonly breaker: { readonly threshold: number; readonly cooldownMs: number };
}

const NAMES = ["L402_MASTER_KEYS", "L402_BACKEND", "L402_NETWORK", "L402_NODE_TIMEOUT_MS", "L402_BREAKER_THRESHOLD", "L402_BREAKER_COOLDOWN", ...NODE_SETTING_NAMES];

/** Whether an env holds any of the settings `l402Paywall()` reads (a Worker's env does; a Node server's `c.env` does not). */
export const holdsPaywallSettings = (env: Readonly<Record<string, unknown>>): boolean => NAMES.some((name) => env[name] !== undefined && env[name] !== "");

const nodeSchema = v.object({
  L402_BACKEND: NODE_SETTINGS.backend,
  L402_NETWORK: v.optional(NODE_SETTINGS.network),
  L402_NODE_TIMEOUT_MS: NODE_SETTINGS.timeoutMs,
  L402_BREAKER_THRESHOLD: NODE_SETTINGS.breakerThreshold,
  L402_BREAKER_COOLDOWN: NODE_SETTINGS.breakerCooldownSeconds,
});

/**
 * What `l402Paywall()` reads from an env when its options give no keyring
 * (`L402_MASTER_KEYS`) or no backend (`L402_BACKEND` and the backend's own
 * settings, as the template Worker names them). Every problem is named by its
 * field, never by its value. Without `L402_NETWORK` the node's own network is
 * taken, except on LNbits, which names none.
 */
export function readPaywallEnv(
  env: Readonly<Record<string, unknown>>,
  wanted: { readonly keyring: boolean; readonly node: boolean },
): { ok: true; value: { keyring: Keyring | undefined; node: EnvNode | undefined } } | { ok: false; problems: string[] } {
  // An empty variable is an unset one, as in the template Worker.
  const given = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== "" && value !== null && value !== undefined));
  const problems: string[] = [];
  let keyring: Keyring | undefined;
  if (wanted.keyring) {
    const keys = parseMasterKeys(typeof given["L402_MASTER_KEYS"] === "string" ? given["L402_MASTER_KEYS"] : undefined);
    if (keys.ok) keyring = keys.value;
    else problems.push(`L402_MASTER_KEYS: ${keys.detail}`);
  }
  let node: EnvNode | undefined;
  if (wanted.node) {
    const parsed = v.safeParse(nodeSchema, given, { abortEarly: false, abortPipeEarly: true });
    if (!parsed.success) problems.push(...problemsOf(parsed.issues, ""));
    // The backend's own settings are checked even when others are bad, so that every problem is named at once.
    const named = given["L402_BACKEND"] ?? "lnd";
    const backend = (BACKENDS as readonly unknown[]).includes(named) ? (named as Backend) : undefined;
    const settings = backend === undefined ? undefined : readNode(backend, given, parsed.success ? parsed.output.L402_NODE_TIMEOUT_MS : undefined, "none");
    if (settings !== undefined && !settings.ok) problems.push(...settings.problems);
    if (backend === "lnbits" && given["L402_NETWORK"] === undefined) problems.push("L402_NETWORK: is required with lnbits (LNbits does not say which chain it is on)");
    if (parsed.success && settings?.ok && problems.length === 0) {
      const out = parsed.output;
      node = { settings: settings.value, network: out.L402_NETWORK, breaker: { threshold: out.L402_BREAKER_THRESHOLD, cooldownMs: out.L402_BREAKER_COOLDOWN * 1000 } };
    }
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: { keyring, node } };
}
