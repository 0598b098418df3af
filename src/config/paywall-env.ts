import * as v from "valibot";
import { parseMasterKeys, type Keyring } from "../l402/index.ts";
import type { Network, NodeSettings } from "../lightning/index.ts";
import { backendSetting, namedBackend, networkSetting, NODE_SETTING_NAMES, readNodeSettings } from "./node-settings.ts";
import { breakerCooldownSeconds, breakerThreshold, nodeTimeoutMs } from "./paywall-settings.ts";
import { succeed } from "../result.ts";
import { problemsOf, settingsFailure, type SettingsResult } from "./problems.ts";

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
  L402_BACKEND: backendSetting,
  L402_NETWORK: v.optional(networkSetting),
  L402_NODE_TIMEOUT_MS: nodeTimeoutMs,
  L402_BREAKER_THRESHOLD: breakerThreshold,
  L402_BREAKER_COOLDOWN: breakerCooldownSeconds,
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
): SettingsResult<{ keyring: Keyring | undefined; node: EnvNode | undefined }> {
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
    const backend = namedBackend(given);
    const settings = backend === undefined ? undefined : readNodeSettings(backend, given, parsed.success ? parsed.output.L402_NODE_TIMEOUT_MS : undefined);
    if (settings !== undefined && !settings.ok) problems.push(...settings.problems);
    if (settings?.ok && settings.value.backend === "nwc" && settings.value.relayConnection === "held") {
      problems.push('L402_NWC_CONNECTION: "held" is the template Worker\'s (a Durable Object holds the socket); l402Paywall() opens one per call');
    }
    if (backend === "lnbits" && given["L402_NETWORK"] === undefined) problems.push("L402_NETWORK: is required with lnbits (LNbits does not say which chain it is on)");
    if (parsed.success && settings?.ok && problems.length === 0) {
      const out = parsed.output;
      node = { settings: settings.value, network: out.L402_NETWORK, breaker: { threshold: out.L402_BREAKER_THRESHOLD, cooldownMs: out.L402_BREAKER_COOLDOWN * 1000 } };
    }
  }
  return problems.length > 0 ? settingsFailure(problems) : succeed({ keyring, node });
}
