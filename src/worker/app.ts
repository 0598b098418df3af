import type { Context } from "hono";
import { Hono } from "hono/tiny";
import { cors } from "hono/cors";
import { requestId } from "hono/request-id";
import { adminApp } from "../admin/app.ts";
import { isolateDecisionCounts, type DecisionStats } from "../admin/decision-stats.ts";
import { dashboardApp } from "../admin/dashboard/app.ts";
import { discoveryApp, MANIFEST_PATH, QUOTE_PATH } from "../discovery/index.ts";
import type { McpEndpoint } from "../mcp/index.ts";
import { withBreaker } from "../lightning/index.ts";
import { isPaywallCookieName, l402Scheme, paymentScheme, x402Scheme, paywallMiddleware, quoteEndpoint, type PaywallSettings } from "../paywall/index.ts";
import { forwardToOrigin } from "../proxy/forward-to-origin.ts";
import type { ServicesAdmin } from "../admin/service-routes.ts";
import type { ServiceConfig } from "../config/index.ts";
import type { InvoiceBackend } from "../lightning/index.ts";
import { d1DecisionCounts } from "./d1-decision-counts.ts";
import { d1Overrides } from "./d1-overrides.ts";
import { liveServices, type Served } from "./live-services.ts";
import { HEALTH_PATH, healthResponse, misconfiguredHealth } from "./health.ts";
import { recordingIssuance } from "./issuance.ts";
import { parseConfig } from "./load-config.ts";
import { nodeBackend } from "./node-backend.ts";
import { JWKS_PATH } from "../context/index.ts";
import { paymentContextSigner } from "./payment-context.ts";
import { cloudflareDashboardPorts } from "./dashboard-ports.ts";
import { cloudflarePorts, poolNode } from "./ports.ts";
import { decisionRecorder } from "./decision-metrics.ts";
import { requestLog, type DecisionObserver } from "./request-log.ts";
import type { WorkerConfig } from "./worker-config.ts";
import type { Endpoint, WorkerEnv } from "./worker-env.ts";
import type { WorkerBindings } from "./bindings.ts";

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
export function createWorkerApp(): WorkerHandler {
  // A plain handler, not an app of one route: every request would pay a second router and context for nothing.
  return {
    async fetch(request, env, ctx) {
      try {
        // The runtime's env (or a test's variation of it), taken as a Hono app takes it.
        const app = await servedFor(env as WorkerBindings, () => request.cf?.colo)((work) => ctx.waitUntil(work));
        return await app.fetch(request, env, ctx);
      } catch (error) {
        // The app could not be built (not kept: the next request tries again), or its own error answer failed: a 500 naming nothing, and a log line.
        return failingApp(error).fetch(request, env, ctx);
      }
    },
  };
}

/** The template Worker's entry, as a module Worker's default export takes it. */
export interface WorkerHandler {
  fetch(request: Request, env: object, ctx: ExecutionContext): Promise<Response>;
}

const apps = new WeakMap<object, Served>();

