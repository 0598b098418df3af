import type { Context, Handler } from "hono";
import type { PaywallEnv } from "../paywall/index.ts";
import { answer } from "../paywall/answer.ts";
import { forward, TOKEN_ID_HEADER } from "./forward.ts";

export interface ForwardToOriginOptions {
  /** What a request that matched no service gets: forwarded free to its own URL, or 404. */
  readonly unmatched: "pass" | "404";
  /** `[header, secret]` proving to the origin that the request came through the paywall. */
  readonly originAuth?: readonly [string, string];
  /** How long the origin may take to send its response headers (default 30 s). */
  readonly headersTimeoutMs?: number;
}

/**
 * The handler after `l402Paywall()` in a Worker that sits in front of an origin:
 * sends what the paywall let through to the matched service's origin (or the
 * request's own URL), with the token id of a paid credential and the origin
 * secret, at the canonical URL the paywall matched.
 */
export function forwardToOrigin<E extends PaywallEnv = PaywallEnv>(options: ForwardToOriginOptions): Handler<E> {
  const reservedHeaders = [TOKEN_ID_HEADER, ...(options.originAuth === undefined ? [] : [options.originAuth[0]])];
  // Hono's Context is invariant in its env; any env with the paywall's variables fits.
  return async (context) => {
    const c = context as unknown as Context<PaywallEnv>;
    const route = c.get("l402Route");
    if (route === undefined) throw new Error("forwardToOrigin needs l402Paywall() before it");
    if (route.service === undefined && options.unmatched === "404") {
      c.set("l402Outcome", { outcome: "not_found" });
      return answer(c, 404, { reason: "no_service", detail: "no paid service is configured at this path" });
    }
    const forwarded = await forward(c.req.raw, route.url, {
      origin: route.service?.origin,
      tokenId: route.access === "paid" ? c.get("l402").tokenId : undefined,
      originAuth: options.originAuth,
      reservedHeaders,
      headersTimeoutMs: options.headersTimeoutMs ?? 30_000,
      ignoreCase: route.service?.matchCase === false,
    });
    if (!forwarded.ok) {
      c.set("l402Outcome", { ...c.get("l402Outcome"), outcome: "origin_error", reason: forwarded.reason });
      return answer(c, forwarded.reason === "origin_timeout" ? 504 : 502, { reason: forwarded.reason, detail: forwarded.detail });
    }
    return forwarded.value;
  };
}
