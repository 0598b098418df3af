import { Hono, type Context } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import { HTTPException } from "hono/http-exception";
import type { ServiceConfig } from "../config/index.ts";
import { formatSats } from "../l402/index.ts";
import type { Ledger, Revocations } from "../paywall/index.ts";

export interface AdminOptions {
  /** The bearer token; compared in constant time (hono/bearer-auth). */
  readonly token: string;
  readonly services: readonly ServiceConfig[];
  readonly ledger: Ledger | undefined;
  readonly revocations: Revocations | undefined;
  /** Seconds another colo may keep accepting a revoked token (the revocation list's cache). */
  readonly revocationStalenessSeconds: number;
}

const TOKEN_ID = /^[0-9a-f]{64}$/;
const NO_STORE = { "Cache-Control": "no-store" };

/**
 * The operator's API, JSON only, behind a bearer token:
 *
 *   GET  /services                 services and prices
 *   GET  /revenue?days=N           per service and day: challenges, paid tokens, revenue
 *   GET  /tokens/{id}              one token: its challenge, settlement, revocation
 *   POST /tokens/{id}/revoke       revoke it ({"reason": "..."} optional)
 *
 * Mount it where it belongs: `app.route(adminPath, adminApp(options))`.
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
  app.notFound((c) => c.json({ reason: "not_found", detail: "no such admin endpoint" }, 404, NO_STORE));

  app.get("/services", (c) =>
    c.json(
      {
        services: options.services.map((s) => ({
          name: s.name,
          price_sats: Number(formatSats(s.priceMsat)),
          price_msat: String(s.priceMsat),
          auth: s.auth,
          timeout: s.timeoutSeconds ?? null,
          uses: s.uses ?? null,
          freebies: s.freebies ?? null,
          revocable: s.revocable,
          ledger: s.ledger,
        })),
      },
      200,
      NO_STORE,
    ),
  );

  const { ledger, revocations } = options;
  const badId = (c: Context) => c.json({ reason: "bad_request", detail: "a token id is 64 hex characters" }, 400, NO_STORE);
  if (ledger === undefined) {
    app.on(["GET", "POST"], ["/revenue", "/tokens/*"], (c) => c.json({ reason: "ledger_not_configured", detail: "the payment ledger is not configured (the L402_LEDGER D1 binding)" }, 503, NO_STORE));
    return app;
  }
  app.get("/revenue", async (c) => {
    const days = Number(c.req.query("days") ?? "30");
    if (!Number.isInteger(days) || days < 1 || days > 366) return c.json({ reason: "bad_request", detail: "days must be 1 to 366" }, 400, NO_STORE);
    const since = Math.floor(Date.now() / 1000) - days * 86_400;
    return c.json({ since, days: await ledger.revenueByDay(since) }, 200, NO_STORE);
  });
  app.get("/tokens/:id", async (c) => {
    const tokenId = c.req.param("id").toLowerCase();
    return TOKEN_ID.test(tokenId) ? c.json(await ledger.lookupToken(tokenId), 200, NO_STORE) : badId(c);
  });
  if (revocations !== undefined) {
    app.post("/tokens/:id/revoke", async (c) => {
      const tokenId = c.req.param("id").toLowerCase();
      if (!TOKEN_ID.test(tokenId)) return badId(c);
      const body = (await c.req.json().catch(() => ({}))) as { reason?: unknown };
      const reason = typeof body.reason === "string" ? body.reason.slice(0, 200) : "";
      await revocations.revoke(tokenId, reason, Math.floor(Date.now() / 1000));
      return c.json({ tokenId, revoked: true, reason, staleForAtMostSeconds: options.revocationStalenessSeconds }, 200, NO_STORE);
    });
  }
  return app;
}