/** `colo`: where this isolate runs (every request it gets arrives there), the invoice pool's shard; read once, when the app is built (`request.cf` is parsed on its first read). */
function servedFor(env: WorkerBindings, colo: () => unknown): Served {
  const cached = apps.get(env);
  if (cached !== undefined) return cached;
  const loaded = parseConfig(env);
  let served: Served;
  if (loaded.ok) {
    const where = colo();
    served = paywalledApp(env, loaded.value, typeof where === "string" ? where : "");
  } else {
    const app = misconfiguredApp(loaded.problems);
    served = () => app;
  }
  apps.set(env, served);
  return served;
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

/**
 * The paywalled app, as the services in effect make it: the config's, or,
 * with run-time overrides, the app rebuilt each time they change
 * (live-services.ts). The node, its breaker and the ports are the isolate's,
 * whichever services are in effect.
 */
function paywalledApp(env: WorkerBindings, config: WorkerConfig, colo: string): Served {
  // Per isolate: the breaker guards the node from this isolate's traffic. Issuance is recorded inside it: health names the node's last failure, not the breaker's.
  const issuance = recordingIssuance(nodeBackend(config.node, config.network, env));
  const backend = withBreaker(issuance.backend, { threshold: config.breakerThreshold, cooldownMs: config.breakerCooldownSeconds * 1000 });
  const ports = cloudflarePorts(env, config.revocationTtlSeconds, { bounds: config.invoicePool, colo, node: poolNode(config.node, config.network) });
  // Per isolate (one env object each), whichever services are in effect: what /metrics reads (every isolate's through D1 with L402_DECISION_FLUSH_SECONDS); a data point per decision when the dataset is bound.
  const db = env.L402_LEDGER;
  // A build without the admin API (build.ts) never has a flush period (the config check refuses L402_DECISION_FLUSH_SECONDS); the define is read in the condition, where the bundler folds it.
  const decisions = globalThis.L402_BUILD_ADMIN !== false && config.decisionFlushSeconds !== undefined && db !== undefined ? d1DecisionCounts(db, config.decisionFlushSeconds) : isolateDecisionCounts();
  const observe = decisionRecorder(decisions, env.L402_ANALYTICS);
  const parts = { issuance, backend, ports, decisions, observe, dashboardPorts: globalThis.L402_BUILD_ADMIN === false ? undefined : cloudflareDashboardPorts(env, ports, decisions) };
  const ttlSeconds = config.overridesTtlSeconds;
  // A build without overrides (build.ts) never has a TTL (the config check refuses L402_OVERRIDES); the define is read in the condition, where the bundler folds it.
  if (globalThis.L402_BUILD_OVERRIDES !== false && ttlSeconds !== undefined && db !== undefined) {
    return liveServices(config, d1Overrides(db), ttlSeconds, (services, overrides) => servingApp(config, services, parts, overrides));
  }
  const app = servingApp(config, config.services, parts, undefined);
  return () => app;
}

interface IsolateParts {
  readonly issuance: ReturnType<typeof recordingIssuance>;
  readonly backend: InvoiceBackend;
  readonly ports: ReturnType<typeof cloudflarePorts>;
  readonly decisions: DecisionStats;
  readonly observe: DecisionObserver;
  readonly dashboardPorts: ReturnType<typeof cloudflareDashboardPorts>;
}

function servingApp(config: WorkerConfig, services: readonly ServiceConfig[], { issuance, backend, ports, decisions, observe, dashboardPorts }: IsolateParts, overrides: ServicesAdmin | undefined): Hono<WorkerEnv> {
  const app = withRequestLog(observe, config.logPasses);
  app.get(HEALTH_PATH, (c) => {
    c.set("endpoint", "health");
    return healthResponse({ config, backend, issuance: issuance.record, later: (work) => c.executionCtx.waitUntil(work) });
  });

  const { adminPath, adminToken } = config;
  // A build without them (build.ts) never has a token: the config check refuses L402_ADMIN_TOKEN.
  if (globalThis.L402_BUILD_ADMIN === false || adminToken === undefined) {
    app.all(`${adminPath}/*`, (c) => {
      c.set("endpoint", "admin");
      return c.json({ reason: "not_found", detail: "the admin API is not enabled" }, 404, { "Cache-Control": "no-store" });
    });
  } else {
    // Before the admin API, whose bearer token it does not take: a browser signs in with a form, for a session cookie.
    if (dashboardPorts !== undefined) {
      const basePath = `${adminPath}/dashboard`;
      const dashboard = dashboardApp({ adminToken, basePath, services, ports: dashboardPorts, clientAddress: (request) => request.headers.get("cf-connecting-ip"), revocationStalenessSeconds: config.revocationTtlSeconds, overrides });
      mount(app, basePath, dashboard, "admin");
    }
    const admin = adminApp({ token: adminToken, services, ledger: ports.ledger, revocations: ports.revocations, revocationStalenessSeconds: config.revocationTtlSeconds, overrides, decisions });
    mount(app, adminPath, admin, "admin");
  }
  const settings: PaywallSettings = {
    services,
    // In the order challenges are written; a scheme the build left out (build.ts) no service offers: the config check refuses it.
    schemes: [l402Scheme, ...(globalThis.L402_BUILD_MPP === false ? [] : [paymentScheme]), ...(globalThis.L402_BUILD_X402 === false ? [] : [x402Scheme])],
    keyring: config.keyring,
    backend,
    ports,
    invoiceExpirySeconds: config.invoiceExpirySeconds,
    memo: config.memo,
    challengeCacheSeconds: config.challengeCacheSeconds,
    mintRetryAfterSeconds: config.mintRetryAfterSeconds,
    location: config.location,
    fiatRate: config.fiatRate,
    shadowNotice: config.shadowNotice,
  };
  const clientAddress = (c: Context) => c.req.header("cf-connecting-ip") ?? null;
  if (config.discovery !== undefined) {
    const { sellerName, sellerDescription, openapi } = config.discovery;
    mount(app, "/", discoveryApp({ services, seller: { name: sellerName, description: sellerDescription }, mcpPath: config.mcpPath, quotePath: QUOTE_PATH, ...(config.overridesTtlSeconds === undefined ? {} : { maxAgeSeconds: Math.min(300, config.overridesTtlSeconds) }), ...(openapi === undefined ? {} : { openapi }) }), "discovery");
    mount(app, "/", quoteApp(settings, clientAddress), "discovery");
  }

  const context = globalThis.L402_BUILD_CONTEXT === false || config.paymentContext === undefined ? undefined : paymentContextSigner(config.paymentContext);
  if (context !== undefined) {
    // Ahead of the paywall, as discovery is: no service's pattern can charge for the keys.
    app.get(JWKS_PATH, (c) => {
      c.set("endpoint", "discovery");
      return context.jwks();
    });
  }

  const paywall = paywallMiddleware<WorkerEnv>(settings, { cors: CORS, clientAddress, ...(config.discovery === undefined ? {} : { manifestPath: MANIFEST_PATH }) });
  const forward = forwardToOrigin<WorkerEnv>({
    unmatched: config.unmatched,
    withholdCookie: isPaywallCookieName,
    ...(config.originSecret === undefined ? {} : { originAuth: [config.originAuthHeader, config.originSecret] as const }),
    paymentContext: { header: config.contextHeader, sign: context?.sign },
  });
  if (services.some((service) => service.mcp !== undefined)) {
    const sold = withRequestLog(observe, config.logPasses);
    sold.use(paywall);
    sold.all("*", forward);
    const name = config.discovery?.sellerName ?? "l402-edge";
    let endpoint: McpEndpoint | undefined;
    // Any origin may call it: a call's credential travels in its body, never in a cookie.
    app.all(config.mcpPath, cors({ origin: "*", allowMethods: ["POST", "OPTIONS"], allowHeaders: ["Content-Type", "Accept", "MCP-Protocol-Version"] }), async (c) => {
      c.set("endpoint", "mcp");
      // Loaded on the first call: the MCP SDK and zod, some 200 KiB of the bundle, are never evaluated by an isolate that only forwards.
      // A build without it (build.ts) never gets here: the config check refuses a service sold as a tool.
      if (globalThis.L402_BUILD_MCP !== false) {
        endpoint ??= (await import("../mcp/index.ts")).mcpEndpoint({ services, name, passOn: ["cf-connecting-ip", "user-agent", "cf-ray"] });
        return endpoint(c.req.raw, async (request) => sold.fetch(request, c.env, c.executionCtx));
      }
      throw new Error("unreachable: the config check refuses MCP tools in a build without them");
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

/** An app that answers with `error`, thrown inside it: a 500 naming nothing, and a log line, as any unexpected error. */
function failingApp(error: unknown): Hono<WorkerEnv> {
  const app = withRequestLog();
  app.all("*", () => {
    throw error;
  });
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

/** An app whose every request has an id and a log line (a share of passes: `L402_LOG_PASSES`; its decision observed: metrics), and whose unexpected errors are a 500 that names none. */
function withRequestLog(observe?: DecisionObserver, passShare?: number): Hono<WorkerEnv> {
  const app = new Hono<WorkerEnv>();
  // Cloudflare's ray id, when there is one; never an id the client chose.
  app.use(requestId({ headerName: "", generator: (c) => c.req.header("cf-ray") ?? crypto.randomUUID() }));
  app.use(requestLog(observe, passShare));
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
