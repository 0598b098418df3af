import { sha256 } from "@noble/hashes/sha2.js";
import { Hono } from "hono";
import { MAX_CREDENTIAL_HEADER_CHARS, readCredential, toHex, verify, type Failure } from "../l402/index.ts";
import { forward, TOKEN_ID_HEADER } from "../proxy/forward.ts";
import { issueChallenge } from "./challenge.ts";
import { isPreflight, preflightResponse, withCors } from "./cors.ts";
import { HEALTH_PATH, healthResponse } from "./health.ts";
import { writeLog, type RequestLog } from "./log.ts";
import { canonicalUrl } from "./canonical-url.ts";
import { isFreePath, matchService, requiredCapabilities } from "./match.ts";
import { respond, requestIdOf } from "./respond.ts";
import { runtimeFor, type Runtime } from "./runtime.ts";
import { adminResponse } from "./admin.ts";
import { admitPaid } from "./paid.ts";
import { takeFreebie, withHeaders } from "./stateful.ts";

const isBodyless = (method: string) => method === "GET" || method === "HEAD";

type PaywallEnv = { Bindings: Env; Variables: { log: RequestLog; runtime: Runtime } };

/** How long the origin may take to send its response headers. */
const ORIGIN_HEADERS_TIMEOUT_MS = 30_000;

/**
 * The request pipeline: log and config first, then health, then the paywall:
 * match a service → verify the credential → forward; or issue a challenge.
 */
