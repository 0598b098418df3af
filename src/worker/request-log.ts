import type { MiddlewareHandler } from "hono";
import type { WorkerEnv } from "./worker-env.ts";

/**
 * One structured JSON line per request. Built from chosen fields only (the
 * paywall's outcome, the template's own endpoints), so a preimage, macaroon or
 * secret has no way in.
 */
export const requestLog: MiddlewareHandler<WorkerEnv> = async (c, next) => {
  const startedAt = Date.now();
  const url = new URL(c.req.url);
  try {
    await next();
  } finally {
    const paywall = c.get("l402Outcome");
    console.log(
      JSON.stringify({
        requestId: c.get("requestId"),
        method: c.req.method,
        host: url.host,
        path: url.pathname.slice(0, 512),
        ...paywall,
        outcome: c.get("endpoint") ?? paywall?.outcome,
        status: c.res.status,
        latencyMs: Date.now() - startedAt,
      }),
    );
  }
};
