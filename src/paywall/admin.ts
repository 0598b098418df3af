import { constantTimeEqual } from "../macaroon/index.ts";
import { formatSats } from "../l402/index.ts";
import { lookupToken, revenueByDay } from "../stateful/ledger.ts";
import { revoke } from "../stateful/revocation.ts";
import type { Runtime } from "./runtime.ts";

const TOKEN_ID = /^[0-9a-f]{64}$/;
const encoder = new TextEncoder();
const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  Response.json(body, { status, headers: { "Cache-Control": "no-store", ...headers } });

/**
 * The operator's API, JSON only, under `L402_ADMIN_PATH`, with a bearer secret
 * (`L402_ADMIN_TOKEN`; unset, the API does not exist):
 *
 *   GET  /services                 services and prices
 *   GET  /revenue?days=N           per service and day: challenges, paid tokens, revenue
 *   GET  /tokens/{id}              one token: its challenge, settlement, revocation
 *   POST /tokens/{id}/revoke       revoke it ({"reason": "..."} optional)
 */
export async function adminResponse(request: Request, path: string, runtime: Runtime, ledger: D1Database | undefined, now: number): Promise<Response> {
  const { config } = runtime;
  if (config.adminToken === undefined) return json({ reason: "not_found", detail: "the admin API is not enabled" }, 404);
  const presented = /^Bearer\s+(\S+)$/i.exec(request.headers.get("authorization") ?? "")?.[1] ?? "";
  if (!constantTimeEqual(encoder.encode(presented), encoder.encode(config.adminToken))) {
    return json({ reason: "unauthorized", detail: "a valid admin bearer token is required" }, 401, { "WWW-Authenticate": 'Bearer realm="l402-edge admin"' });
  }
  const route = path.slice(config.adminPath.length) || "/";

  if (request.method === "GET" && route === "/services") {
    return json({
      services: config.services.map((s) => ({
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
    });
  }
  if (ledger === undefined) return json({ reason: "ledger_not_configured", detail: "bind a D1 database as L402_LEDGER" }, 503);

  if (request.method === "GET" && route === "/revenue") {
    const days = Number(new URL(request.url).searchParams.get("days") ?? "30");
    if (!Number.isInteger(days) || days < 1 || days > 366) return json({ reason: "bad_request", detail: "days must be 1 to 366" }, 400);
    return json({ since: now - days * 86_400, days: await revenueByDay(ledger, now - days * 86_400) });
  }
  const token = /^\/tokens\/([^/]+)(\/revoke)?$/.exec(route);
  if (token !== null) {
    const tokenId = (token[1] as string).toLowerCase();
    if (!TOKEN_ID.test(tokenId)) return json({ reason: "bad_request", detail: "a token id is 64 hex characters" }, 400);
    if (request.method === "GET" && token[2] === undefined) return json(await lookupToken(ledger, tokenId));
    if (request.method === "POST" && token[2] !== undefined) {
      const body = (await request.json().catch(() => ({}))) as { reason?: unknown };
      const reason = typeof body.reason === "string" ? body.reason.slice(0, 200) : "";
      await revoke(ledger, caches.default, tokenId, reason, now);
      return json({ tokenId, revoked: true, reason, staleForAtMostSeconds: config.revocationTtlSeconds });
    }
  }
  return json({ reason: "not_found", detail: "no such admin endpoint" }, 404);
}
