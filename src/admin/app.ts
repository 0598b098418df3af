import { Hono } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import { HTTPException } from "hono/http-exception";
import * as v from "valibot";
import { wholeNumber, type ServiceConfig } from "../config/index.ts";
import { badRequest, checked, detailOf, NO_STORE } from "./checks.ts";
import { serviceRoutes, summary, type ServicesAdmin } from "./service-routes.ts";
import type { Ledger, Revocations } from "../paywall/index.ts";
import { fail, succeed, type Result } from "../result.ts";
import type { DecisionStats } from "./decision-stats.ts";
import { notRevocable } from "./revocable.ts";
import { CONTENT_TYPES, counterFamilies, formatFor, renderMetrics } from "./metrics.ts";

export interface AdminOptions {
  /** The bearer token; compared in constant time (hono/bearer-auth). */
  readonly token: string;
  readonly services: readonly ServiceConfig[];
  readonly ledger: Ledger | undefined;
  readonly revocations: Revocations | undefined;
  /** Seconds another colo may keep accepting a revoked token (the revocation list's cache). */
  readonly revocationStalenessSeconds: number;
  /** The decision counters (`/metrics`); undefined: `/metrics` serves the ledger's counters alone. */
  readonly decisions?: DecisionStats | undefined;
  /** Services changed at run time (service-routes.ts); undefined: the config's, as they are. */
  readonly overrides?: ServicesAdmin | undefined;
}

/** The parameters the endpoints take, checked before any is read; a bad one is a 400 naming it. */
const revenueQuery = v.object({ days: v.optional(wholeNumber(1, 366), 30) });
const tokenParam = v.object({ id: v.pipe(v.string(), v.regex(/^[0-9a-fA-F]{64}$/, "a token id is 64 hex characters"), v.toLowerCase()) });
const BODY_SHAPE = 'the body must be JSON: {"reason": "why"} (reason optional), or empty';
const revokeBody = v.strictObject({ reason: v.optional(v.pipe(v.string("must be text of at most 200 characters"), v.maxLength(200, "must be text of at most 200 characters")), "") }, BODY_SHAPE);

/** The revocation's body: empty, or JSON naming a reason. */
function readRevokeBody(text: string): Result<string, "bad_body"> {
  let body: unknown = {};
  if (text.trim() !== "") {
    try {
      body = JSON.parse(text);
    } catch {
      return fail("bad_body", BODY_SHAPE);
    }
  }
  const parsed = v.safeParse(revokeBody, body);
  return parsed.success ? succeed(parsed.output.reason) : fail("bad_body", detailOf(parsed.issues));
}

/**
 * The operator's API, JSON only, behind a bearer token:
 *
 *   GET  /services                 services and prices (with run-time overrides: service-routes.ts)
 *   PUT, PATCH /services/{name}, DELETE /services/{name}/override, GET /audit: the overrides and their trail
 *   GET  /revenue?days=N           per service and day: challenges, paid tokens, revenue
 *   GET  /tokens/{id}              one token: its challenge, settlement, revocation
 *   POST /tokens/{id}/revoke       revoke it ({"reason": "..."} optional)
 *   GET  /metrics                  counters in Prometheus' text format (OpenMetrics when asked: metrics.ts)
 *
 * Mount it where it belongs: `app.route(adminPath, adminApp(options))`. Every
 * request under that path is the admin API's: one it has no endpoint for is
 * its 404, never passed on to the routes after it (a paywall, an origin).
 */
export function adminApp(options: AdminOptions): Hono {
  const app = new Hono();
  const refuse = { reason: "unauthorized", detail: "a valid admin bearer token is required" };
  app.use(
    bearerAuth({
      token: options.token,
      realm: "l402-edge admin",
      noAuthenticationHeader: { message: refuse },
      invalidAuthenticationHeader: { message: refuse },
      invalidToken: { message: refuse },
    }),
  );
  app.onError((error, c) => (error instanceof HTTPException ? error.getResponse() : c.json({ reason: "internal_error", detail: "unexpected error" }, 500, NO_STORE)));

  if (options.overrides === undefined) {
    app.get("/services", (c) => c.json({ services: options.services.map(summary) }, 200, NO_STORE));
    app.on(["PUT", "PATCH", "DELETE"], "/services/*", (c) => c.json({ reason: "overrides_not_enabled", detail: 'run-time overrides are off (L402_OVERRIDES = "on" turns them on)' }, 503, NO_STORE));
    app.get("/audit", (c) => c.json({ reason: "overrides_not_enabled", detail: 'run-time overrides are off (L402_OVERRIDES = "on" turns them on)' }, 503, NO_STORE));
  } else {
    serviceRoutes(app, options.overrides, options.token, () => options.services);
  }

  const { ledger, revocations, decisions } = options;
  app.get("/metrics", async (c) => {
    const format = formatFor(c.req.header("accept"));
    const families = counterFamilies(await decisions?.read(), await ledger?.revenueByDay(0));
    return c.body(renderMetrics(families, format), 200, { "Content-Type": CONTENT_TYPES[format], ...NO_STORE });
  });
  if (ledger === undefined) {
    app.on(["GET", "POST"], ["/revenue", "/tokens/*"], (c) => c.json({ reason: "ledger_not_configured", detail: "the payment ledger is not configured (the L402_LEDGER D1 binding)" }, 503, NO_STORE));
    return withNotFound(app);
  }
  app.get("/revenue", checked("query", revenueQuery), async (c) => {
    const { days } = c.req.valid("query");
    // Whole UTC days, today's included: a day's count is exact whether its challenges are kept or forgotten (d1-ledger.ts).
    const since = Math.floor(Date.now() / 86_400_000) * 86_400 - (days - 1) * 86_400;
    return c.json({ since, days: await ledger.revenueByDay(since) }, 200, NO_STORE);
  });
  app.get("/tokens/:id", checked("param", tokenParam), async (c) => c.json(await ledger.lookupToken(c.req.valid("param").id), 200, NO_STORE));
  if (revocations !== undefined) {
    app.post("/tokens/:id/revoke", checked("param", tokenParam), async (c) => {
      const tokenId = c.req.valid("param").id;
      const body = readRevokeBody(await c.req.text());
      if (!body.ok) return badRequest(c, body.detail);
      const reason = body.value;
      const refused = await notRevocable(ledger, options.services, tokenId);
      if (refused !== undefined) return c.json({ reason: "service_not_revocable", detail: refused }, 409, NO_STORE);
      await revocations.revoke(tokenId, reason, Math.floor(Date.now() / 1000));
      return c.json({ tokenId, revoked: true, reason, staleForAtMostSeconds: options.revocationStalenessSeconds }, 200, NO_STORE);
    });
  }
  return withNotFound(app);
}

/** A route, not `notFound()`: an app mounted with `app.route()` brings its routes along, not its not-found handler. */
const withNotFound = (app: Hono): Hono => app.all("*", (c) => c.json({ reason: "not_found", detail: "no such admin endpoint" }, 404, NO_STORE));
