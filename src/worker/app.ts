import { Hono, type Context } from "hono";
import { cors } from "hono/cors";
import { requestId } from "hono/request-id";
import { adminApp } from "../admin/app.ts";
import { discoveryApp, MANIFEST_PATH, QUOTE_PATH } from "../discovery/index.ts";
import type { McpEndpoint } from "../mcp/index.ts";
import { withBreaker } from "../lightning/index.ts";
import { BUILT_IN_SCHEMES, isPaywallCookieName, paywallMiddleware, quoteEndpoint, type PaywallSettings } from "../paywall/index.ts";
import { forwardToOrigin } from "../proxy/forward-to-origin.ts";
import { HEALTH_PATH, healthResponse, misconfiguredHealth } from "./health.ts";
import { recordingIssuance } from "./issuance.ts";
import { parseConfig } from "./load-config.ts";
import { nodeBackend } from "./node-backend.ts";
import { cloudflarePorts } from "./ports.ts";
import { requestLog } from "./request-log.ts";
import type { WorkerConfig } from "./worker-config.ts";
import type { Endpoint, WorkerEnv } from "./worker-env.ts";

/**
 * The template Worker: a paywall in front of any origin. The composition root,
 * and the only place that knows the env and its bindings. The settings are in
 * the env, which a Worker first sees with a request, so the whole app is built
 * then, once per isolate per env object:
 *
 *   requestId → requestLog → health → admin API, discovery, MCP → l402Paywall → forwardToOrigin
 *
 * An MCP tool call is run as the request it stands for through an app of the
 * last two alone (its own id and log line), so it is judged, metered and
 * forwarded as that request would be, and never reaches the Worker's own
 * endpoints.
 */
export function createWorkerApp(): Hono<WorkerEnv> {
  const app = new Hono<WorkerEnv>();
  app.all("*", (c) => appFor(c.env).fetch(c.req.raw, c.env, c.executionCtx));
  return app;
}

const apps = new WeakMap<object, Hono<WorkerEnv>>();

function appFor(env: Env): Hono<WorkerEnv> {
  const cached = apps.get(env);
  if (cached !== undefined) return cached;
  let app: Hono<WorkerEnv>;
  try {
    const loaded = parseConfig(env);
    app = loaded.ok ? paywalledApp(env, loaded.value) : misconfiguredApp(loaded.problems);
  } catch (error) {
    // Not kept: the next request tries again. Thrown inside an app, it is answered and logged as any unexpected error.
    const failing = withRequestLog();
    failing.all("*", () => {
      throw error;
    });
    return failing;
  }
  apps.set(env, app);
  return app;
}

/**
 * The CORS the template answers with: any origin may read the paid API, with
 * credentials in headers. Never with cookies (no Allow-Credentials): a browser
 * payment's cookie serves its own origin only. The paywall applies it, not an
 * `app.use(cors())` before it: only the paywall knows which requests are a
 * service's (one matching none gets no CORS, its OPTIONS passed on), and
 * Hono's cors() answers every OPTIONS, where the paywall challenges one
 * without Origin (worker-answers.test.ts holds both).
 */
