import { createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify, type JSONWebKeySet, type JWTVerifyGetKey } from "jose";
import { PAYMENT_CONTEXT_TYPE, type PaymentContextClaims } from "../context/claims.ts";
import type { ServedContexts } from "./served-contexts.ts";

/**
 * `l402-edge/origin`: the origin's side of the payment context. The paywall
 * sends each paid request on with a JWT (header `Payment-Context` by
 * default) saying what was paid and for which request, signed with an
 * Ed25519 key whose public half it serves at `/.well-known/jwks.json`. This
 * checks one: its signature (EdDSA only), its type, its expiry, its audience
 * (required: a context forwarded to another origin is not this one's), and
 * (given) its issuer and service; given the request, that it was signed for
 * this method, path and query. Built on jose and web APIs alone: Node 20+,
 * Workers, Deno, Bun.
 */
export type { PaymentContextClaims } from "../context/claims.ts";
export { memoryServedContexts, type MemoryServedContextsOptions, type ServedAnswer, type ServedContexts } from "./served-contexts.ts";

export const PAYMENT_CONTEXT_HEADER = "Payment-Context";

export interface VerifyPaymentContextOptions {
  /** The paywall's JWKS (`https://<paywall>/.well-known/jwks.json`): fetched, cached and refetched for an unknown `kid` by jose. */
  readonly jwksUrl?: string | URL;
  /** …or the keys themselves: a JWKS document, or jose's key resolver (`createRemoteJWKSet` with options of your own). */
  readonly jwks?: JSONWebKeySet | JWTVerifyGetKey;
  /** The `aud` it must name: the origin's URL as the paywall forwards to it (its `origin.url`, scheme and host). Required. */
  readonly audience: string;
  /** The `iss` it must name: the paywall's own origin (`https://paywall.example`). */
  readonly issuer?: string;
  /** The service(s) the route sells (`svc`): a context bought for a cheaper service at the same origin is refused. */
  readonly service?: string | readonly string[];
  /** Seconds of clock skew allowed on `exp` (and `nbf`; `iat` is required, not timed) (default 5). */
  readonly clockTolerance?: number;
  /** The header carrying it, when a request is given (default `Payment-Context`, the paywall's L402_CONTEXT_HEADER). */
  readonly header?: string;
  /**
   * Refuse a context signed for another method, path or query (default true:
   * then the request must be given, not the header's value alone; `false`
   * accepts a context whatever request it was signed for).
   */
  readonly matchRequest?: boolean;
  /**
   * Serve each context once: its `jti` recorded here (until its `exp` and the
   * clock tolerance), and one seen again refused (`replayed`). For a `uses: 1`
   * service or a one-shot action; `memoryServedContexts()` in one process.
   */
  readonly once?: ServedContexts;
}

/** A request as Web APIs (`Request`) and Node's http/Express (`req`) give it. */
export interface RequestLike {
  /** Optional as Node types it (always there on a server's request). */
  readonly method?: string | undefined;
  /** Absolute, or a path with its query (Node's `req.url`). */
  readonly url?: string | undefined;
  readonly headers: Headers | Readonly<Record<string, string | readonly string[] | undefined>>;
}

export type PaymentContextRefusal =
  | "missing" // no header
  | "malformed" // not a compact JWS, or not EdDSA
  | "bad_signature" // tampered with, or signed by another key under a published kid
  | "unknown_key" // signed by a key the JWKS does not (or no longer) publish
  | "expired"
  | "wrong_type" // a JWT of another kind
  | "wrong_audience"
  | "wrong_issuer"
  | "wrong_service" // bought for another service than `service`
  | "invalid_claims" // claims missing or of the wrong type
  | "request_mismatch" // signed for another method, path or query
  | "replayed" // served before (`once`)
  | "replay_cache_full" // `once` could not record it: full
  | "replay_store_unavailable" // `once` failed (a shared store down)
  | "jwks_unavailable"; // the JWKS could not be fetched

