import type { Context, Handler } from "hono";
import type { OriginConfig } from "../config/index.ts";
import { asGatewayReadsIt, headerSpellings } from "../header-spellings.ts";
import { refusal, requestIdIn } from "../refusal.ts";
import { forward, ROUTING_HEADERS, TOKEN_ID_HEADER } from "./forward.ts";

export interface ForwardToOriginOptions<E extends Routed = Routed> {
  /** What a request that matched no service gets: forwarded free to its own URL, or 404. */
  readonly unmatched: "pass" | "404";
  /** `[header, secret]` proving to the origin that the request came through the paywall. */
  readonly originAuth?: readonly [string, string];
  /** How long the origin may take to send its response headers (default 30 s; 1 ms to an hour), unless the service's `origin.headers_timeout_seconds` says. */
  readonly headersTimeoutMs?: number;
  /** The client's cookies that are not the origin's business, by name: the paywall's own (`isPaywallCookieName`). */
  readonly withholdCookie: (name: string) => boolean;
  /**
   * The signed payment context: its header, never taken from the client, and
   * (when contexts are signed) the context of a paid request, for the URL it is forwarded to.
   */
  readonly paymentContext?: { readonly header: string; readonly sign?: ((c: Context<E>, upstream: URL) => Promise<string>) | undefined };
}

/** The longest wait for an origin's headers: a service's `origin.headers_timeout_seconds` goes no further. */
const MAX_HEADERS_TIMEOUT_MS = 3_600_000;

/**
 * What the paywall's middleware tells the handlers after it (its `c.var`, typed
 * whole as `L402Variables` in paywall/types.ts): the route it matched, the
 * token a paid request presented, and the outcome it logs, which the forwarder
 * completes when the origin fails.
 */
type Routed = {
  Variables: {
    l402Route: { readonly url: URL; readonly service: { readonly origin: OriginConfig; readonly matchCase: boolean; readonly balance: { readonly meter: object | undefined; readonly costHeader: string | undefined } | undefined } | undefined; readonly access: string };
    l402?: { readonly tokenId: string };
    l402Outcome: { readonly outcome: string; readonly reason?: string; readonly service?: string; readonly tokenId?: string; readonly scheme?: string };
  };
};

/**
 * The handler after `l402Paywall()` in a Worker that sits in front of an origin:
 * sends what the paywall let through to the matched service's origin (or the
 * request's own URL), with the token id of a paid credential, its signed
 * payment context and the origin secret, at the canonical URL the paywall matched.
 */
export function forwardToOrigin<E extends Routed = Routed>(options: ForwardToOriginOptions<E>): Handler<E> {
  const { headersTimeoutMs } = options;
  // A timer past 2^31 - 1 ms fires at once: "no timeout" written as a large number would fail every request.
  if (headersTimeoutMs !== undefined && !(Number.isInteger(headersTimeoutMs) && headersTimeoutMs >= 1 && headersTimeoutMs <= MAX_HEADERS_TIMEOUT_MS)) {
    throw new RangeError(`forwardToOrigin: headersTimeoutMs must be a whole number of milliseconds from 1 to ${MAX_HEADERS_TIMEOUT_MS} (an hour), not ${headersTimeoutMs}`);
  }
  const reservedHeaders = headerSpellings([TOKEN_ID_HEADER, ...ROUTING_HEADERS, ...(options.originAuth === undefined ? [] : [options.originAuth[0]]), ...(options.paymentContext === undefined ? [] : [options.paymentContext.header])]);
  const { header: contextHeader, sign } = options.paymentContext ?? {};
  // Hono's Context is invariant in its env; any env with the paywall's variables fits.
  return async (context) => {
    const c = context as unknown as Context<Routed>;
    const route = c.get("l402Route");
    if (route === undefined) throw new Error("forwardToOrigin needs l402Paywall() before it");
    // Read only for a refusal: `c.var` copies every variable into a new object on each read.
    const requestId = () => requestIdIn(c.var);
    if (route.service === undefined && options.unmatched === "404") {
      c.set("l402Outcome", { outcome: "not_found" });
      return refusal(404, { reason: "no_service", detail: "no paid service is configured at this path" }, { headers: c.req.raw.headers, requestId: requestId() });
    }
    const forwarded = await forward(c.req.raw, route.url, {
      origin: route.service?.origin,
      tokenId: route.access === "paid" ? c.get("l402")?.tokenId : undefined,
      originAuth: options.originAuth,
      reservedHeaders,
      headersTimeoutMs: route.service?.origin.headersTimeoutMs ?? headersTimeoutMs ?? 30_000,
      ignoreCase: route.service?.matchCase === false,
      readsBody: route.access === "paid" && route.service?.balance?.meter !== undefined,
      costHeader: route.service?.balance?.costHeader === undefined ? undefined : asGatewayReadsIt(route.service.balance.costHeader),
      withholdCookie: options.withholdCookie,
      signed: route.access === "paid" && contextHeader !== undefined && sign !== undefined ? { header: contextHeader, value: (upstream) => sign(context, upstream) } : undefined,
    });
    if (!forwarded.ok) {
      // The request's own: a shadow decision's would-be outcome and price are not the forwarder's failure (its price would count as asked).
      const { service, tokenId, scheme } = c.get("l402Outcome");
      const own = { ...(service === undefined ? {} : { service }), ...(tokenId === undefined ? {} : { tokenId }), ...(scheme === undefined ? {} : { scheme }) };
      const { reason, detail } = forwarded;
      const status = reason === "body_longer_than_stated" ? 400 : reason === "origin_timeout" ? 504 : 502;
      c.set("l402Outcome", { outcome: status === 400 ? "refused" : "origin_error", reason, ...own });
      return refusal(status, { reason, detail }, { headers: c.req.raw.headers, requestId: requestId() });
    }
    return forwarded.value;
  };
}
