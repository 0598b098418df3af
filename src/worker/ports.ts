import { rememberedSpends, rememberingExhausted, type BalanceOpening, type CachedChallenge, type InvoicePool, type PaywallPorts, type SpentCharges, type TopUp } from "../paywall/index.ts";
import { sha256, toHex, utf8 } from "../bytes.ts";
import type { NodeConfig } from "../config/index.ts";
import type { Network } from "../lightning/index.ts";
import type { PoolBounds } from "./invoice-pool-shard.ts";
import { bounded } from "./bounded-call.ts";
import { d1Ledger } from "./d1-ledger.ts";
import { d1Revocations } from "./d1-revocations.ts";
import { sentUntilAnswered } from "./keyed-calls.ts";
import type { WorkerBindings } from "./bindings.ts";

/**
 * The paywall's ports on Cloudflare, from the Worker's bindings:
 *
 * - challenge cache → the Cache API. Why not a Durable Object: the Cache API
 *   costs nothing per call and answers within the colo, while a Durable Object
 *   adds a billed round trip, possibly to another continent, to every unpaid
 *   request. Its consistency is per colo, which is what a client's repeats see
 *   (they land on the same colo); at worst a client roaming across colos gets
 *   one more invoice. (On workers.dev it stores nothing: every unpaid request mints.)
 * - mint limiter → the Rate Limiting binding `L402_MINT_LIMITER`;
 * - meter, freebies → the Durable Objects `L402_METER` (TokenMeter) and `L402_FREEBIES` (FreebieCounter),
 *   an allowance found used up remembered by the isolate until its window ends;
 * - ledger, revocations → D1 `L402_LEDGER` (revocations read through the Cache API);
 * - lookup limiter → the Durable Object `L402_LOOKUPS` (InvoiceLookupGate), one per
 *   invoice: a global limit needs one place to count, and only browsers waiting
 *   for a payment (about once a second each) and x402 payments naming their
 *   invoice alone call it;
 * - spent charges → the Durable Object `L402_SPENT` (SpentChargeShard), one per
 *   shard of payment hashes;
 * - balances → the Durable Object `L402_BALANCES` (TokenBalance), one per token:
 *   one call on each paid request (the reservation), a second only when the
 *   request cost less than it reserved; a metered body's leases add one each.
 *
 * - invoice pool → the Durable Object `L402_INVOICE_POOL` (InvoicePoolShard), one
 *   per invoice request and colo (`L402_INVOICE_POOL_SIZE` > 0 only): an object
 *   is created near the Worker that first asks for it, so each colo's pool is
 *   one short call away, where one pool for the world would be a continent away
 *   for most of it; a colo's pool fills only after that colo's demand.
 *
 * A missing binding leaves its port out; the config check names the binding a
 * service needs. A call that takes nothing a buyer paid for (the free-request
 * counter, the lookup gate, the invoice pool) is waited for CALL_WAIT_MS at
 * most (bounded-call.ts); one that does (a use, a balance, a spent charge) is
 * waited for as long as it takes: given up on, it could still take it after
 * the Worker answered 503, and the buyer would have paid for nothing. For the
 * same reason a spend whose answer is lost is sent again, under a key that
 * makes it count once (keyed-calls.ts).
 */
