import { hex } from "@scure/base";
import type { ServiceConfig } from "../config/index.ts";
import { encodeMacaroon } from "../macaroon/index.ts";
import { fail, fromBase64Lenient, mint, serviceCaveats, succeed, toBase64, type Failure } from "../l402/index.ts";
import { LightningError } from "../lightning/index.ts";
import { RECHECK_SECONDS, storeChallenge } from "./challenge-cache.ts";
import type { ChallengeParts } from "./challenge-parts.ts";
import { addressPrefix, CLIENT_NETWORK } from "./client-network.ts";
import type { ResolvedPaywall } from "./options.ts";
import type { CachedChallenge, ChallengeCache } from "./ports.ts";

/** Seconds a client should wait before retrying when the node could not make an invoice. */
const NODE_RETRY_AFTER_SECONDS = 5;

export interface ChallengeRequest {
  readonly paywall: ResolvedPaywall;
  readonly service: ServiceConfig;
  /** The client's address (see client-network.ts). */
  readonly address: string | null;
  /** Identifies the client's cache entry: see challenge-cache.ts. */
  readonly cacheKey: string;
  /** Unix seconds. */
  readonly now: number;
  /** Hex sha256 of the preimage a refused credential carried: proof that its invoice was paid. */
  readonly paidHash: string | undefined;
  /**
   * For this client alone: neither read from nor stored in the challenge cache.
   * A browser page's challenge is, since its browser alone may collect it once
   * paid (browser/pending-challenge.ts).
   */
  readonly unshared?: boolean;
  readonly waitUntil: (promise: Promise<unknown>) => void;
}

export interface Issued {
  readonly parts: ChallengeParts;
  /** The client's earlier challenge, handed back. */
  readonly reused: boolean;
}

/** Why no challenge: the mint limit, or the node. `retryAfterSeconds` for the answer's Retry-After. */
export type NotIssued = Failure<"rate_limited" | "node_unavailable"> & { readonly retryAfterSeconds: number };
export type IssueResult = { readonly ok: true; readonly value: Issued } | NotIssued;

/** Per client key, the challenge being worked out right now: concurrent misses share one invoice. */
const inFlight = new Map<string, Promise<IssueResult>>();

/**
 * A challenge for a request without a valid credential: the client's recent one
 * if it may still be unpaid, else (within the mint limit, while the node can) a
 * fresh invoice with a macaroon minted over its payment hash. No invoice, no
 * access: every failure is a refusal, never a pass.
 */
export async function issueChallenge(request: ChallengeRequest): Promise<IssueResult> {
  const cache = request.paywall.ports.challengeCache;
  if (cache === undefined || request.paywall.challengeCacheSeconds === 0 || request.unshared === true) return mintFresh(request);
  if (request.paidHash !== undefined && (await cache.read(request.cacheKey))?.paymentHash === request.paidHash) {
    await cache.drop(request.cacheKey);
  }
  let flight = inFlight.get(request.cacheKey);
  if (flight === undefined) {
    flight = cachedOrFresh(request, cache).finally(() => inFlight.delete(request.cacheKey));
    inFlight.set(request.cacheKey, flight);
  }
  const issued = await flight;
  // A flight that began before the drop can still hand back the invoice this client just proved paid.
  if (issued.ok && issued.value.parts.paymentHash === request.paidHash) return storedFresh(request, cache);
  return issued;
}

async function cachedOrFresh(request: ChallengeRequest, cache: ChallengeCache): Promise<IssueResult> {
  const cached = await cache.read(request.cacheKey);
  if (cached !== undefined && request.now < cached.expiresAt && (await stillOpen(request, cache, cached))) {
    const { macaroon, checkedAt: _checkedAt, ...rest } = cached;
    return succeed({ reused: true, parts: { ...rest, macaroon: fromBase64Lenient(macaroon) as Uint8Array } });
  }
  return storedFresh(request, cache);
}

/** A fresh challenge, stored for the client before anyone is answered with it. */
async function storedFresh(request: ChallengeRequest, cache: ChallengeCache): Promise<IssueResult> {
  const issued = await mintFresh(request);
  if (issued.ok) {
    const { parts } = issued.value;
    const entry = { invoice: parts.invoice, macaroon: toBase64(parts.macaroon), paymentHash: parts.paymentHash, expiresAt: parts.expiresAt, checkedAt: request.now };
    await storeChallenge(cache, request.cacheKey, entry, request.paywall.challengeCacheSeconds, request.now);
  }
  return issued;
}

/** Whether a cached invoice is still open: as last seen within the recheck window, else as the node says. */
async function stillOpen(request: ChallengeRequest, cache: ChallengeCache, cached: CachedChallenge): Promise<boolean> {
  const { paywall, now } = request;
  if (now - cached.checkedAt < RECHECK_SECONDS) return true;
  let state: string;
  try {
    state = (await paywall.backend.lookupInvoice(hex.decode(cached.paymentHash))).state;
  } catch (error) {
    if (!(error instanceof LightningError)) throw error;
    // A sick node cannot say; the cached challenge is still a correct one to show.
    if (error.kind !== "not_found") return true;
    // A healthy node that no longer knows the invoice: the cached challenge can never be paid.
    state = "unknown";
  }
  if (state === "open") {
    await storeChallenge(cache, request.cacheKey, { ...cached, checkedAt: now }, paywall.challengeCacheSeconds, now);
    return true;
  }
  await cache.drop(request.cacheKey);
  return false;
}

async function mintFresh(request: ChallengeRequest): Promise<IssueResult> {
  const { paywall, service, now } = request;
  const limiter = paywall.ports.mintLimiter;
  if (limiter !== undefined && !(await limiter.allow(addressPrefix(request.address, CLIENT_NETWORK)))) {
    return { ...fail("rate_limited", "too many unpaid requests from this address; pay a challenge you already have, or retry later"), retryAfterSeconds: paywall.mintRetryAfterSeconds };
  }
  let invoice;
  try {
    invoice = await paywall.backend.createInvoice({
      amountMsat: service.priceMsat,
      memo: paywall.memo.replaceAll("{service}", service.name),
      expirySeconds: paywall.invoiceExpirySeconds,
    });
  } catch (error) {
    if (!(error instanceof LightningError)) throw error;
    return { ...fail("node_unavailable", `${error.kind}: ${error.message}`), retryAfterSeconds: error.retryAfterSeconds ?? NODE_RETRY_AFTER_SECONDS };
  }
  const minted = mint({
    keyring: paywall.keyring,
    paymentHash: invoice.paymentHash,
    location: paywall.location,
    caveats: serviceCaveats({
      service: service.name,
      ...(service.capabilities === undefined ? {} : { capabilities: service.capabilities }),
      ...(service.timeoutSeconds === undefined ? {} : { validUntil: now + service.timeoutSeconds }),
      ...(service.uses === undefined ? {} : { uses: service.uses }),
    }),
  });
  const parts = { macaroon: encodeMacaroon(minted.macaroon), invoice: invoice.paymentRequest, paymentHash: hex.encode(invoice.paymentHash), expiresAt: invoice.expiresAt };
  const { ledger } = paywall.ports;
  if (ledger !== undefined && service.ledger) {
    request.waitUntil(ledger.recordMint({ paymentHash: parts.paymentHash, tokenId: hex.encode(minted.tokenId), service: service.name, priceMsat: service.priceMsat, createdAt: now }));
  }
  return succeed({ reused: false, parts });
}
