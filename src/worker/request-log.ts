import type { MiddlewareHandler } from "hono";
import type { L402Outcome } from "../paywall/index.ts";
import { answeredAt, type AnsweredAt } from "./decision-metrics.ts";
import type { WorkerEnv } from "./worker-env.ts";

/** Told of every request the paywall decided (not the Worker's own endpoints), once it is answered. */
export type DecisionObserver = (outcome: L402Outcome, at: AnsweredAt, later: (work: Promise<unknown>) => void) => void;

/**
 * One structured JSON line per request. Built from chosen fields only (the
 * paywall's outcome, the template's own endpoints), so a preimage, macaroon or
 * secret has no way in. A request the paywall decided is told to `observe`
 * too (the metrics: decision-metrics.ts).
 */
export const requestLog =
  (observe?: DecisionObserver): MiddlewareHandler<WorkerEnv> =>
  async (c, next) => {
    const startedAt = Date.now();
    const url = new URL(c.req.url);
    try {
      await next();
    } finally {
      const paywall = c.get("l402Outcome");
      const endpoint = c.get("endpoint");
      console.log(
        JSON.stringify({
          requestId: c.get("requestId"),
          method: c.req.method,
          host: url.host,
          path: url.pathname.slice(0, 512),
          ...paywall,
          outcome: endpoint ?? paywall?.outcome,
          status: c.res.status,
          latencyMs: Date.now() - startedAt,
        }),
      );
      if (observe !== undefined && paywall !== undefined && endpoint === undefined) observe(paywall, answeredAt(c.req.raw), (work) => c.executionCtx.waitUntil(work));
    }
  };