export function createApp(): Hono<PaywallEnv> {
  const app = new Hono<PaywallEnv>();

  app.use(async (c, next) => {
    const startedAt = Date.now();
    const url = new URL(c.req.url);
    const log: RequestLog = { requestId: requestIdOf(c.req.raw), method: c.req.method, host: url.host, path: url.pathname };
    c.set("log", log);
    try {
      await next();
    } finally {
      log.status = c.res.status;
      writeLog(log, startedAt);
    }
  });

  app.onError((error, c) => {
    const log = c.get("log");
    log.outcome = "error";
    log.detail = error instanceof Error ? error.name : "unknown";
    console.error(JSON.stringify({ requestId: log.requestId, error: String(error) }));
    return respond(c.req.raw, 500, { reason: "internal_error", detail: "unexpected error", request_id: log.requestId });
  });

  app.get(HEALTH_PATH, async (c) => {
    c.get("log").outcome = "health";
    return healthResponse(runtimeFor(c.env));
  });

  app.use(async (c, next) => {
    const loaded = runtimeFor(c.env);
    if (!loaded.ok) {
      const log = c.get("log");
      log.outcome = "misconfigured";
      console.error(JSON.stringify({ requestId: log.requestId, misconfigured: loaded.problems }));
      return respond(c.req.raw, 500, { reason: "misconfigured", detail: "the paywall is not configured correctly", request_id: log.requestId });
    }
    c.set("runtime", loaded.runtime);
    await next();
  });

  app.all("*", async (c) => {
    const request = c.req.raw;
    const log = c.get("log");
    const runtime = c.get("runtime");
    const { config } = runtime;
    // What is matched is what the origin receives: one canonical URL for both.
    const canonical = canonicalUrl(new URL(request.url));
    if (!canonical.ok) {
      log.outcome = "refused";
      log.reason = canonical.reason;
      return respond(request, 400, { reason: canonical.reason, detail: canonical.detail });
    }
    const url = canonical.value;
    // fetch() cannot send a GET or HEAD with a body, so the origin could never receive it.
    if (isBodyless(request.method) && request.body !== null && request.headers.get("content-length") !== "0") {
      log.outcome = "refused";
      log.reason = "body_not_allowed";
      return respond(request, 400, { reason: "body_not_allowed", detail: `a ${request.method} request cannot carry a body` });
    }
    const reservedHeaders = [TOKEN_ID_HEADER, config.originAuthHeader];
    const originAuth = config.originSecret === undefined ? undefined : ([config.originAuthHeader, config.originSecret] as const);

    const waitUntil = (promise: Promise<unknown>) => c.executionCtx.waitUntil(promise);
    if (url.pathname === config.adminPath || url.pathname.startsWith(`${config.adminPath}/`)) {
      log.outcome = "admin";
      return adminResponse(request, url.pathname, runtime, c.env.L402_LEDGER, Math.floor(Date.now() / 1000));
    }
    const service = matchService(config.services, url);
    const send = async (tokenId: string | undefined, outcome: "paid" | "free" | "passthrough" | "freebie") => {
      const result = await forward(request, url, { origin: service?.origin, tokenId, originAuth, reservedHeaders, headersTimeoutMs: ORIGIN_HEADERS_TIMEOUT_MS, ignoreCase: service?.matchCase === false });
      if (!result.ok) {
        log.outcome = "origin_error";
        log.reason = result.reason;
        return respond(request, result.status, { reason: result.reason, detail: "the origin did not answer", request_id: log.requestId });
      }
      log.outcome = outcome;
      return withCors(request, result.response);
    };

    if (service === undefined) {
      if (config.unmatched === "pass") return send(undefined, "passthrough");
      log.outcome = "not_found";
      return respond(request, 404, { reason: "no_service", detail: "no paid service is configured at this path" });
    }
    log.service = service.name;
    if (isPreflight(request)) {
      log.outcome = "preflight";
      return preflightResponse(request);
    }
    if (!service.auth || isFreePath(service, url)) return send(undefined, "free");

    const now = Math.floor(Date.now() / 1000);
    const credentialHeaders = {
      authorization: request.headers.get("authorization"),
      macaroon: request.headers.get("macaroon"),
      grpcMetadataMacaroon: request.headers.get("grpc-metadata-macaroon"),
    };
    // Oversized credentials are refused before any decoding, and without an invoice.
    if (Object.values(credentialHeaders).some((value) => value !== null && value.length > MAX_CREDENTIAL_HEADER_CHARS)) {
      log.outcome = "refused";
      log.reason = "header_too_large";
      return respond(request, 431, { reason: "header_too_large", detail: `credential headers are limited to ${MAX_CREDENTIAL_HEADER_CHARS} characters` });
    }
    const parsed = readCredential(credentialHeaders);
    let failure: Failure;
    /** A refused credential's preimage proves its invoice paid, whatever else is wrong with it. */
    let paidHash: string | undefined;
    if (parsed.ok) {
      const capabilities = requiredCapabilities(service, request.method, url);
      const verified = verify(parsed.value, { keyring: config.keyring, service: service.name, now, capabilities });
      if (verified.ok) {
        log.tokenId = toHex(verified.value.tokenId);
        const admitted = await admitPaid({ request, env: c.env, runtime, service, verified: verified.value, tokenId: log.tokenId, now, waitUntil });
        if (admitted.kind === "forward") return withHeaders(await send(log.tokenId, "paid"), admitted.headers);
        if (admitted.kind === "unavailable") {
          log.outcome = "error";
          log.reason = admitted.reason;
          return respond(request, 503, { reason: admitted.reason, detail: admitted.detail }, { "Retry-After": "1" });
        }
        failure = admitted.failure;
      } else {
        failure = verified;
      }
      paidHash = toHex(sha256(parsed.value.preimage));
    } else {
      failure = parsed;
    }

    if (failure.reason === "missing") {
      const freebie = await takeFreebie(c.env, service, request, now);
      if (freebie !== undefined) return withHeaders(await send(undefined, "freebie"), { "X-L402-Freebies-Remaining": String(freebie.remaining) });
    }
    log.reason = failure.reason;
    const challenge = await issueChallenge({
      request,
      runtime,
      service,
      failure,
      now,
      paidHash,
      limiter: c.env.L402_MINT_LIMITER,
      cache: caches.default,
      ledger: service.ledger ? c.env.L402_LEDGER : undefined,
      waitUntil,
    });
    log.outcome = challenge.outcome;
    if (challenge.detail !== undefined) log.detail = challenge.detail;
    return challenge.response;
  });

  return app;
}
