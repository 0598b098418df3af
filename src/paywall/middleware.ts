import type { Context, MiddlewareHandler, Next } from "hono";
import { cors } from "hono/cors";
import { createVerifier } from "../l402/index.ts";
import { answer } from "./answer.ts";
import { canonicalUrl } from "./canonical-url.ts";
import { settingsEnv } from "./env-settings.ts";
import { guard, record } from "./guard.ts";
import { matchService } from "./match.ts";
import { checkOptions, PaywallConfigError, resolvePaywall, type PaywallOptions, type ResolvedPaywall } from "./options.ts";
import { consoleLog, logRefusal, type PaywallLog } from "./refusal-log.ts";
import type { PaywallEnv } from "./types.ts";

/** Headers of the paywall's answers a browser script may read, whatever else the CORS options expose. */
const EXPOSED_HEADERS = ["WWW-Authenticate", "Retry-After", "X-L402-Remaining", "X-L402-Freebies-Remaining", "Payment-Receipt"];

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
    if (options.keyring !== undefined && options.backend !== undefined) return paywallMiddleware(resolvePaywall(options));
    checkOptions(options);
  }
  const built = new WeakMap<object, MiddlewareHandler<E>>();
  return async (c, next) => {
    // Options from the context are the app's, built per env; otherwise what differs per env is where the settings are.
    const key = typeof options === "function" ? (typeof c.env === "object" && c.env !== null ? (c.env as object) : NO_ENV) : settingsEnv(c.env);
    let handler = built.get(key);
    if (handler === undefined) {
      handler = buildFor(c, options);
      built.set(key, handler);
    }
    return handler(c, next);
  };
}
const NO_ENV = {};

function buildFor<E extends PaywallEnv>(c: Context<E>, options: PaywallOptions | ((c: Context<E>) => PaywallOptions)): MiddlewareHandler<E> {
  let given: PaywallOptions | undefined;
  try {
    given = typeof options === "function" ? options(c) : options;
    return paywallMiddleware(resolvePaywall(given, settingsEnv(c.env)));
  } catch (error) {
    if (!(error instanceof PaywallConfigError)) throw error;
    const log = given?.log === false ? undefined : (given?.log ?? consoleLog);
    return misconfigured(error.problems, log);
  }
}

/** Every request answered 500, and logged with the problems by field (never a value: the schema quotes none). */
function misconfigured<E extends PaywallEnv>(problems: readonly string[], log: PaywallLog | undefined): MiddlewareHandler<E> {
  return async (c) => {
    const context = c as unknown as Context<PaywallEnv>;
    record(context, { outcome: "misconfigured", detail: problems.join("; ") });
    c.res = answer(context, 500, { reason: "misconfigured", detail: "the paywall is not configured correctly" });
    if (log !== undefined) logRefusal(context, log);
  };
}

/**
 * The middleware for options already resolved (the template Worker resolves its
 * own from its env). Any app env whose variables include `L402Variables` fits:
 * Hono's Context is invariant in its env, hence the one cast below.
 */
export function paywallMiddleware<E extends PaywallEnv = PaywallEnv>(paywall: ResolvedPaywall): MiddlewareHandler<E> {
  const handle = paywallHandler(paywall);
  const { log } = paywall;
  return async (c, next) => {
    const context = c as unknown as Context<PaywallEnv>;
    if (log === undefined) return handle(context, next);
    // A request let through is the app's to log, whatever a middleware after this one answers.
    let passed = false;
    const response = await handle(context, async () => {
      passed = true;
      await next();
    });
    if (!passed) logRefusal(context, log);
    return response;
  };
}

function paywallHandler(paywall: ResolvedPaywall): (c: Context<PaywallEnv>, next: Next) => Promise<Response | void> {
  // Per isolate, per keyring: credentials proven once are not proven again (l402/verifier.ts).
  const verifier = createVerifier(paywall.keyring);
  const withCors = paywall.cors === undefined ? undefined : cors({ ...paywall.cors, exposeHeaders: [...EXPOSED_HEADERS, ...(paywall.cors.exposeHeaders ?? [])] });
  /** Runs `handle` inside the CORS middleware for a browser's request (it sends Origin; WebSocket upgrades are not subject to CORS). */
  const forBrowsers = (c: Context<PaywallEnv>, handle: () => Promise<Response | void>) =>
    withCors === undefined || c.req.header("origin") === undefined || c.req.header("upgrade") !== undefined ? handle() : withCors(c, async () => void (await handle()));
  return async (c, next) => {
    // Answers are set on the context too, so a wrapping middleware (CORS) adds to them.
    const refuse = (reason: string, detail: string) =>
      forBrowsers(c, async () => {
        record(c, { outcome: "refused", reason });
        c.res = answer(c, 400, { reason, detail });
      });
    const canonical = canonicalUrl(new URL(c.req.url));
    if (!canonical.ok) return refuse(canonical.reason, canonical.detail);
    const url = canonical.value;
    // fetch() cannot send a GET or HEAD with a body, so no origin could receive one.
    if ((c.req.method === "GET" || c.req.method === "HEAD") && c.req.raw.body !== null && c.req.header("content-length") !== "0") {
      return refuse("body_not_allowed", `a ${c.req.method} request cannot carry a body`);
    }
    const service = matchService(paywall.services, url);
    if (service === undefined) {
      c.set("l402Route", { url, service: undefined, access: "unmatched" });
      record(c, { outcome: "unmatched" });
      return next();
    }
    // A preflight is answered by the CORS middleware. Without one it is a request like
    // any other: passing it on unpaid would hand it to any handler that takes OPTIONS.
    const isPreflight = c.req.method === "OPTIONS" && c.req.header("access-control-request-method") !== undefined && c.req.header("origin") !== undefined;
    if (isPreflight && withCors !== undefined) {
      record(c, { outcome: "preflight", service: service.name });
      return withCors(c, next);
    }
    return forBrowsers(c, () => guard(paywall, verifier, c, next, url, service));
  };
}