export type VerifiedPaymentContext = { readonly ok: true; readonly claims: PaymentContextClaims } | { readonly ok: false; readonly reason: PaymentContextRefusal; readonly detail: string };

/** One resolver per JWKS URL, so its cache lives as long as the process (or isolate). */
const remoteSets = new Map<string, JWTVerifyGetKey>();

/**
 * Verifies a payment context: the request carrying it, or (with `matchRequest:
 * false`) the header's value. Never throws for a bad context: `{ ok: false,
 * reason, detail }`; throws a TypeError for options that would check less than
 * they seem to (no audience, a request not given to match, a clock tolerance
 * that is not a number of seconds).
 */
export async function verifyPaymentContext(given: string | null | undefined | RequestLike, options: VerifyPaymentContextOptions): Promise<VerifiedPaymentContext> {
  if (typeof options.audience !== "string" || options.audience === "") {
    throw new TypeError("verifyPaymentContext needs audience: this origin's URL as the paywall forwards to it (its origin.url's scheme and host)");
  }
  const clockTolerance = options.clockTolerance ?? 5;
  // A number only (jose also reads "30s"): `once` adds it to exp.
  if (typeof clockTolerance !== "number" || !Number.isFinite(clockTolerance) || clockTolerance < 0) throw new TypeError("verifyPaymentContext's clockTolerance must be a number of seconds, at least 0");
  const request = typeof given === "object" && given !== null ? given : undefined;
  if (request === undefined && options.matchRequest !== false) {
    throw new TypeError("verifyPaymentContext was given the header's value alone, so it cannot check the request was the one signed: pass the request, or matchRequest: false");
  }
  const token = request === undefined ? given : headerOf(request, options.header ?? PAYMENT_CONTEXT_HEADER);
  if (typeof token !== "string" || token === "") return refuse("missing", "no payment context");
  const keys = keysOf(options);
  let payload: unknown;
  try {
    ({ payload } = await jwtVerify(token, keys, {
      algorithms: ["EdDSA"],
      typ: PAYMENT_CONTEXT_TYPE,
      requiredClaims: ["iss", "aud", "sub", "iat", "exp", "jti"],
      clockTolerance,
      audience: options.audience,
      ...(options.issuer === undefined ? {} : { issuer: options.issuer }),
    }));
  } catch (error) {
    return refusalOf(error);
  }
  if (!isContextClaims(payload)) return refuse("invalid_claims", "the payment context's claims are not all there, or not of their types");
  const services = typeof options.service === "string" ? [options.service] : options.service;
  if (services !== undefined && !services.includes(payload.svc)) return refuse("wrong_service", `the payment context was bought for ${payload.svc}`);
  if (request !== undefined && options.matchRequest !== false) {
    // A path from the root is a path, whatever it begins with (`//a/b` is not host a's /b).
    const url = request.url ?? "";
    // An absolute target Node's parser takes and URL does not (`http://1.2.3.4.5/x`) is no request the context was signed for.
    const target = url.startsWith("/") ? `http://origin.invalid${url}` : url;
    // URL.canParse, not URL.parse: what the package ships runs on Node 20.
    if (!URL.canParse(target, "http://origin.invalid")) return refuse("request_mismatch", "the request's target is not a URL the payment context could have been signed for");
    const { pathname, search } = new URL(target, "http://origin.invalid");
    // A context without a query claim (signed before it was added) is matched by method and path alone.
    const queryDiffers = payload.query !== undefined && payload.query !== search.slice(1);
    // Methods without case: fetch() upper-cases only the six it knows (a Worker signs `patch` as sent), Node's parser every one.
    if (payload.method.toUpperCase() !== request.method?.toUpperCase() || payload.path !== pathname || queryDiffers) {
      return refuse("request_mismatch", `the payment context was signed for ${payload.method} ${payload.path}${payload.query ? `?${payload.query}` : ""}`);
    }
  }
  if (options.once !== undefined) {
    // Last: a context refused above keeps its jti for the request it was signed for. Kept while jose would still take it, and a margin more:
    // a shared store expiring keys by its own clock (Redis's EXAT: whole seconds) may run ahead of this one.
    let served: unknown;
    try {
      served = await options.once.add(payload.jti, Math.ceil(payload.exp + clockTolerance) + STORE_CLOCK_MARGIN_SECONDS);
    } catch {
      return refuse("replay_store_unavailable", "the record of contexts served could not be read or written");
    }
    if (served === "seen") return refuse("replayed", "this payment context was served before");
    if (served !== "added") return refuse("replay_cache_full", "the record of contexts served is full: this one cannot be served once");
  }
  return { ok: true, claims: payload };
}

