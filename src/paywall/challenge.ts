import { hex } from "@scure/base";
import { recordMint } from "../stateful/ledger.ts";
import { addressPrefix, CLIENT_NETWORK } from "../stateful/address-prefix.ts";
import { clientKey, dropChallenge, readChallenge, RECHECK_SECONDS, storeChallenge, type CachedChallenge } from "../abuse/challenge-cache.ts";
import type { Config, ServiceConfig } from "../config/index.ts";
import { encodeMacaroon } from "../macaroon/index.ts";
import { fromBase64Lenient, mint, serviceCaveats, toBase64, type Failure } from "../l402/index.ts";
import { LightningError } from "../lightning/index.ts";
import { challengeResponse, type ChallengeParts } from "./challenge-response.ts";
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
  /** Hex sha256 of the preimage a refused credential carried: proof that its invoice was paid. */
  readonly paidHash: string | undefined;
  /** The Rate Limiting binding for minting, when configured. */
  readonly limiter: RateLimit | undefined;
  readonly cache: Cache;
  /** The D1 ledger, when this service records to it. */
  readonly ledger: D1Database | undefined;
  readonly waitUntil: (promise: Promise<unknown>) => void;
}

/** A challenge to answer with, or why none could be had (each caller writes its own answer). */
type Issued =
  | { readonly ok: true; readonly parts: ChallengeParts; readonly reused: boolean }
  | { readonly ok: false; readonly outcome: "node_unavailable" | "rate_limited"; readonly retryAfterSeconds: number; readonly detail?: string };

/** Per client key, the challenge being worked out right now: concurrent misses share one invoice. */
const inFlight = new Map<string, Promise<Issued>>();

/**
 * Answers a request without a valid credential: the client's recent challenge
 * if it may still be unpaid, else (within the mint rate limit and while the node
 * is healthy) a fresh invoice with a macaroon minted over its payment hash. No
 * invoice, no access: every failure is a 429 or 503, never a forward.
 */
export async function issueChallenge(params: ChallengeRequest): Promise<ChallengeOutcome> {
  const { request, runtime, service, failure } = params;
  const key = runtime.config.challengeCacheSeconds > 0 ? clientKey(request, service.name, service.priceMsat) : undefined;
  const issued = key === undefined ? await mintFresh(params) : await sharedChallenge(params, key);
  if (issued.ok) {
    return { response: challengeResponse(request, service, failure, issued.parts), outcome: issued.reused ? "challenged_again" : "challenged" };
  }
  if (issued.outcome === "rate_limited") {
    const body = { reason: "rate_limited", detail: "too many unpaid requests from this address; pay a challenge you already have, or retry later" };
    return { response: respond(request, 429, body, { "Retry-After": String(issued.retryAfterSeconds) }), outcome: "rate_limited" };
  }
  const body = { reason: "node_unavailable", detail: "the Lightning node cannot issue an invoice right now; retry shortly" };
  return { response: respond(request, 503, body, { "Retry-After": String(issued.retryAfterSeconds) }), outcome: "node_unavailable", ...(issued.detail === undefined ? {} : { detail: issued.detail }) };
}

async function sharedChallenge(params: ChallengeRequest, key: Request): Promise<Issued> {
  if (params.paidHash !== undefined && (await readChallenge(params.cache, key))?.paymentHash === params.paidHash) {
    await dropChallenge(params.cache, key);
  }
  let flight = inFlight.get(key.url);
  if (flight === undefined) {
    flight = cachedOrFresh(params, key).finally(() => inFlight.delete(key.url));
    inFlight.set(key.url, flight);
  }
  const issued = await flight;
  // A flight that began before the drop can still hand back the invoice this client just proved paid.
  if (issued.ok && issued.parts.paymentHash === params.paidHash) return storedFresh(params, key);
  return issued;
}

async function cachedOrFresh(params: ChallengeRequest, key: Request): Promise<Issued> {
  const cached = await readChallenge(params.cache, key);
  if (cached !== undefined && params.now < cached.expiresAt && (await stillOpen(params, key, cached))) {
    const { macaroon, ...rest } = cached;
    return { ok: true, reused: true, parts: { ...rest, macaroon: fromBase64Lenient(macaroon) as Uint8Array } };
  }
  return storedFresh(params, key);
}

/** A fresh challenge, stored for the client before anyone is answered with it. */
async function storedFresh(params: ChallengeRequest, key: Request): Promise<Issued> {
  const issued = await mintFresh(params);
  if (issued.ok) {
    const entry = { ...issued.parts, macaroon: toBase64(issued.parts.macaroon), checkedAt: params.now };
    await storeChallenge(params.cache, key, entry, params.runtime.config.challengeCacheSeconds, params.now);
  }
  return issued;
}

/** Whether a cached invoice is still open: as last seen within the recheck window, else as the node says. */
async function stillOpen(params: ChallengeRequest, key: Request, cached: CachedChallenge): Promise<boolean> {
  const { runtime, now } = params;
  if (now - cached.checkedAt < RECHECK_SECONDS) return true;
  let state: string;
  try {
    state = (await runtime.backend.lookupInvoice(hex.decode(cached.paymentHash))).state;
  } catch (error) {
    if (!(error instanceof LightningError)) throw error;
    // A sick node cannot say; the cached challenge is still a correct one to show.
    if (error.kind !== "not_found") return true;
    // A healthy node that no longer knows the invoice: the cached challenge can never be paid.
    state = "unknown";
  }
  if (state === "open") {
    await storeChallenge(params.cache, key, { ...cached, checkedAt: now }, runtime.config.challengeCacheSeconds, now);
    return true;
  }
  await dropChallenge(params.cache, key);
  return false;
}

async function mintFresh(params: ChallengeRequest): Promise<Issued> {
  const { request, runtime, service, now } = params;
  const { config } = runtime;
  if (params.limiter !== undefined) {
    const client = addressPrefix(request.headers.get("cf-connecting-ip"), CLIENT_NETWORK);
    const { success } = await params.limiter.limit({ key: client });
    if (!success) return { ok: false, outcome: "rate_limited", retryAfterSeconds: config.mintRetryAfterSeconds };
  }
  let invoice;
  try {
    invoice = await runtime.backend.createInvoice({
      amountMsat: service.priceMsat,
      memo: config.memo.replaceAll("{service}", service.name),
      expirySeconds: config.invoiceExpirySeconds,
    });
  } catch (error) {
    if (!(error instanceof LightningError)) throw error;
    return { ok: false, outcome: "node_unavailable", retryAfterSeconds: error.retryAfterSeconds ?? NODE_RETRY_AFTER_SECONDS, detail: `${error.kind}: ${error.message}` };
  }
  const minted = mintFor(config, service, invoice.paymentHash, now);
  const parts = { macaroon: encodeMacaroon(minted.macaroon), invoice: invoice.paymentRequest, paymentHash: hex.encode(invoice.paymentHash), expiresAt: invoice.expiresAt };
  if (params.ledger !== undefined) {
    params.waitUntil(recordMint(params.ledger, { paymentHash: parts.paymentHash, tokenId: hex.encode(minted.tokenId), service: service.name, priceMsat: service.priceMsat, createdAt: now }));
  }
  return { ok: true, reused: false, parts };
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
