import type { Context, ExecutionContext, MiddlewareHandler, Next } from "hono";
import { cors } from "hono/cors";
import { baseRoutePath, routePath } from "hono/route";
import { refusal, requestIdIn } from "../refusal.ts";
import { afterDecide, beforeDecide } from "./browser/browser-step.ts";
import { chargedAccess } from "./charged-access.ts";
import { completeCredential } from "./complete-credential.ts";
import { decide } from "./decide.ts";
import type { Answer, Decision, Pass, Refusal, Reply } from "./decision.ts";
import { settingsEnv } from "./env-settings.ts";
import type { Later } from "./issue-challenge.ts";
import { matchService } from "./match.ts";
import { pathsOutsideMount } from "./mount-check.ts";
import { checkOptions, PaywallConfigError, resolvePaywall, type PaywallOptionsBase } from "./options.ts";
import { changeHeaders, passedChanges } from "./passed.ts";
import { createPaywall, type Paywall } from "./paywall.ts";
import { consoleLog, logRefusal, type PaywallLog } from "./refusal-log.ts";
import { readRequest, type PaywallRequest } from "./request.ts";
import { respond } from "./respond.ts";
import { runtimeAddress } from "./runtime-address.ts";
import { shadowed } from "./shadow.ts";
import type { PaywallSettings } from "./settings.ts";
import type { PaywallEnv } from "./types.ts";
import { onWorkers } from "../platform.ts";

export type CorsOptions = NonNullable<Parameters<typeof cors>[0]>;

/** What `l402Paywall()` takes: the paywall's options (options.ts), and Hono's own. */
export interface PaywallOptions extends PaywallOptionsBase {
  /** CORS on every answer the paywall gives and every request it lets through to a service; off by default. */
  readonly cors?: CorsOptions;
  /**
   * The client's address, for free allowances, the mint limit and the challenge cache (default: `CF-Connecting-IP` on
   * Workers, where Cloudflare sets it; elsewhere the socket's address as @hono/node-server gives it, or none).
   */
  readonly clientAddress?: (c: Context) => string | null;
}

/** What PaywallOptions adds to PaywallOptionsBase. */
const HONO_OPTIONS = ["cors", "clientAddress"];

/** Headers of the paywall's answers a browser script may read, whatever else the CORS options expose. */
const EXPOSED_HEADERS = ["WWW-Authenticate", "Retry-After", "X-L402-Remaining", "X-L402-Balance", "X-L402-Freebies-Remaining", "Payment-Receipt", "PAYMENT-REQUIRED", "PAYMENT-RESPONSE", "Link", "X-L402-Notice"];

/**
 * The paywall as Hono middleware: `app.use("/api/*", l402Paywall({ service }))`.
 *
 * A request with a valid credential reaches the next handler with `c.var.l402`
 * set (token id, service, grant, uses left); one without gets a 402 with a fresh
 * (or its recent) challenge, or a 429 / 503 when none can be made. Requests
 * matching no service pass on untouched but for `c.var.l402Route`. Each refusal
 * the paywall answers on its own side is logged, one line (refusal-log.ts).
 *
 * Options without a keyring or a backend take them from the env's settings
 * (env-settings.ts) on the first request for each env. Given as a function of
 * the context, options are built on the first request for each env too.
 * Service definitions that do not hold together throw a `PaywallConfigError`
 * when the middleware is made; anything found wrong on a request (the env's
 * settings, options from the context) is a 500 `misconfigured` naming the
 * fields in the log, never a crash.
 */
export function l402Paywall<E extends PaywallEnv = PaywallEnv>(options: PaywallOptions | ((c: Context<E>) => PaywallOptions)): MiddlewareHandler<E> {
  if (typeof options !== "function") {
    if (options.keyring !== undefined && options.backend !== undefined) return mountedMiddleware(resolvePaywall(options, {}, HONO_OPTIONS), edgeOf(options));
    checkOptions(options, HONO_OPTIONS);
  }
  const built = new WeakMap<object, MiddlewareHandler<E>>();
  return async (c, next) => {
    // Options from the context are the app's, built per env; otherwise what differs per env is where the settings are.
    const key = typeof options === "function" ? appEnv(c.env) : settingsEnv(c.env);
    let handler = built.get(key);
    if (handler === undefined) {
      handler = buildFor(c, options);
      built.set(key, handler);
    }
    return handler(c, next);
  };
}
const NO_ENV = {};

/**
 * The env options from the context are built once for: a Worker's bindings,
 * the same object for every request of an isolate (and Bun's server). Some
 * runtimes give each request an env of its own: @hono/node-server
 * (`{ incoming, outgoing }`, and `wss` for a WebSocket upgrade), Deno.serve
 * (`{ remoteAddr, completed }`): one build serves them all, or each request
 * would get a paywall of its own (its breaker, and any ports the options make,
 * such as `memoryPorts()`, starting afresh).
 */
