import { holdsPaywallSettings, readPaywallEnv, type SettingsResult } from "../config/index.ts";
import type { Keyring } from "../l402/index.ts";
import { backendFromSettings, runtimeWebSocket, withBreaker, type InvoiceBackend } from "../lightning/index.ts";
import { succeed } from "../result.ts";

/**
 * Where the paywall's settings are when its options leave them out: the app's
 * env when it holds any (a Worker's bindings), else Node's `process.env`, read
 * through globalThis so that nothing here needs Node.
 */
export function settingsEnv(env: unknown): Readonly<Record<string, unknown>> {
  const own = typeof env === "object" && env !== null ? (env as Readonly<Record<string, unknown>>) : undefined;
  if (own !== undefined && holdsPaywallSettings(own)) return own;
  return (globalThis as { process?: { env?: Readonly<Record<string, unknown>> } }).process?.env ?? own ?? NO_SETTINGS;
}
const NO_SETTINGS: Readonly<Record<string, unknown>> = Object.freeze({});

/**
 * The keyring and the backend the options leave out, made from the env's
 * settings (config/paywall-env.ts): the backend behind a circuit breaker, on
 * `L402_NETWORK` or else its node's own network.
 */
export function fromEnv(
  env: Readonly<Record<string, unknown>>,
  wanted: { readonly keyring: boolean; readonly backend: boolean },
): SettingsResult<{ readonly keyring: Keyring | undefined; readonly backend: InvoiceBackend | undefined }> {
  const read = readPaywallEnv(env, { keyring: wanted.keyring, node: wanted.backend });
  if (!read.ok) return read;
  const { keyring, node } = read.value;
  const backend = node === undefined ? undefined : withBreaker(backendFromSettings(node.settings, node.network, runtimeWebSocket), node.breaker);
  return succeed({ keyring, backend });
}
