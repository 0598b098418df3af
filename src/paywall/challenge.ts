import { hex } from "@scure/base";
import { recordMint } from "../stateful/ledger.ts";
import { clientKey, dropChallenge, readChallenge, RECHECK_SECONDS, storeChallenge, type CachedChallenge } from "../abuse/challenge-cache.ts";
import type { Config, ServiceConfig } from "../config/index.ts";
import { encodeMacaroon } from "../macaroon/index.ts";
import { fromBase64Lenient, mint, serviceCaveats, toBase64, type Failure } from "../l402/index.ts";
import { LightningError } from "../lightning/index.ts";
import { challengeResponse } from "./challenge-response.ts";
import { respond } from "./respond.ts";
import type { Runtime } from "./runtime.ts";

export interface ChallengeOutcome {
  readonly response: Response;
  /** For the log. */
  readonly outcome: "challenged" | "challenged_again" | "node_unavailable" | "rate_limited";
  readonly detail?: string;
}

/** Seconds a client should wait before retrying when the node could not make an invoice. */
export const NODE_RETRY_AFTER_SECONDS = 5;

export interface ChallengeRequest {
  readonly request: Request;
  readonly runtime: Runtime;
  readonly service: ServiceConfig;
  readonly failure: Failure;
  /** Unix seconds. */
  readonly now: number;
  /** The Rate Limiting binding for minting, when configured. */
  readonly limiter: RateLimit | undefined;
  readonly cache: Cache;
  /** The D1 ledger, when this service records to it. */
  readonly ledger: D1Database | undefined;
  readonly waitUntil: (promise: Promise<unknown>) => void;
}

/**
 * Answers a request without a valid credential: the client's recent challenge
 * if it is still unpaid, else (within the mint rate limit and while the node is
 * healthy) a fresh invoice with a macaroon minted over its payment hash. No
 * invoice, no access: every failure is a 429 or 503, never a forward.
 */
export async function issueChallenge(params: ChallengeRequest): Promise<ChallengeOutcome> {
  const { request, runtime, service, failure, now } = params;
  const { config, breaker } = runtime;
  const key = config.challengeCacheSeconds > 0 ? clientKey(request, service.name, service.priceMsat) : undefined;
  const reused = key === undefined ? undefined : await reuse(params, key);
  if (reused !== undefined) {
    const parts = { ...reused, macaroon: fromBase64Lenient(reused.macaroon) as Uint8Array };
    return { response: challengeResponse(request, service, failure, parts), outcome: "challenged_again" };
  }

  if (params.limiter !== undefined) {
    const client = request.headers.get("cf-connecting-ip") ?? "unknown";
    const { success } = await params.limiter.limit({ key: client });
    if (!success) {
      const body = { reason: "rate_limited", detail: "too many unpaid requests from this address; pay a challenge you already have, or retry later" };
      return { response: respond(request, 429, body, { "Retry-After": String(config.mintRetryAfterSeconds) }), outcome: "rate_limited" };
    }
  }

  const admitted = breaker.admit();
  if (!admitted.ok) return nodeUnavailable(request, admitted.retryAfterSeconds, "breaker_open");
  let invoice;
  try {
    invoice = await runtime.backend.createInvoice({
      amountMsat: service.priceMsat,
      memo: config.memo.replaceAll("{service}", service.name),
      expirySeconds: config.invoiceExpirySeconds,
    });
    breaker.success();
  } catch (error) {
    if (!(error instanceof LightningError)) throw error;
    breaker.failure();
    return nodeUnavailable(request, NODE_RETRY_AFTER_SECONDS, `${error.kind}: ${error.message}`);
  }

  const minted = mintFor(config, service, invoice.paymentHash, now);
  const macaroon = encodeMacaroon(minted.macaroon);
  const parts = { macaroon, invoice: invoice.paymentRequest, paymentHash: hex.encode(invoice.paymentHash), expiresAt: invoice.expiresAt };
  if (params.ledger !== undefined) {
    params.waitUntil(recordMint(params.ledger, { paymentHash: parts.paymentHash, tokenId: hex.encode(minted.tokenId), service: service.name, priceMsat: service.priceMsat, createdAt: now }));
  }
  if (key !== undefined) {
    const entry: CachedChallenge = { ...parts, macaroon: toBase64(macaroon), checkedAt: now };
    params.waitUntil(storeChallenge(params.cache, key, entry, config.challengeCacheSeconds, now));
  }
  return { response: challengeResponse(request, service, failure, parts), outcome: "challenged" };
}

/** The client's cached challenge, if its invoice is still open (re-checked at most once a second). */
async function reuse(params: ChallengeRequest, key: Request): Promise<CachedChallenge | undefined> {
  const { runtime, now } = params;
  const cached = await readChallenge(params.cache, key);
  if (cached === undefined || now >= cached.expiresAt) return undefined;
  if (now - cached.checkedAt < RECHECK_SECONDS) return cached;
  // A sick node is not asked; the cached challenge is still a correct one to show.
  if (!runtime.breaker.admit().ok) return cached;
  let state: string;
  try {
    state = (await runtime.backend.lookupInvoice(hex.decode(cached.paymentHash))).state;
    runtime.breaker.success();
  } catch (error) {
    if (!(error instanceof LightningError)) throw error;
    if (error.kind !== "not_found") {
      runtime.breaker.failure();
      return cached;
    }
    // A healthy node that no longer knows the invoice: the cached challenge can never be paid.
    runtime.breaker.success();
    state = "unknown";
  }
  if (state === "open") {
    params.waitUntil(storeChallenge(params.cache, key, { ...cached, checkedAt: now }, runtime.config.challengeCacheSeconds, now));
    return cached;
  }
  params.waitUntil(dropChallenge(params.cache, key));
  return undefined;
}

function mintFor(config: Config, service: ServiceConfig, paymentHash: Uint8Array, now: number) {
  return mint({
    keyring: config.keyring,
    paymentHash,
    location: config.location,
    caveats: serviceCaveats({
      service: service.name,
      ...(service.capabilities === undefined ? {} : { capabilities: service.capabilities }),
      ...(service.timeoutSeconds === undefined ? {} : { validUntil: now + service.timeoutSeconds }),
      ...(service.uses === undefined ? {} : { uses: service.uses }),
    }),
  });
}

function nodeUnavailable(request: Request, retryAfterSeconds: number, detail: string): ChallengeOutcome {
  const body = { reason: "node_unavailable", detail: "the Lightning node cannot issue an invoice right now; retry shortly" };
  return { response: respond(request, 503, body, { "Retry-After": String(retryAfterSeconds) }), outcome: "node_unavailable", detail };
}