function appEnv(env: unknown): object {
  if (typeof env !== "object" || env === null) return NO_ENV;
  const names = Object.keys(env);
  const perRequest = PER_REQUEST_ENVS.some(({ marks, names: all }) => names.includes(marks) && names.every((name) => all.has(name)));
  return perRequest ? NO_ENV : env;
}
const PER_REQUEST_ENVS: readonly { readonly marks: string; readonly names: ReadonlySet<string> }[] = [
  { marks: "incoming", names: new Set(["incoming", "outgoing", "wss"]) },
  { marks: "remoteAddr", names: new Set(["remoteAddr", "completed"]) },
];

/** What the Hono adapter adds to a paywall: CORS, where the client's address is read, where refusals are logged. */
export interface HonoEdge {
  readonly cors?: CorsOptions | undefined;
  readonly clientAddress?: ((c: Context) => string | null) | undefined;
  readonly log?: PaywallLog | undefined;
  /** The L402 manifest's path on the request's origin, when the app serves one: each 402 links it. */
  readonly manifestPath?: string | undefined;
}

const edgeOf = (options: PaywallOptions): HonoEdge => ({ cors: options.cors, clientAddress: options.clientAddress, log: options.log === false ? undefined : (options.log ?? consoleLog) });

function buildFor<E extends PaywallEnv>(c: Context<E>, options: PaywallOptions | ((c: Context<E>) => PaywallOptions)): MiddlewareHandler<E> {
  let given: PaywallOptions | undefined;
  try {
    given = typeof options === "function" ? options(c) : options;
    return mountedMiddleware(resolvePaywall(given, settingsEnv(c.env), HONO_OPTIONS), edgeOf(given));
  } catch (error) {
    if (!(error instanceof PaywallConfigError)) throw error;
    const log = given?.log === false ? undefined : (given?.log ?? consoleLog);
    return misconfigured(error.problems, log);
  }
}

/** Every request answered 500, and logged with the problems by field (never a value: the schema quotes none). */
function misconfigured<E extends PaywallEnv>(problems: readonly string[], log: PaywallLog | undefined): MiddlewareHandler<E> {
  return async (c) => {
    const outcome = { outcome: "misconfigured" as const, detail: problems.join("; ") };
    c.set("l402Outcome", outcome);
    c.res = refusal(500, { reason: "misconfigured", detail: "the paywall is not configured correctly" }, { headers: c.req.raw.headers, requestId: requestIdIn(c.var) });
    if (log !== undefined) logRefusal(log, outcome, { status: 500, method: c.req.method, url: new URL(c.req.url), requestId: requestIdIn(c.var) });
  };
}

/**
 * The middleware for settings already resolved (the template Worker resolves
 * its own from its env). Any app env whose variables include `L402Variables`
 * fits: Hono's Context is invariant in its env, hence the one cast below.
 */
export function paywallMiddleware<E extends PaywallEnv = PaywallEnv>(settings: PaywallSettings, edge: HonoEdge = {}): MiddlewareHandler<E> {
  const paywall = createPaywall(settings);
  const withCors = edge.cors === undefined ? undefined : cors({ ...edge.cors, exposeHeaders: [...EXPOSED_HEADERS, ...(edge.cors.exposeHeaders ?? [])] });
  const clientAddress = edge.clientAddress ?? defaultClientAddress;
  // Said once, as withPaywall says it: off Workers, a runtime that hands the app no address (none the adapters know) makes every client one.
  let warned = edge.clientAddress !== undefined || edge.log === undefined || onWorkers();
  return async (context, next) => {
    const c = context as unknown as Context<PaywallEnv>;
    const address = clientAddress(c);
    if (address === null && !warned) {
      warned = true;
      console.warn("l402Paywall: this runtime gave no client address, so every client shares one free allowance and one mint limit: pass clientAddress");
    }
    const read = readRequest(c.req.raw, { address, userAgent: c.req.header("user-agent") ?? null }, Math.floor(Date.now() / 1000), settings.services);
    // CORS is a service's: a request matching none passes on without it (its OPTIONS too).
    const service = read.ok && withCors !== undefined ? matchService(settings.services, read.value.url) : undefined;
    // A preflight is answered by the CORS middleware. Without one it is a request like
    // any other: passing it on unpaid would hand it to any handler that takes OPTIONS.
    if (service !== undefined && withCors !== undefined && isPreflight(c)) {
      c.set("l402Outcome", { outcome: "preflight", service: service.name });
      if (read.ok) c.set("l402Url", read.value.url);
      return withCors(c, next);
    }
    // Answers are set on the context, inside the CORS middleware for a browser's request (it sends
    // Origin; WebSocket upgrades are not subject to CORS), which then adds its headers to them.
    const browser = withCors !== undefined && (service !== undefined || !read.ok) && c.req.header("origin") !== undefined && c.req.header("upgrade") === undefined;
    const run = async () => {
      if (read.ok) return handle(c, next, paywall, edge, read.value);
      // The request as it came (its URL has no canonical form) is all a refusal needs.
      const asSent = { method: c.req.method, url: new URL(c.req.url), headers: c.req.raw.headers, client: { address: null, userAgent: null }, now: 0 };
      return answer(c, paywall, edge, asSent, { kind: "refuse", status: 400, reason: read.reason, detail: read.detail, cookies: [], outcome: { outcome: "refused", reason: read.reason } });
    };
    if (!browser) return run();
    // An OPTIONS that is no preflight (no Access-Control-Request-Method) is answered 204 by the CORS middleware itself, reaching neither the paywall nor the app: that answer is returned.
    const answered = await withCors(c, async () => void (await run()));
    // The origin a browser's request names is allowed to read the answer; an app's (or origin's) own
    // Access-Control-Allow-Credentials on it would let any site read what its cookies are sent for.
    if (answered === undefined && edge.cors?.credentials !== true && c.res.headers.has("access-control-allow-credentials")) c.header("Access-Control-Allow-Credentials", undefined);
    return answered;
  };
}

