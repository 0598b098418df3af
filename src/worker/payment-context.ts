import type { Context } from "hono";
import type { ServiceConfig } from "../config/index.ts";
import { importContextKeys, signPaymentContext, type ContextKeys, type ContextKeySpec, type PaymentContextClaims } from "../context/index.ts";
import type { Grant } from "../l402/index.ts";
import type { WorkerEnv } from "./worker-env.ts";

/**
 * Origins cache the JWKS this long (and a CDN in front of them may too). A
 * new key must be published this long before it signs (README: rotation).
 */
const JWKS_MAX_AGE_SECONDS = 300;

export interface PaymentContextSigner {
  /** `GET /.well-known/jwks.json`: the public keys, never a private member. */
  readonly jwks: () => Promise<Response>;
  /** The context of the paid request on `c`, forwarded to `upstream`. */
  readonly sign: (c: Context<WorkerEnv>, upstream: URL) => Promise<string>;
}

/**
 * The template Worker's payment context: claims from what the paywall
 * admitted (`c.var.l402`, `c.var.l402Route`), signed with the first of
 * L402_CONTEXT_KEYS. The keys are imported into WebCrypto once per isolate,
 * on first use; an import that fails (a JWK whose `x` is not its `d`'s) is
 * tried again by the next request, which fails as a 500 until the secret is
 * fixed: a paid request never reaches the origin without its context.
 */
export function paymentContextSigner(settings: { readonly keys: readonly ContextKeySpec[]; readonly ttlSeconds: number }): PaymentContextSigner {
  let imported: Promise<ContextKeys> | undefined;
  const keys = (): Promise<ContextKeys> => {
    imported ??= importContextKeys(settings.keys).catch((error: unknown) => {
      imported = undefined;
      throw error;
    });
    return imported;
  };
  return {
    jwks: async () => Response.json((await keys()).jwks, { headers: { "Cache-Control": `public, max-age=${JWKS_MAX_AGE_SECONDS}` } }),
    sign: async (c, upstream) => signPaymentContext((await keys()).signer, contextClaims(c, upstream, settings.ttlSeconds)),
  };
}

function contextClaims(c: Context<WorkerEnv>, upstream: URL, ttlSeconds: number): PaymentContextClaims {
  const access = c.get("l402");
  const route = c.get("l402Route");
  if (access === undefined || route.service === undefined) throw new Error("a payment context is signed for a paid request only");
  const now = Math.floor(Date.now() / 1000);
  const { grant } = access;
  return {
    iss: route.url.origin,
    aud: upstream.origin,
    sub: access.tokenId,
    iat: now,
    exp: now + ttlSeconds,
    jti: crypto.randomUUID(),
    svc: access.service,
    scheme: access.scheme,
    amount_msat: String(amountPaid(route.service, grant)),
    ...(access.remaining === undefined ? {} : { remaining: access.remaining }),
    ...(access.balanceMsat === undefined ? {} : { balance_msat: String(access.balanceMsat) }),
    ...(grant.validUntil === undefined ? {} : { token_exp: grant.validUntil }),
    method: c.req.method,
    path: upstream.pathname,
    query: upstream.search.slice(1),
  };
}

/**
 * What the token's payment was for: the price minted into it (request-priced
 * services), the credit offer whose credit it holds (balances), else the
 * service's price, which is what its invoice was for.
 */
function amountPaid(service: ServiceConfig, grant: Grant): bigint {
  if (grant.priceMsat !== undefined) return grant.priceMsat;
  const credit = grant.creditMsat === undefined ? undefined : service.balance?.offers.find((offer) => offer.creditMsat === grant.creditMsat);
  return credit?.amountMsat ?? grant.creditMsat ?? service.priceMsat;
}
