import { fromHex, toHex } from "../bytes.ts";
import type { ServiceConfig } from "../config/index.ts";
import { mint, serviceCaveats } from "../l402/index.ts";
import { LightningError } from "../lightning/index.ts";
import { fail, succeed, type Failure, type Success } from "../result.ts";
import { sharedFlights } from "../shared-flight.ts";
import { handOutMargin, invoiceFor, pooledAmounts } from "./invoice-pool.ts";
import { offerKey, type Offer } from "./offer.ts";
import { cachedFrom, clientKey, forgivingCache, partsFrom, RECHECK_SECONDS, storeChallenge } from "./challenge-cache.ts";
import type { ChallengeParts } from "./challenge-parts.ts";
import { addressPrefix, CLIENT_NETWORK, CUSTOMER_NETWORK } from "./client-network.ts";
import type { CookieChange } from "./decision.ts";
import type { CachedChallenge, ChallengeCache, MintLimiter } from "./ports.ts";
import type { PaywallRequest } from "./request.ts";
import type { PaywallSettings } from "./settings.ts";

/** Seconds a client should wait before retrying when the node could not make an invoice. */
const NODE_RETRY_AFTER_SECONDS = 5;

/** Work to finish after the answer (a Worker's `waitUntil`). */
export type Later = (work: Promise<unknown>) => void;

/** What a challenge is issued for. */
export interface ChallengeNeed {
  readonly service: ServiceConfig;
  readonly request: PaywallRequest;
  /** Hex sha256 of the preimage a refused credential carried: proof that its invoice was paid. */
  readonly paidHash: string | undefined;
  readonly later: Later;
  /** What the invoice sells (offer.ts). */
  readonly offer: Offer;
}

export interface Issued {
  readonly parts: ChallengeParts;
  /** The client's earlier challenge, handed back. */
  readonly reused: boolean;
  /** A browser's page with no invoice of its own yet (browser/page-challenge.ts). */
  readonly probe?: { readonly returned: boolean };
  /** Cookies the answer sets (a browser's page challenge). */
  readonly cookies?: readonly CookieChange[];
}

/** Why no challenge: the mint limit, or the node; `retryAfterSeconds` for the answer's Retry-After. */
export type NotIssued = Failure<"rate_limited" | "node_unavailable"> & { readonly retryAfterSeconds: number };
export type IssueResult = Success<Issued> | NotIssued;

/** Issues challenges: the paywall's own (below) for every client, a browser page's (browser/page-challenge.ts) for a page. */
export interface Challenger {
  issue(need: ChallengeNeed): Promise<IssueResult>;
}

/**
 * The challenges every client gets: its recent one if it may still be unpaid
 * (challenge-cache.ts; never on a service whose payments the invoice alone
 * claims, x402's), else (within the mint limit, while the node can) a
 * fresh invoice with a token minted over its payment hash. Concurrent misses
 * of one client share one invoice (per paywall: shared-flight.ts, this closure's).
 * No invoice, no access: every failure is a refusal, never a pass.
 */
export function sharedChallenger(settings: PaywallSettings): Challenger & { mintFresh(need: ChallengeNeed): Promise<IssueResult> } {
  const shared = sharedFlights<IssueResult>(SHARED_FOR_MS, () => ({ ...fail("node_unavailable", "the invoice this client's earlier request asked for is late; retry shortly"), retryAfterSeconds: 1 }));
  const mintFresh = (need: ChallengeNeed) => mintChallenge(settings, need);
  const { challengeCache } = settings.ports;
  const cache = challengeCache === undefined ? undefined : forgivingCache(challengeCache);
  return {
    mintFresh,
    async issue(need) {
      if (cache === undefined || settings.challengeCacheSeconds === 0 || claimsByInvoice(settings, need.service)) return mintFresh(need);
      const key = clientKey(need.request.client, need.service.name, offerKey(need.service, need.offer.caveats), settings.keyring.current.id);
      if (need.paidHash !== undefined && (await cache.read(key))?.paymentHash === need.paidHash) await cache.drop(key);
      const issued = await shared(key, () => {
        const flight = cachedOrFresh(settings, need, cache, key);
        // Finished if its request's client goes: the client's next requests wait for it.
        need.later(flight.catch(() => undefined));
        return flight;
      });
      // A flight that began before the drop can still hand back the invoice this client just proved paid.
      if (issued.ok && issued.value.parts.paymentHash === need.paidHash) return storedFresh(settings, need, cache, key);
      return issued;
    },
  };
}

/** Whether the service offers a scheme whose payments the invoice alone claims: its invoices go to one answer each (PaymentScheme.claimsByInvoice). */
const claimsByInvoice = (settings: PaywallSettings, service: ServiceConfig): boolean =>
  settings.schemes.some((scheme) => scheme.claimsByInvoice === true && service.schemes.includes(scheme.name));

/** How long a client's misses share one flight at most: two node calls at their longest timeout (L402_NODE_TIMEOUT_MS). */
const SHARED_FOR_MS = 60_000;

async function cachedOrFresh(settings: PaywallSettings, need: ChallengeNeed, cache: ChallengeCache, key: string): Promise<IssueResult> {
  const cached = await cache.read(key);
  const parts = cached === undefined ? undefined : partsFrom(cached);
  // Handed back while half its expiry is left, as a pooled invoice is handed out: a buyer always has that long to pay.
  const timeToPay = parts !== undefined && parts.expiresAt - need.request.now >= handOutMargin(settings.invoiceExpirySeconds);
  // At this offer's price: a balance offer is known by the credit it sells (offerKey), which a deploy may now sell at another price.
  if (cached !== undefined && parts !== undefined && timeToPay && parts.amountMsat === need.offer.amountMsat && (await stillOpen(settings, need, cache, key, cached))) {
    return succeed({ reused: true, parts });
  }
  return storedFresh(settings, need, cache, key);
}