/**
 * The app's middleware: `paywallMiddleware`, answering 500 instead under a
 * mount whose path the services' patterns do not name (mount-check.ts), as an
 * app's sub-app may be mounted anywhere. (The template Worker's is at the root.)
 */
function mountedMiddleware<E extends PaywallEnv>(settings: PaywallSettings, edge: HonoEdge): MiddlewareHandler<E> {
  const paywall = paywallMiddleware<E>(settings, edge);
  const mounts = new Map<string, MiddlewareHandler<E> | undefined>();
  return (c, next) => (mountRefusal(mounts, settings, mountOf(c), edge.log) ?? paywall)(c, next);
}

/**
 * Where the middleware is mounted, as Hono's routing says: under the app's
 * base (`app.route`, `basePath`), and at its own route's path
 * (`app.use("/api/*", …)`, the base included) up to its first wildcard;
 * where hono/route cannot read them, as if at the root.
 */
interface Mount {
  readonly base: string;
  readonly route: string;
}
function mountOf(c: Context): Mount {
  try {
    return { base: baseRoutePath(c), route: routePath(c).replace(/\/?\*.*$/, "") };
  } catch {
    return { base: "", route: "" };
  }
}

const MOUNTS_KEPT = 64;
const atRoot = (path: string) => /^\/*$/.test(path);

/**
 * A 500 for every request of a mount whose paths the services do not name
 * (mount-check.ts), judged once per mount: under the app's base, their rules
 * and free paths too; at the middleware's own route (shared by routes that
 * each sell some of the services' paths), only whether any service sells there.
 */
function mountRefusal<E extends PaywallEnv>(mounts: Map<string, MiddlewareHandler<E> | undefined>, settings: PaywallSettings, { base, route }: Mount, log: PaywallLog | undefined): MiddlewareHandler<E> | undefined {
  if (atRoot(base) && atRoot(route)) return undefined;
  const key = `${base} ${route}`;
  if (mounts.has(key)) return mounts.get(key);
  const outside = atRoot(base) ? [] : pathsOutsideMount(settings.services, base);
  const unsold = atRoot(route) || outside.length > 0 ? [] : pathsOutsideMount(settings.services, route, { sellingOnly: true });
  const problem =
    outside.length > 0 ? `the middleware's app is mounted under ${base} (app.route, basePath), and patterns name whole paths; these lie outside it: ${outside.join(", ")}`
    : unsold.length > 0 ? `the middleware is mounted at ${route} (its route's path), and patterns name whole paths; no service's lies under it: ${unsold.join(", ")}`
    : undefined;
  const refusal = problem === undefined ? undefined : misconfigured<E>([problem], log);
  // A base with parameters is the route's as written (`/:tenant`), so few are ever seen.
  if (mounts.size === MOUNTS_KEPT) mounts.clear();
  mounts.set(key, refusal);
  return refusal;
}

/**
 * Who is asking, by default: on Workers, `CF-Connecting-IP`, which Cloudflare
 * sets; elsewhere that header is whatever the client wrote, so what the
 * runtime hands the app as its env (runtime-address.ts: @hono/node-server's
 * socket, Bun's server, Deno's info), or none.
 */
const defaultClientAddress = (c: Context): string | null => runtimeAddress(c.req.raw, c.env);

