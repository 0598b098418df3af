import type { MiddlewareHandler } from "hono";
import type { L402Outcome, Outcome } from "../paywall/index.ts";
import { answeredAt, type AnsweredAt } from "./decision-metrics.ts";
import type { WorkerEnv } from "./worker-env.ts";

/**
 * Told of every request the paywall decided (not the Worker's own endpoints),
 * once it is answered. `at` is read only when wanted: `request.cf` is parsed
 * on its first read, a cost every paid request would otherwise pay.
 */
export type DecisionObserver = (outcome: L402Outcome, at: () => AnsweredAt, later: (work: Promise<unknown>) => void) => void;

/** The paywall's outcomes for a request it let through: the bulk of a busy Worker's traffic, and the lines `L402_LOG_PASSES` may thin out. */
const PASSES: ReadonlySet<Outcome> = new Set<Outcome>(["paid", "free", "freebie", "unmatched"]);

/**
 * One structured JSON line per request. Built from chosen fields only (the
 * paywall's outcome, the template's own endpoints), so a preimage, macaroon or
 * secret has no way in. `passShare` (L402_LOG_PASSES) is the share of requests
 * let through that are logged, drawn at random per request; every other
 * answer (a challenge, a refusal, an error, the template's endpoints) always is.
 * A request the paywall decided is told to `observe` too, logged or not (the
 * metrics: decision-metrics.ts).
 */
export function requestLog(observe?: DecisionObserver, passShare = 1): MiddlewareHandler<WorkerEnv> {
  return async (c, next) => {
    const startedAt = Date.now();
    try {
      await next();
    } finally {
      const paywall = c.get("l402Outcome");
      const endpoint = c.get("endpoint");
      const pass = endpoint === undefined && paywall !== undefined && PASSES.has(paywall.outcome);
      if (!pass || passShare === 1 || (passShare > 0 && Math.random() < passShare)) {
        // The path as the paywall read it (what it matched, and what the origin got): `//api/%70remium` is logged as `/api/premium`.
        const { host, path } = hostAndPath(c.get("l402Url")?.href ?? c.req.url);
        console.log(
          JSON.stringify({
            requestId: c.get("requestId"),
            method: c.req.method,
            host,
            path: path.slice(0, 512),
            ...paywall,
            outcome: endpoint ?? paywall?.outcome,
            status: c.res.status,
            latencyMs: Date.now() - startedAt,
          }),
        );
      }
      if (observe !== undefined && paywall !== undefined && endpoint === undefined) observe(paywall, () => answeredAt(c.req.raw), (work) => c.executionCtx.waitUntil(work));
    }
  };
}

/**
 * `URL.host` and `URL.pathname` of a request's URL, read off the text: the
 * runtime hands a Worker its request's URL already parsed and serialized
 * (`scheme://host/path?query`), so no second parse is needed.
 */
function hostAndPath(href: string): { host: string; path: string } {
  const hostStart = href.indexOf("//") + 2;
  const pathStart = href.indexOf("/", hostStart);
  if (pathStart === -1) return { host: href.slice(hostStart), path: "/" };
  const query = href.indexOf("?", pathStart);
  const fragment = href.indexOf("#", pathStart);
  const end = Math.min(query === -1 ? href.length : query, fragment === -1 ? href.length : fragment);
  return { host: href.slice(hostStart, pathStart), path: href.slice(pathStart, end) };
}
