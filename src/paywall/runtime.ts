import { configFor, type Config } from "../config/index.ts";
import { nativeHmacSha256 } from "../crypto/hmac.ts";
import { lndRestBackend, withBreaker, type InvoiceBackend } from "../lightning/index.ts";

export interface Runtime {
  readonly config: Config;
  /** Behind a circuit breaker, per isolate: guards the node from this isolate's traffic. */
  readonly backend: InvoiceBackend;
}

export type RuntimeResult = { readonly ok: true; readonly runtime: Runtime } | { readonly ok: false; readonly problems: readonly string[] };

const runtimes = new WeakMap<Config, Runtime>();

/** Config and backend for this env, built once per isolate, not per request. */
export function runtimeFor(env: object): RuntimeResult {
  const loaded = configFor(env, nativeHmacSha256);
  if (!loaded.ok) return loaded;
  let runtime = runtimes.get(loaded.value);
  if (runtime === undefined) {
    const { lnd, network } = loaded.value;
    runtime = {
      config: loaded.value,
      backend: withBreaker(lndRestBackend({ url: lnd.url, macaroonHex: lnd.macaroonHex, network, timeoutMs: lnd.timeoutMs }), {
        threshold: loaded.value.breakerThreshold,
        cooldownMs: loaded.value.breakerCooldownSeconds * 1000,
      }),
    };
    runtimes.set(loaded.value, runtime);
  }
  return { ok: true, runtime };
}
