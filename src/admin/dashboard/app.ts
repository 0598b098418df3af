import { Hono, type Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { csrf } from "hono/csrf";
import { HTTPException } from "hono/http-exception";
import * as v from "valibot";
import type { ServiceConfig } from "../../config/index.ts";
import { isValidServiceName } from "../../l402/index.ts";
import { addressPrefix, CLIENT_NETWORK } from "../../paywall/index.ts";
import { readAtMost } from "../../read-at-most.ts";
import { notRevocable } from "../revocable.ts";
import { changeService, credentialId, type ServicesAdmin } from "../service-routes.ts";
import { refusalsSection, serviceModesSection, shadowEarningsSection } from "./decision-sections.ts";
import { dashboardPage, signInPage, STYLE, STYLE_PATH } from "./page.ts";
import type { DashboardPorts, PaidToken, TokenState } from "./ports.ts";
import { activeTokensSection, conversionSection, revenueSection, revocationsSection, tokenLeft, topBuyersSection, type ActiveToken, type FormContext, type Markup } from "./sections.ts";
import { SESSION_SECONDS, sessionCookie, sessions } from "./session.ts";

export interface DashboardOptions {
  readonly adminToken: string;
  /** Where the app is mounted (e.g. `/.well-known/l402/admin/dashboard`): its links and forms point there. */
  readonly basePath: string;
  readonly services: readonly ServiceConfig[];
  readonly ports: DashboardPorts;
  /** The client's address, for the sign-in limit; null when unknown. */
  readonly clientAddress: (request: Request) => string | null;
  readonly revocationStalenessSeconds: number;
  /** Run-time overrides (the admin API's): the mode switch changes a service through them; undefined: off, no switch. */
  readonly overrides: ServicesAdmin | undefined;
}

const WINDOW_DAYS = 30;
const TOKENS_SHOWN = 25;
const TOP_SHOWN = 10;
const REVOCATIONS_SHOWN = 20;

/** Nothing inline, nothing from elsewhere: the style sheet from here, forms posting here, no framing. */
const CSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "Content-Security-Policy": CSP,
  "Cache-Control": "no-store",
  "X-Frame-Options": "DENY",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "Cross-Origin-Opener-Policy": "same-origin",
};

const tokenId = v.pipe(v.string(), v.regex(/^[0-9a-fA-F]{64}$/), v.toLowerCase());
const REASON = "a reason is text of at most 200 characters";
const revokeForm = v.object({ reason: v.optional(v.pipe(v.string(REASON), v.maxLength(200, REASON)), "") });
/** A switch is between these two: a pause is the admin API's, with its own consequences (README, "A paused service"). */
const SWITCHED_MODES = ["enforce", "shadow"] as const;
const switchedMode = v.picklist(SWITCHED_MODES, 'the mode a switch sets is "enforce" or "shadow"');
const serviceName = v.pipe(v.string(), v.check(isValidServiceName, "a service name is letters, digits, '.', '_' or '-' (at most 64)"));

/** The most a form of the dashboard's may take: its fields are a token, a CSRF token, a reason of 200 characters. */
const MAX_FORM_BYTES = 8192;
const forms = new WeakMap<Request, Promise<Record<string, unknown>>>();

/**
 * A form's fields, read once per request (the CSRF check and the action both
 * ask); a body that is no form, or is longer than any of the dashboard's, has
 * none (so no token, no CSRF token: refused as such, never a 500). Read no
 * further than that: sign-in takes posts from anyone.
 */
function fieldsOf(c: Context): Promise<Record<string, unknown>> {
  let fields = forms.get(c.req.raw);
  if (fields === undefined) {
    fields = readForm(c.req.raw);
    forms.set(c.req.raw, fields);
  }
  return fields;
}

async function readForm(request: Request): Promise<Record<string, unknown>> {
  const { bytes, truncated } = await readAtMost(request.body, MAX_FORM_BYTES);
  if (truncated) return {};
  try {
    return Object.fromEntries(await new Response(bytes, { headers: { "Content-Type": request.headers.get("Content-Type") ?? "" } }).formData());
  } catch {
    return {};
  }
}

/**
 * The operator's dashboard, server-rendered, no script:
 *
 *   GET  /                         the dashboard (signed in), else → /sign-in
 *   GET  /sign-in                  the sign-in form
 *   POST /sign-in                  admin token → session cookie
 *   POST /sign-out                 clears it
 *   POST /tokens/{id}/revoke       revokes a token, as the admin API does
 *   POST /services/{name}/mode     switches a service between enforce and shadow, as the admin API's PATCH does
 *
 * A session is a signed cookie (session.ts): `__Host-`, HttpOnly, Secure,
 * SameSite=Strict, 12 hours. Every POST must come from this origin (hono/csrf:
 * Origin or Sec-Fetch-Site), and, signed in, carry the session's CSRF token;
 * a browser's request other than a navigation (a script's fetch: Sec-Fetch-Mode)
 * is refused, so a script on this host cannot read that token off a page.
 * Without a session no route answers with data.
 */