export function cloudflarePorts(env: WorkerBindings, revocationTtlSeconds: number, pool?: PoolSettings): PaywallPorts {
  const cache = caches.default;
  // Entries outlive a deploy: under another node or network, none made by the one before is handed back (paid, it would buy a token from a node never paid).
  const scope = pool === undefined ? "" : `${toHex(sha256(utf8(pool.node))).slice(0, 32)}/`;
  const challengeUrl = (key: string) => new Request(`https://challenge-cache.l402-edge.invalid/${scope}${key}`);
  const { L402_INVOICE_POOL: pools, L402_MINT_LIMITER: limiter, L402_MINT_NETWORK_LIMITER: networkLimiter, L402_METER: meters, L402_FREEBIES: freebies, L402_LEDGER: ledger, L402_LOOKUPS: lookups, L402_SPENT: spent, L402_BALANCES: balances } = env;
  return {
    challengeCache: {
      read: async (key) => {
        const hit = await cache.match(challengeUrl(key));
        return hit === undefined ? undefined : ((await hit.json().catch(() => undefined)) as CachedChallenge | undefined);
      },
      store: (key, entry, ttlSeconds) => cache.put(challengeUrl(key), Response.json(entry, { headers: { "Cache-Control": `max-age=${ttlSeconds}` } })),
      drop: async (key) => void (await cache.delete(challengeUrl(key))),
    },
    // A build without the pool (build.ts) refuses L402_INVOICE_POOL_SIZE; the define is read here, where the bundler folds it.
    ...(globalThis.L402_BUILD_POOL === false || pools === undefined || pool === undefined || pool.bounds.size === 0 ? {} : { invoicePool: invoicePool(pools, pool) }),
    ...(limiter === undefined ? {} : { mintLimiter: { allow: async (client: string) => (await limiter.limit({ key: client })).success } }),
    ...(networkLimiter === undefined ? {} : { networkMintLimiter: { allow: async (network: string) => (await networkLimiter.limit({ key: network })).success } }),
    ...(meters === undefined
      ? {}
      : {
          meter: {
            consume: (tokenId: string, limit: number, forgetAt: number | undefined) => meters.get(meters.idFromName(tokenId)).consume(limit, forgetAt),
            giveBack: (tokenId: string) => meters.get(meters.idFromName(tokenId)).giveBack(),
          },
        }),
    ...(freebies === undefined
      ? {}
      : { freebies: rememberingExhausted({ take: (key, allowance, now) => bounded(freebies.get(freebies.idFromName(key)).take(allowance.count, allowance.periodSeconds, now), "L402_FREEBIES") }) }),
    ...(ledger === undefined ? {} : { ledger: d1Ledger(ledger), revocations: d1Revocations(ledger, cache, revocationTtlSeconds) }),
    ...(lookups === undefined ? {} : { lookupLimiter: { allow: (paymentHash: string) => bounded(lookups.get(lookups.idFromName(paymentHash)).allow(), "L402_LOOKUPS") } }),
    ...(balances === undefined
      ? {}
      : {
          balances: {
            reserve: (tokenId: string, amountMsat: bigint, opening: BalanceOpening | undefined, topup?: TopUp) => balances.get(balances.idFromName(tokenId)).reserve(amountMsat, opening, topup),
            release: (tokenId: string, amountMsat: bigint) => balances.get(balances.idFromName(tokenId)).release(amountMsat),
          },
        }),
    ...(spent === undefined ? {} : { spentCharges: spentShards(spent) }),
  };
}

/** Spent charges in 256 shards by the payment hash's first byte, and what this isolate saw spent remembered (a replay costs no call). Made once per app, as the ports are. */
const spentShards = (spent: NonNullable<WorkerBindings["L402_SPENT"]>): SpentCharges =>
  rememberedSpends({ spend: (paymentHash, until) => sentUntilAnswered((key) => spent.get(spent.idFromName(`shard-${paymentHash.slice(0, 2)}`)).spend(paymentHash, until, key)) });


/** The invoice pool's bounds, the colo this isolate serves (`request.cf.colo`; an isolate runs in one) and the node: its shard. */
export interface PoolSettings {
  readonly bounds: PoolBounds;
  readonly colo: string;
  /**
   * What makes the invoices, in a word: the node or wallet, and the network
   * its invoices are held to (`poolNode`, for the template's settings). A pool
   * holds one node's: after a change of node or network, an invoice the other
   * made is never handed out (paid, it would buy a token from a node that was
   * never paid, or with another chain's coins).
   */
  readonly node: string;
}

/**
 * The template's node in a word: its backend, where it is (its URL, or the
 * wallet's key) and the network. An LNbits server holds many wallets, told
 * apart by their key, and an NWC wallet service may too: a digest of the key
 * (the connection's secret) names the one paid.
 */
export function poolNode(node: NodeConfig, network: Network): string {
  // A wallet service may serve several wallets under one key (sub-wallets, apps): the connection's secret names the one paid.
  if (node.backend === "nwc") return `nwc ${node.connection.walletPubkey} connection ${toHex(sha256(node.connection.secret)).slice(0, 32)} ${network}`;
  const wallet = node.backend === "lnbits" ? ` wallet ${toHex(sha256(utf8(node.invoiceKey))).slice(0, 32)}` : "";
  return `${node.backend} ${node.url}${wallet} ${network}`;
}

/** The Durable Object of one pool (poolName: the invoice request) for a colo and a node. */
export const poolShardName = ({ colo, node }: Omit<PoolSettings, "bounds">, pool: string): string => `${colo}\u0000${node}\u0000${pool}`;

function invoicePool(pools: NonNullable<WorkerBindings["L402_INVOICE_POOL"]>, settings: PoolSettings): InvoicePool {
  const { bounds } = settings;
  const shard = (pool: string) => pools.get(pools.idFromName(poolShardName(settings, pool)));
  return {
    take: (pool, count, now) => bounded(shard(pool).take(bounds, count, now), "L402_INVOICE_POOL"),
    put: async (pool, invoices, granted, now) => void (await bounded(shard(pool).put(bounds, invoices, granted, now), "L402_INVOICE_POOL")),
  };
}
