import { Hono } from "hono";
import { adminApp } from "../admin/app.ts";
import { configFor, type Config, type ServicesFailure } from "../config/index.ts";
import { discoveryApp } from "../discovery/index.ts";
import { withBreaker } from "../lightning/index.ts";
import { BUILT_IN_SCHEMES, isPaywallCookieName, paywallMiddleware } from "../paywall/index.ts";
import { forwardToOrigin } from "../proxy/forward-to-origin.ts";
import type { Runtime, WorkerEnv } from "./worker-env.ts";
import { recordingIssuance } from "./issuance.ts";
import { nodeBackend } from "./node-backend.ts";
import { cloudflarePorts } from "./ports.ts";

export type RuntimeResult = { readonly ok: true; readonly value: Runtime } | ServicesFailure;

/**
 * The CORS the template answers with: any origin may read the paid API, with
 * credentials in headers. Never with cookies (no Allow-Credentials): a browser
 * payment's cookie serves its own origin only.
 */
const CORS = { origin: (origin: string) => origin, allowMethods: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"], maxAge: 86_400 };

const runtimes = new WeakMap<Config, Runtime>();

/** The env validated, and the app's parts built on it: once per isolate (per env), not per request. */
export function runtimeFor(env: Env): RuntimeResult {
  const loaded = configFor(env);
  if (!loaded.ok) return loaded;
  const config = loaded.value;
  let runtime = runtimes.get(config);
  if (runtime === undefined) {
    // Recorded inside the breaker: health names the node's last failure, not the breaker's.
    const issuance = recordingIssuance(nodeBackend(config.node, config.network, env));
    const backend = withBreaker(issuance.backend, {
      threshold: config.breakerThreshold,
      cooldownMs: config.breakerCooldownSeconds * 1000,
    });
    const ports = cloudflarePorts(env, config.revocationTtlSeconds);
    runtime = {
      config,
      backend,
      issuance: issuance.record,
      paywall: paywallMiddleware<WorkerEnv>(
        {
          services: config.services,
          schemes: BUILT_IN_SCHEMES,
          keyring: config.keyring,
          backend,
          ports,
          invoiceExpirySeconds: config.invoiceExpirySeconds,
          memo: config.memo,
          challengeCacheSeconds: config.challengeCacheSeconds,
          mintRetryAfterSeconds: config.mintRetryAfterSeconds,
          location: config.location,
          fiatRate: config.fiatRate,
        },
        { cors: CORS, clientAddress: (c) => c.req.header("cf-connecting-ip") ?? null },
      ),
      forwarder: forwardToOrigin<WorkerEnv>({
        unmatched: config.unmatched,
        withholdCookie: isPaywallCookieName,
        ...(config.originSecret === undefined ? {} : { originAuth: [config.originAuthHeader, config.originSecret] as const }),
      }),
      discovery:
        config.discovery === undefined
          ? undefined
          : discoveryApp({ services: config.services, seller: { name: config.discovery.sellerName, description: config.discovery.sellerDescription }, ...(config.discovery.openapi === undefined ? {} : { openapi: config.discovery.openapi }) }),
      admin:
        config.adminToken === undefined
          ? undefined
          : new Hono().route(
              config.adminPath,
              adminApp({ token: config.adminToken, services: config.services, ledger: ports.ledger, revocations: ports.revocations, revocationStalenessSeconds: config.revocationTtlSeconds }),
            ),
    };
    runtimes.set(config, runtime);
  }
  return { ok: true, value: runtime };
}