export function dashboardApp(options: DashboardOptions): Hono {
  const { basePath, ports } = options;
  const keys = sessions(options.adminToken);
  const app = new Hono();
  const now = () => Math.floor(Date.now() / 1000);
  const sessionOf = (c: Context): string | undefined => {
    const value = getCookie(c, sessionCookie(new URL(c.req.url)).name);
    return keys.isValid(value, now()) ? value : undefined;
  };
  const page = (c: Context, markup: Markup, status: 200 | 401 | 429 = 200) => c.html(markup, status);
  const toDashboard = (c: Context) => c.redirect(basePath, 303);

  app.use(async (c, next) => {
    await next();
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(name, value);
  });
  app.use(csrf());
  // Pages are opened and forms posted by the browser itself: a script (on another page of this host, which may serve the origin's content) fetching one could read a CSRF token off it and post as the operator. A request that does not say it is a navigation is refused: a browser too old to send Sec-Fetch-Mode would let such a script through.
  app.use(async (c, next) => {
    const mode = c.req.header("sec-fetch-mode");
    if (mode !== "navigate" && c.req.path !== `${basePath}${STYLE_PATH}` && c.req.path !== STYLE_PATH) {
      const why = mode === undefined ? "this request does not say it is one (Sec-Fetch-Mode: navigate, which browsers send over https or to this machine, and those older than 2023 not at all)" : "it was fetched by a script (Sec-Fetch-Mode)";
      return c.text(`refused: the dashboard is opened as a page in a browser, and ${why}`, 403);
    }
    return next();
  });
  app.onError((error, c) => {
    if (error instanceof HTTPException && error.status === 403) return c.text("refused: a dashboard form must be posted from the dashboard itself (Origin or Sec-Fetch-Site)", 403);
    return error instanceof HTTPException ? error.getResponse() : c.text("unexpected error", 500);
  });

  app.get(STYLE_PATH, (c) => c.body(STYLE, 200, { "Content-Type": "text/css; charset=utf-8" }));
  app.get("/sign-in", (c) => (sessionOf(c) === undefined ? page(c, signInPage(basePath, undefined)) : toDashboard(c)));
  app.post("/sign-in", async (c) => {
    // A guess at a token of 32+ characters is hopeless anyway; the limit keeps the guessing from costing anything (an IPv6 /64 is one client).
    const limiter = ports.signInLimiter;
    if (limiter !== undefined && !(await limiter.allow(`dashboard-sign-in:${addressPrefix(options.clientAddress(c.req.raw), CLIENT_NETWORK)}`))) {
      return page(c, signInPage(basePath, "Too many sign-in attempts from this address: wait a minute."), 429);
    }
    const token = (await fieldsOf(c))["token"];
    if (typeof token !== "string" || !keys.isAdminToken(token)) return page(c, signInPage(basePath, "That is not the admin token."), 401);
    const cookie = sessionCookie(new URL(c.req.url));
    setCookie(c, cookie.name, keys.open(now()), { path: "/", httpOnly: true, secure: cookie.secure, sameSite: "Strict", maxAge: SESSION_SECONDS });
    return toDashboard(c);
  });

  /** A route that needs a session (else: sign in), and for a POST the session's CSRF token. */
  const signedIn =
    (handler: (c: Context, form: FormContext) => Response | Promise<Response>) =>
    async (c: Context): Promise<Response> => {
      const session = sessionOf(c);
      if (session === undefined) return c.req.method === "GET" ? c.redirect(`${basePath}/sign-in`, 303) : c.text("refused: sign in first", 401);
      if (c.req.method === "POST") {
        const presented = (await fieldsOf(c))["csrf"];
        if (typeof presented !== "string" || !keys.isCsrfToken(session, presented)) return c.text("refused: the form's CSRF token is missing or not this session's", 403);
      }
      return handler(c, { basePath, csrfToken: keys.csrfToken(session) });
    };

  app.get(
    "/",
    signedIn(async (c, form) => page(c, dashboardPage(form, noticeOf(c.req.query(), options), await loadSections(options, form, now())))),
  );
  app.post(
    "/sign-out",
    signedIn((c) => {
      const cookie = sessionCookie(new URL(c.req.url));
      deleteCookie(c, cookie.name, { path: "/", secure: cookie.secure });
      return c.redirect(`${basePath}/sign-in`, 303);
    }),
  );
  app.post(
    "/tokens/:id/revoke",
    signedIn(async (c) => {
      const id = v.safeParse(tokenId, c.req.param("id"));
      const form = v.safeParse(revokeForm, await fieldsOf(c));
      if (!id.success) return c.text("bad request: a token id is 64 hex characters", 400);
      if (!form.success) return c.text(`bad request: ${form.issues[0].message}`, 400);
      // The page offers no revoke for such a token; a form posted anyway must not be told it worked.
      const refused = await notRevocable(ports.ledger, options.services, id.output);
      if (refused !== undefined) return c.text(`conflict: ${refused}`, 409);
      await ports.revocations.revoke(id.output, form.output.reason, now());
      return c.redirect(`${basePath}?${new URLSearchParams({ revoked: id.output })}`, 303);
    }),
  );
  app.post(
    "/services/:name/mode",
    signedIn(async (c) => {
      const overrides = options.overrides;
      if (overrides === undefined) return c.text("unavailable: run-time overrides are off (L402_OVERRIDES); a service's mode changes in L402_SERVICES", 503);
      const name = v.safeParse(serviceName, c.req.param("name"));
      const mode = v.safeParse(switchedMode, (await fieldsOf(c))["mode"]);
      if (!name.success) return c.text(`bad request: ${name.issues[0].message}`, 400);
      if (!mode.success) return c.text(`bad request: ${mode.issues[0].message}`, 400);
      // The page offers no switch for a paused service; a form from a page older than the pause must not undo it (checked on the store, whatever this isolate's services show).
      const changed = await changeService(overrides, name.output, { kind: "patch", fields: { mode: mode.output }, unlessPaused: true }, credentialId(options.adminToken));
      if (!changed.ok) return c.text(`${{ 404: "not found", 409: "conflict", 412: "changed meanwhile", 400: "bad request" }[changed.status]}: ${[changed.detail, ...(changed.problems ?? [])].join("; ")}`, changed.status);
      return c.redirect(`${basePath}?${new URLSearchParams({ switched: name.output, to: mode.output })}`, 303);
    }),
  );
  app.all("*", (c) => c.text("no such dashboard page", 404));
  return app;
}