/** A fresh challenge, stored for the client before anyone is answered with it. */
async function storedFresh(settings: PaywallSettings, need: ChallengeNeed, cache: ChallengeCache, key: string): Promise<IssueResult> {
  const issued = await mintChallenge(settings, need);
  if (issued.ok) await storeChallenge(cache, key, cachedFrom(issued.value.parts, need.request.now), settings.challengeCacheSeconds, need.request.now);
  return issued;
}

/** Whether a cached invoice is still open: as last seen within the recheck window, else as the node says. */
async function stillOpen(settings: PaywallSettings, need: ChallengeNeed, cache: ChallengeCache, key: string, cached: CachedChallenge): Promise<boolean> {
  const { now } = need.request;
  if (now - cached.checkedAt < RECHECK_SECONDS) return true;
  let state: string;
  try {
    state = (await settings.backend.lookupInvoice(fromHex(cached.paymentHash) ?? new Uint8Array(32))).state;
  } catch (error) {
    if (!(error instanceof LightningError)) throw error;
    // A sick node cannot say; the cached challenge is still a correct one to show.
    if (error.reason !== "not_found") return true;
    // A healthy node that no longer knows the invoice: the cached challenge can never be paid.
    state = "unknown";
  }
  if (state === "open") {
    await storeChallenge(cache, key, { ...cached, checkedAt: now }, settings.challengeCacheSeconds, now);
    return true;
  }
  await cache.drop(key);
  return false;
}

/** Undefined when the client (its address, then its network) may have another invoice minted; else why not. A limiter that cannot answer mints nothing: 503, to retry. */
async function withinMintLimits(perAddress: MintLimiter | undefined, perNetwork: MintLimiter | undefined, address: string | null, retryAfterSeconds: number): Promise<NotIssued | undefined> {
  try {
    if (perAddress !== undefined && !(await perAddress.allow(addressPrefix(address, CLIENT_NETWORK)))) {
      return { ...fail("rate_limited", "too many unpaid requests from this address; pay a challenge you already have, or retry later"), retryAfterSeconds };
    }
    if (perNetwork !== undefined && !(await perNetwork.allow(addressPrefix(address, CUSTOMER_NETWORK)))) {
      return { ...fail("rate_limited", "too many unpaid requests from this address's network; pay a challenge you already have, or retry later"), retryAfterSeconds };
    }
  } catch {
    return { ...fail("node_unavailable", "the mint limit cannot be checked right now, so no invoice is made; retry shortly"), retryAfterSeconds: NODE_RETRY_AFTER_SECONDS };
  }
  return undefined;
}

/** A fresh invoice (from the pool, else the node: invoice-pool.ts), within the mint limit, and a token minted over its payment hash. */
async function mintChallenge(settings: PaywallSettings, need: ChallengeNeed): Promise<IssueResult> {
  const { service, request, offer } = need;
  const { mintLimiter, networkMintLimiter } = settings.ports;
  const { address } = request.client;
  const within = await withinMintLimits(mintLimiter, networkMintLimiter, address, settings.mintRetryAfterSeconds);
  if (within !== undefined) return within;
  let invoice;
  try {
    const asked = { amountMsat: offer.amountMsat, memo: settings.memo.replaceAll("{service}", service.name), expirySeconds: settings.invoiceExpirySeconds };
    // A template Worker built without the pool (src/worker/build.ts) asks the node every time; the define is read here, where the bundler folds it.
    invoice =
      globalThis.L402_BUILD_POOL !== false
        ? await invoiceFor(settings.backend, settings.ports.invoicePool, asked, pooledAmounts(service).includes(offer.amountMsat), need.later, request.now)
        : await settings.backend.createInvoice(asked);
  } catch (error) {
    if (!(error instanceof LightningError)) throw error;
    return { ...fail("node_unavailable", `${error.reason}: ${error.message}`), retryAfterSeconds: error.retryAfterSeconds ?? NODE_RETRY_AFTER_SECONDS };
  }
  // A top-up keeps its target's expiry and capabilities (offer.ts); every other token gets the service's.
  const validUntil = "validUntil" in offer ? offer.validUntil : service.timeoutSeconds === undefined ? undefined : request.now + service.timeoutSeconds;
  const capabilities = "capabilities" in offer ? offer.capabilities : service.capabilities;
  const caveats = serviceCaveats({
    service: service.name,
    ...(capabilities === undefined ? {} : { capabilities }),
    ...(validUntil === undefined ? {} : { validUntil }),
    ...(service.uses === undefined ? {} : { uses: service.uses }),
    ...offer.caveats,
  });
  const minted = mint({ keyring: settings.keyring, paymentHash: invoice.paymentHash, location: settings.location, caveats });
  const parts = { macaroon: minted.bytes, tokenId: toHex(minted.tokenId), tokenValidUntil: validUntil, amountMsat: offer.amountMsat, invoice: invoice.paymentRequest, paymentHash: toHex(invoice.paymentHash), expiresAt: invoice.expiresAt };
  const { ledger } = settings.ports;
  if (ledger !== undefined && service.ledger) {
    need.later(ledger.recordMint({ paymentHash: parts.paymentHash, tokenId: parts.tokenId, service: service.name, priceMsat: offer.amountMsat, createdAt: request.now }));
  }
  return succeed({ reused: false, parts });
}