const CORS = { origin: (origin: string) => origin, allowMethods: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"], maxAge: 86_400 };

function paywalledApp(env: Env, config: WorkerConfig): Hono<WorkerEnv> {
  // Per isolate: the breaker guards the node from this isolate's traffic. Issuance is recorded inside it: health names the node's last failure, not the breaker's.
  const issuance = recordingIssuance(nodeBackend(config.node, config.network, env));
  const backend = withBreaker(issuance.backend, { threshold: config.breakerThreshold, cooldownMs: config.breakerCooldownSeconds * 1000 });
  const ports = cloudflarePorts(env, config.revocationTtlSeconds);
  const app = withRequestLog(config.logPasses);
  app.get(HEALTH_PATH, (c) => {
    c.set("endpoint", "health");
    return healthResponse({ config, backend, issuance: issuance.record });
  });

  const { adminPath, adminToken } = config;
  if (adminToken === undefined) {
    app.all(`${adminPath}/*`, (c) => {
      c.set("endpoint", "admin");
      return c.json({ reason: "not_found", detail: "the admin API is not enabled" }, 404, { "Cache-Control": "no-store" });
    });
  } else {
    const admin = adminApp({ token: adminToken, services: config.services, ledger: ports.ledger, revocations: ports.revocations, revocationStalenessSeconds: config.revocationTtlSeconds });
    mount(app, adminPath, admin, "admin");
  }
  const settings: PaywallSettings = {
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
  };
  const clientAddress = (c: Context) => c.req.header("cf-connecting-ip") ?? null;
  if (config.discovery !== undefined) {
    const { sellerName, sellerDescription, openapi } = config.discovery;
    mount(app, "/", discoveryApp({ services: config.services, seller: { name: sellerName, description: sellerDescription }, mcpPath: config.mcpPath, quotePath: QUOTE_PATH, ...(openapi === undefined ? {} : { openapi }) }), "discovery");
    mount(app, "/", quoteApp(settings, clientAddress), "discovery");
  }

  const paywall = paywallMiddleware<WorkerEnv>(settings, { cors: CORS, clientAddress, ...(config.discovery === undefined ? {} : { manifestPath: MANIFEST_PATH }) });
  const forward = forwardToOrigin<WorkerEnv>({
    unmatched: config.unmatched,
    withholdCookie: isPaywallCookieName,
    ...(config.originSecret === undefined ? {} : { originAuth: [config.originAuthHeader, config.originSecret] as const }),
  });
  if (config.services.some((service) => service.mcp !== undefined)) {
    const sold = withRequestLog(config.logPasses);
    sold.use(paywall);
    sold.all("*", forward);
    const name = config.discovery?.sellerName ?? "l402-edge";
    let endpoint: McpEndpoint | undefined;
    // Any origin may call it: a call's credential travels in its body, never in a cookie.
    app.all(config.mcpPath, cors({ origin: "*", allowMethods: ["POST", "OPTIONS"], allowHeaders: ["Content-Type", "Accept", "MCP-Protocol-Version"] }), async (c) => {
      c.set("endpoint", "mcp");
      // Loaded on the first call: the MCP SDK and zod, some 200 KiB of the bundle, are never evaluated by an isolate that only forwards.
      endpoint ??= (await import("../mcp/index.ts")).mcpEndpoint({ services: config.services, name, passOn: ["cf-connecting-ip"] });
      return endpoint(c.req.raw, async (request) => sold.fetch(request, c.env, c.executionCtx));
    });
  }
  app.use(paywall);
  app.all("*", forward);
  return app;
}

/**
 * `POST /l402/quote` (paywall/quote.ts), answered ahead of the paywall as the
 * discovery documents are, so no service's pattern can charge for it; open to
 * any origin, as the proposal asks.
 */
function quoteApp(settings: PaywallSettings, clientAddress: (c: Context) => string | null): Hono {
  const quote = quoteEndpoint(settings);
  const app = new Hono();
  app.use(QUOTE_PATH, cors({ origin: "*", allowMethods: ["POST"] }));
  app.all(QUOTE_PATH, (c) => quote(c.req.raw, { address: clientAddress(c), userAgent: c.req.header("user-agent") ?? null }, (work) => c.executionCtx.waitUntil(work)));
  return app;
}

/** An env that does not hold together: health names its problems, every other request is a 500 that names none. */
function misconfiguredApp(problems: readonly string[]): Hono<WorkerEnv> {
  const app = withRequestLog();
  app.get(HEALTH_PATH, (c) => {
    c.set("endpoint", "health");
    return misconfiguredHealth(problems);
  });
  app.all("*", (c) => {
    c.set("endpoint", "misconfigured");
    console.error(JSON.stringify({ requestId: c.get("requestId"), misconfigured: problems }));
    return c.json({ reason: "misconfigured", detail: "the paywall is not configured correctly", request_id: c.get("requestId") }, 500, { "Cache-Control": "no-store" });
  });
  return app;
}

/** An app whose every request has an id and a log line (a share of passes: `L402_LOG_PASSES`), and whose unexpected errors are a 500 that names none. */
function withRequestLog(passShare?: number): Hono<WorkerEnv> {
  const app = new Hono<WorkerEnv>();
  // Cloudflare's ray id, when there is one; never an id the client chose.
  app.use(requestId({ headerName: "", generator: (c) => c.req.header("cf-ray") ?? crypto.randomUUID() }));
  app.use(requestLog(passShare));
  app.onError((error, c) => {
    const id = c.get("requestId");
    c.set("endpoint", "internal_error");
    console.error(JSON.stringify({ requestId: id, error: String(error) }));
    return c.json({ reason: "internal_error", detail: "unexpected error", request_id: id }, 500, { "Cache-Control": "no-store" });
  });
  return app;
}

/** `app.route(path, sub)`, with each request one of sub's routes takes named `endpoint` in the request log. */
function mount(app: Hono<WorkerEnv>, path: string, sub: Hono, endpoint: Endpoint): void {
  const labels = new Hono<WorkerEnv>();
  const seen = new Set<string>();
  for (const { method, path: routePath } of sub.routes) {
    if (seen.has(`${method} ${routePath}`)) continue;
    seen.add(`${method} ${routePath}`);
    labels.on(method, routePath, async (c, next) => {
      c.set("endpoint", endpoint);
      await next();
    });
  }
  app.route(path, labels);
  app.route(path, sub);
}
