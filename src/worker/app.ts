import { Hono } from "hono";
import { requestId } from "hono/request-id";
import { HEALTH_PATH, healthResponse } from "./health.ts";
import { requestLog } from "./request-log.ts";
import { runtimeFor } from "./runtime.ts";
import type { WorkerEnv } from "./worker-env.ts";

/**
 * The template Worker: a paywall in front of any origin. The composition root,
 * and the only place that knows the env and its bindings:
 *
 *   requestId → requestLog → health → (config, built once per isolate) → admin API, discovery → l402Paywall → forwardToOrigin
 */
const DISCOVERY_PATHS = new Set(["/.well-known/l402-services", "/openapi.json"]);
export function createWorkerApp(): Hono<WorkerEnv> {
  const app = new Hono<WorkerEnv>();
  // Cloudflare's ray id, when there is one; never an id the client chose.
  app.use(requestId({ headerName: "", generator: (c) => c.req.header("cf-ray") ?? crypto.randomUUID() }));
  app.use(requestLog);

  app.onError((error, c) => {
    const requestId = c.get("requestId");
    c.set("endpoint", "internal_error");
    console.error(JSON.stringify({ requestId, error: String(error) }));
    return c.json({ reason: "internal_error", detail: "unexpected error", request_id: requestId }, 500, { "Cache-Control": "no-store" });
  });

  app.get(HEALTH_PATH, (c) => {
    c.set("endpoint", "health");
    return healthResponse(runtimeFor(c.env));
  });

  app.use(async (c, next) => {
    const loaded = runtimeFor(c.env);
    if (!loaded.ok) {
      c.set("endpoint", "misconfigured");
      console.error(JSON.stringify({ requestId: c.get("requestId"), misconfigured: loaded.problems }));
      return c.json({ reason: "misconfigured", detail: "the paywall is not configured correctly", request_id: c.get("requestId") }, 500, { "Cache-Control": "no-store" });
    }
    const runtime = loaded.value;
    const { adminPath } = runtime.config;
    if (c.req.path === adminPath || c.req.path.startsWith(`${adminPath}/`)) {
      c.set("endpoint", "admin");
      if (runtime.admin === undefined) return c.json({ reason: "not_found", detail: "the admin API is not enabled" }, 404, { "Cache-Control": "no-store" });
      return runtime.admin.fetch(c.req.raw, c.env, c.executionCtx);
    }
    if (runtime.discovery !== undefined && DISCOVERY_PATHS.has(c.req.path) && (c.req.method === "GET" || c.req.method === "HEAD" || c.req.method === "OPTIONS")) {
      c.set("endpoint", "discovery");
      return runtime.discovery.fetch(c.req.raw, c.env, c.executionCtx);
    }
    c.set("runtime", runtime);
    await next();
  });
  app.use((c, next) => c.get("runtime").paywall(c, next));
  app.all("*", (c, next) => c.get("runtime").forwarder(c, next));
  return app;
}