/** After a revocation or a switch (the redirect names what changed): what it means. Anything else in the query shows nothing. */
function noticeOf(query: Record<string, string>, options: DashboardOptions): string | undefined {
  const { revoked, switched, to } = query;
  if (revoked !== undefined && /^[0-9a-f]{64}$/.test(revoked)) return `Token ${revoked.slice(0, 16)}… revoked: refused from its next request here, elsewhere within ${options.revocationStalenessSeconds} s.`;
  const mode = v.safeParse(switchedMode, to);
  if (switched !== undefined && isValidServiceName(switched) && mode.success && options.overrides !== undefined) {
    return `Service ${switched} switched to ${mode.output}: every isolate serves it so within ${options.overrides.visibleWithinSeconds} s.`;
  }
  return undefined;
}

/** Each section's data, read at once, then each section drawn from it. */
async function loadSections(options: DashboardOptions, form: FormContext, now: number): Promise<Markup[]> {
  const { ledger, decisions } = options.ports;
  const since = Math.floor(now / 86_400) * 86_400 - (WINDOW_DAYS - 1) * 86_400;
  const [revenue, paid, top, revoked, counted] = await Promise.all([ledger.revenueByDay(since), ledger.paidTokens(TOKENS_SHOWN), ledger.topTokens(since, TOP_SHOWN), ledger.recentRevocations(REVOCATIONS_SHOWN), decisions.read()]);
  const active = await Promise.all(paid.map((token) => asActive(options, token)));
  return [
    revenueSection(revenue, { since, now, days: WINDOW_DAYS }),
    conversionSection(revenue),
    activeTokensSection(active, TOKENS_SHOWN, now, form),
    topBuyersSection(top, WINDOW_DAYS),
    revocationsSection(revoked),
    shadowEarningsSection(counted),
    refusalsSection(counted),
    serviceModesSection(options.services, form, options.overrides),
  ];
}

/** A token with its expiry and what it has left, where its service counts anything; a failed read shows as unknown, never fails the page. */
async function asActive(options: DashboardOptions, token: PaidToken): Promise<ActiveToken> {
  const service = options.services.find((candidate) => candidate.name === token.service);
  // A service no longer configured: its tokens are refused anyway, and a revocation holds should it come back.
  if (service === undefined) return { ...token, expiresAt: undefined, left: undefined, revocable: true };
  const expiresAt = service.timeoutSeconds === undefined ? null : token.mintedAt === null ? undefined : token.mintedAt + service.timeoutSeconds;
  return { ...token, expiresAt, left: await leftOf(options.ports.tokenState, service, token.tokenId), revocable: service.revocable };
}

async function leftOf(state: TokenState | undefined, service: ServiceConfig, tokenId: string): Promise<string | undefined> {
  const terms = { uses: service.uses, balance: service.balance !== undefined };
  if (state === undefined) return undefined;
  try {
    if (terms.uses !== undefined) return tokenLeft(terms, { usesTaken: await state.usesTaken(tokenId) });
    if (terms.balance) return tokenLeft(terms, { balanceMsat: await state.balanceMsat(tokenId) });
  } catch {
    // Shown as unknown: the page is for reading, and a Durable Object's hiccup should not take it down.
  }
  return undefined;
}