const isPreflight = (c: Context): boolean => c.req.method === "OPTIONS" && c.req.header("access-control-request-method") !== undefined && c.req.header("origin") !== undefined;

/** Read, complete the credential (complete-credential.ts), decide (with the browser steps around it), then let through or answer; a service in shadow, let through (shadow.ts). */
async function handle(c: Context<PaywallEnv>, next: Next, paywall: Paywall, edge: HonoEdge, request: PaywallRequest): Promise<void> {
  const later = deferrer(c);
  const inShadow = await shadowed(request, paywall, later);
  if (inShadow !== undefined) return letThrough(c, next, inShadow, paywall, request, later);
  const completed = await completeCredential(request, paywall);
  if (completed.kind !== "decide") return answer(c, paywall, edge, request, completed);
  const decision = await browserStepsAround(completed.request, paywall, later);
  if (decision.kind === "answered") return answer(c, paywall, edge, request, decision.answer);
  if (decision.kind !== "pass") return answer(c, paywall, edge, request, decision);
  await letThrough(c, next, decision, paywall, request, later);
}

/**
 * The decision, with the browser steps around it (browser/browser-step.ts).
 * The template Worker's build may leave them out (src/worker/build.ts reads
 * the define's name and refuses a service with `browser` then): the define
 * is read here, in the condition, where the bundler folds it and drops them.
 */
async function browserStepsAround(request: PaywallRequest, paywall: Paywall, later: Later): Promise<Decision | { readonly kind: "answered"; readonly answer: Reply | Refusal }> {
  if (globalThis.L402_BUILD_BROWSER !== false) {
    const before = await beforeDecide(request, paywall);
    if (before.kind === "answered") return before;
    return afterDecide(await decide(before.step?.request ?? request, paywall, later, before.step?.challenger), before.step);
  }
  return decide(request, paywall, later, undefined);
}

/** The app's turn, then the decision's headers and cookies on its answer (passed.ts), and its charge settled (settle.ts). */
async function letThrough(c: Context<PaywallEnv>, next: Next, decision: Pass, paywall: Paywall, request: PaywallRequest, later: Later): Promise<void> {
  c.set("l402Outcome", decision.outcome);
  c.set("l402Route", decision.route);
  c.set("l402Url", request.url);
  const { access, settle } = chargedAccess(decision, paywall, request, later);
  if (access !== undefined) c.set("l402", access);
  // A handler's Error reaches here as Hono's error answer (a 500), which settles as one.
  try {
    await next();
  } catch (error) {
    // Anything else thrown (or an onError that throws) means no answer: nothing is charged, and what was reserved goes back.
    await settle(undefined);
    throw error;
  }
  const passed = passedChanges(decision, { status: c.res.status, headers: c.res.headers });
  const settled = await settle(c.res);
  const changes = [...passed, ...(settled?.changes ?? [])];
  if (settled?.body !== undefined) {
    // The answer's body is the meter's now (locked: no copy of the answer can take it): the answer is made anew around the metered body, and its headers (a new answer's can be changed) changed.
    c.res = new Response(settled.body, c.res);
    changeHeaders(c.res.headers, changes);
    return;
  }
  const [first, ...rest] = changes;
  if (first !== undefined) {
    // Hono copies the answer on every c.header() once it is set (a fetched answer's headers cannot be changed): the first copy's can be.
    c.header(first.name, first.value, first.append === true ? { append: true } : undefined);
    changeHeaders(c.res.headers, rest);
  }
}

/** An answer of the paywall's own: rendered (respond.ts), recorded for the app's log line, and logged when a refusal. */
function answer(c: Context<PaywallEnv>, paywall: Paywall, edge: HonoEdge, request: PaywallRequest, given: Exclude<Answer, Pass>): void {
  const requestId = requestIdIn(c.var);
  const { settings } = paywall;
  const manifestUrl = edge.manifestPath === undefined ? undefined : new URL(edge.manifestPath, request.url).href;
  const rendered = respond(given, { request, invoiceExpirySeconds: settings.invoiceExpirySeconds, fiatRate: settings.fiatRate, requestId, manifestUrl });
  c.set("l402Outcome", given.outcome);
  c.set("l402Url", request.url);
  c.res = rendered;
  if (edge.log !== undefined) logRefusal(edge.log, given.outcome, { status: rendered.status, method: c.req.method, url: request.url, requestId });
}

/** Work to finish after the response: the Workers execution context's waitUntil, or (elsewhere) just let it run. */
function deferrer(c: Context): Later {
  return (promise) => {
    let context: ExecutionContext | undefined;
    try {
      context = c.executionCtx;
    } catch {
      // No execution context (Node): the promise runs on by itself; ports log their own failures.
      context = undefined;
    }
    if (context === undefined) void promise.catch(() => undefined);
    else context.waitUntil(promise);
  };
}