/** How much longer than jose would take a context its jti is kept: a replay store's clock may run this far ahead of the origin's. */
const STORE_CLOCK_MARGIN_SECONDS = 60;

function keysOf(options: VerifyPaymentContextOptions): JWTVerifyGetKey {
  if (typeof options.jwks === "function") return unavailableApart(options.jwks);
  if (options.jwks !== undefined) return unavailableApart(createLocalJWKSet(options.jwks));
  if (options.jwksUrl === undefined) throw new TypeError("verifyPaymentContext needs jwksUrl or jwks");
  const url = new URL(options.jwksUrl);
  let set = remoteSets.get(url.href);
  if (set === undefined) {
    set = unavailableApart(createRemoteJWKSet(url));
    remoteSets.set(url.href, set);
  }
  return set;
}

/** The keys could not be had (a fetch failed, a non-200, not a JWKS): told apart from a context that names no published key. */
class JwksUnavailable extends Error {}

function unavailableApart(keys: JWTVerifyGetKey): JWTVerifyGetKey {
  return async (header, token) => {
    try {
      return await keys(header, token);
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) throw error;
      throw new JwksUnavailable("the JWKS could not be read", { cause: error });
    }
  };
}

function headerOf(request: RequestLike, name: string): string | undefined {
  const { headers } = request;
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const value = headers[name.toLowerCase()];
  return typeof value === "string" ? value : undefined;
}

const refuse = (reason: PaymentContextRefusal, detail: string): VerifiedPaymentContext => ({ ok: false, reason, detail });

function refusalOf(error: unknown): VerifiedPaymentContext {
  if (error instanceof errors.JWTExpired) return refuse("expired", "the payment context has expired");
  if (error instanceof errors.JWTClaimValidationFailed) {
    const byClaim: Record<string, PaymentContextRefusal> = { typ: "wrong_type", aud: "wrong_audience", iss: "wrong_issuer" };
    return refuse(byClaim[error.claim] ?? "invalid_claims", error.message);
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return refuse("bad_signature", "the payment context's signature does not verify");
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) return refuse("unknown_key", "the payment context names no key the JWKS publishes");
  if (error instanceof JwksUnavailable) return refuse("jwks_unavailable", "the paywall's JWKS could not be fetched or read");
  if (error instanceof errors.JOSEError) return refuse("malformed", error.message);
  throw error;
}

function isContextClaims(payload: unknown): payload is PaymentContextClaims {
  const claims = payload as Record<string, unknown>;
  const text = (name: string) => typeof claims[name] === "string";
  const whole = (name: string) => Number.isSafeInteger(claims[name]);
  const optional = (name: string, check: (name: string) => boolean) => claims[name] === undefined || check(name);
  const msat = (name: string) => typeof claims[name] === "string" && /^\d{1,20}$/.test(claims[name]);
  return (
    ["iss", "aud", "sub", "jti", "svc", "scheme", "method", "path"].every(text) &&
    ["iat", "exp"].every(whole) &&
    msat("amount_msat") &&
    optional("remaining", whole) &&
    optional("balance_msat", msat) &&
    optional("token_exp", whole) &&
    optional("query", text)
  );
}
