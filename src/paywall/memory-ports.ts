import {
  LOOKUP_INTERVAL_MS,
  METER_FORGET_MARGIN_SECONDS,
  SPENT_RETENTION_MARGIN_SECONDS,
  type CachedChallenge,
  type ChallengeCache,
  type DailyRevenue,
  type Freebies,
  type Balances,
  type Ledger,
  type LookupLimiter,
  type Meter,
  type MintLimiter,
  type MintRecord,
  type PaywallPorts,
  type SettlementRecord,
  type SpentCharges,
} from "./ports.ts";

/**
 * The paywall's ports in memory: for tests, and for a single-process host where
 * state need not outlive the process. Counts are exact (one process, one event
 * loop); nothing is shared between processes. `now` is injectable for tests.
 * Every port but the invoice pool, which is opt-in (the template Worker's is a
 * Durable Object: src/worker/invoice-pool-shard.ts). New challenges are
 * limited as the template's `wrangler.toml` limits them, per minute: 30 per
 * client address (`mintsPerClient`), 300 per client network
 * (`mintsPerNetwork`); `Infinity` lifts a limit. What each port keeps for a
 * client or a token that no longer counts is dropped as it grows
 * (`SWEEP_AT`), so that unpaid traffic cannot grow the process's memory
 * without end.
 */
export function memoryPorts(options: { readonly now?: () => number; readonly mintsPerClient?: number; readonly mintsPerNetwork?: number } = {}): Required<Omit<PaywallPorts, "invoicePool">> {
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const revoked = new Map<string, { revokedAt: number; reason: string }>();
  return {
    challengeCache: memoryChallengeCache(now),
    mintLimiter: memoryMintLimiter(options.mintsPerClient ?? MINTS_PER_MINUTE.client, now),
    networkMintLimiter: memoryMintLimiter(options.mintsPerNetwork ?? MINTS_PER_MINUTE.network, now),
    meter: memoryMeter(now),
    freebies: memoryFreebies(),
    ledger: memoryLedger(revoked),
    revocations: {
      isRevoked: async (tokenId) => revoked.has(tokenId),
      revoke: async (tokenId, reason, at) => void revoked.set(tokenId, { revokedAt: at, reason }),
    },
    spentCharges: memorySpentCharges(now),
    lookupLimiter: memoryLookupLimiter(),
    balances: memoryBalances(now),
  };
}

/** New challenges a minute, as the template's `wrangler.toml` allows them. */
export const MINTS_PER_MINUTE = { client: 30, network: 300 } as const;

/** Entries a port holds before it drops those that no longer count. */
export const SWEEP_AT = 10_000;

/**
 * A sweep of one port's entries: those `stale` says no longer count go, once
 * there are SWEEP_AT of them, and then not again before there are twice as
 * many as it left (entries all still counting would else be scanned on every call).
 */
export function sweeper<V>(stale: (value: V) => boolean): (entries: Map<string, V>) => void {
  let sweepAt = SWEEP_AT;
  return (entries) => {
    if (entries.size < sweepAt) return;
    for (const [key, value] of entries) if (stale(value)) entries.delete(key);
    sweepAt = Math.max(SWEEP_AT, entries.size * 2);
  };
}

function memoryChallengeCache(now: () => number): ChallengeCache {
  const challenges = new Map<string, { entry: CachedChallenge; until: number }>();
  // Full, the expired go at most once a second, then the oldest stored: a cache full of live entries is not scanned on every store.
  let sweptAt = Number.NEGATIVE_INFINITY;
  return {
    read: async (key) => {
      const hit = challenges.get(key);
      return hit !== undefined && now() < hit.until ? hit.entry : undefined;
    },
    store: async (key, entry, ttlSeconds) => {
      const at = now();
      if (challenges.size >= SWEEP_AT && at > sweptAt) {
        sweptAt = at;
        for (const [stored, { until }] of challenges) if (until <= at) challenges.delete(stored);
      }
      // Stored again, it is the newest: the last to go.
      challenges.delete(key);
      if (challenges.size >= SWEEP_AT) challenges.delete(challenges.keys().next().value as string);
      challenges.set(key, { entry, until: at + ttlSeconds });
    },
    drop: async (key) => void challenges.delete(key),
  };
}

/** Counts mints per client in each minute (a fixed window, as Cloudflare's Rate Limiting's simple limit counts). */
function memoryMintLimiter(limit: number, now: () => number): MintLimiter {
  const minted = new Map<string, { minute: number; count: number }>();
  let minute = 0;
  const sweep = sweeper<{ minute: number }>((window) => window.minute < minute);
  return {
    allow: async (client) => {
      minute = Math.floor(now() / 60);
      sweep(minted);
      const current = minted.get(client);
      const count = current?.minute === minute ? current.count + 1 : 1;
      minted.set(client, { minute, count });
      return count <= limit;
    },
  };
}

function memoryMeter(now: () => number): Meter {
  const uses = new Map<string, { used: number; forgetAt: number | undefined }>();
  let at = 0;
  const sweep = sweeper<{ forgetAt: number | undefined }>((kept) => kept.forgetAt !== undefined && at >= kept.forgetAt + METER_FORGET_MARGIN_SECONDS);
  return {
    consume: async (tokenId, limit, forgetAt) => {
      at = now();
      sweep(uses);
      const current = uses.get(tokenId);
      const kept = current !== undefined && (current.forgetAt === undefined || now() < current.forgetAt + METER_FORGET_MARGIN_SECONDS);
      const state = kept ? current : { used: 0, forgetAt };
      if (state.used >= limit) return { allowed: false, remaining: 0 };
      uses.set(tokenId, { used: state.used + 1, forgetAt: state.forgetAt });
      return { allowed: true, remaining: limit - state.used - 1 };
    },
    giveBack: async (tokenId) => {
      const current = uses.get(tokenId);
      if (current !== undefined && current.used > 0) uses.set(tokenId, { ...current, used: current.used - 1 });
    },
  };
}

function memoryFreebies(): Freebies {
  const allowances = new Map<string, { window: number; used: number; periodSeconds: number }>();
  let latest = 0;
  // A client whose window has ended counts nothing (its next request opens a window).
  const sweep = sweeper<{ window: number; periodSeconds: number }>((kept) => kept.window < Math.floor(latest / kept.periodSeconds));
  return {
    take: async (key, allowance, at) => {
      latest = at;
      sweep(allowances);
      const state = allowances.get(key);
      const window = Math.max(Math.floor(at / allowance.periodSeconds), state?.periodSeconds === allowance.periodSeconds ? state.window : 0);
      const used = state?.window === window ? state.used : 0;
      if (used >= allowance.count) return { allowed: false, remaining: 0 };
      allowances.set(key, { window, used: used + 1, periodSeconds: allowance.periodSeconds });
      return { allowed: true, remaining: allowance.count - used - 1 };
    },
  };
}

/** Mints and settlements the memory ledger keeps, the newest: a mint is recorded per challenge, paid or not. */
export const LEDGER_KEPT = 100_000;

/** `record` kept under `key` once, the oldest dropped past LEDGER_KEPT. */
function keepOnce<V>(records: Map<string, V>, key: string, record: V): void {
  if (records.has(key)) return;
  if (records.size >= LEDGER_KEPT) records.delete(records.keys().next().value as string);
  records.set(key, record);
}

/** The ledger, reading the revocations it reports from the same memory. */
function memoryLedger(revoked: ReadonlyMap<string, { revokedAt: number; reason: string }>): Ledger {
  const mints = new Map<string, MintRecord>();
  const settlements = new Map<string, SettlementRecord>();
  return {
    recordMint: async (mint) => keepOnce(mints, mint.tokenId, mint),
    recordSettlement: async (settlement) => keepOnce(settlements, settlement.tokenId, settlement),
    revenueByDay: async (since) => revenueByDay(mints, settlements, since),
    lookupToken: async (tokenId) => {
      const mint = mints.get(tokenId);
      const settlement = settlements.get(tokenId);
      const revocation = revoked.get(tokenId);
      return {
        tokenId,
        challenge: mint === undefined ? null : { payment_hash: mint.paymentHash, service: mint.service, price_msat: Number(mint.priceMsat), created_at: mint.createdAt },
        settlement: settlement === undefined ? null : { amount_msat: Number(mint?.priceMsat ?? settlement.priceMsat), first_used_at: settlement.usedAt },
        revocation: revocation === undefined ? null : { revoked_at: revocation.revokedAt, reason: revocation.reason },
      };
    },
  };
}

function revenueByDay(mints: ReadonlyMap<string, MintRecord>, settlements: ReadonlyMap<string, SettlementRecord>, since: number): DailyRevenue[] {
  const day = (at: number) => new Date(at * 1000).toISOString().slice(0, 10);
  const rows = new Map<string, { service: string; day: string; challenges: number; settlements: number; revenueMsat: number }>();
  const row = (service: string, at: number) => {
    const key = `${day(at)} ${service}`;
    let found = rows.get(key);
    if (found === undefined) rows.set(key, (found = { service, day: day(at), challenges: 0, settlements: 0, revenueMsat: 0 }));
    return found;
  };
  for (const mint of mints.values()) if (mint.createdAt >= since) row(mint.service, mint.createdAt).challenges++;
  for (const settlement of settlements.values()) {
    if (settlement.usedAt < since) continue;
    const found = row(settlement.service, settlement.usedAt);
    found.settlements++;
    found.revenueMsat += Number(mints.get(settlement.tokenId)?.priceMsat ?? settlement.priceMsat);
  }
  return [...rows.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, value]) => value);
}

function memorySpentCharges(now: () => number): SpentCharges {
  const spent = new Map<string, number>();
  let at = 0;
  const sweep = sweeper<number>((expiry) => expiry + SPENT_RETENTION_MARGIN_SECONDS < at);
  return {
    spend: async (paymentHash, until) => {
      if (spent.has(paymentHash)) return false;
      // Forgotten a margin after it expired: a challenge past its expiry in every scheme is refused before it gets here.
      at = now();
      sweep(spent);
      spent.set(paymentHash, until);
      return true;
    },
  };
}

function memoryLookupLimiter(): LookupLimiter {
  const lookups = new Map<string, number>();
  let at = 0;
  const sweep = sweeper<number>((last) => at - last >= LOOKUP_INTERVAL_MS);
  return {
    allow: async (paymentHash) => {
      at = Date.now();
      if (at - (lookups.get(paymentHash) ?? -Infinity) < LOOKUP_INTERVAL_MS) return false;
      // Entries older than the interval decide nothing: dropped once the map grows.
      sweep(lookups);
      lookups.set(paymentHash, at);
      return true;
    },
  };
}

/** Balances kept as the Durable Object keeps them (worker/token-balance.ts): forgotten a margin after their token's minted expiry. */
function memoryBalances(now: () => number): Balances {
  const balances = new Map<string, { opened: boolean; balanceMsat: bigint; forgetAt: number | undefined; topups: Set<string> }>();
  let at = 0;
  const sweep = sweeper<{ forgetAt: number | undefined }>((kept) => kept.forgetAt !== undefined && at >= kept.forgetAt + METER_FORGET_MARGIN_SECONDS);
  const stateOf = (tokenId: string, forgetAt: number | undefined) => {
    at = now();
    sweep(balances);
    const current = balances.get(tokenId);
    if (current !== undefined && (current.forgetAt === undefined || now() < current.forgetAt + METER_FORGET_MARGIN_SECONDS)) return current;
    const fresh = { opened: false, balanceMsat: 0n, forgetAt, topups: new Set<string>() };
    balances.set(tokenId, fresh);
    return fresh;
  };
  return {
    reserve: async (tokenId, amountMsat, opening, topup) => {
      const state = stateOf(tokenId, opening?.forgetAt ?? topup?.forgetAt);
      if (opening !== undefined && !state.opened) {
        state.opened = true;
        state.balanceMsat += opening.creditMsat;
      }
      if (topup !== undefined) {
        if (state.topups.has(topup.tokenId)) return { status: "topup_spent", balanceMsat: state.balanceMsat };
        state.topups.add(topup.tokenId);
        state.balanceMsat += topup.creditMsat;
      }
      if (state.balanceMsat < amountMsat) return { status: "short", balanceMsat: state.balanceMsat };
      state.balanceMsat -= amountMsat;
      return { status: "reserved", balanceMsat: state.balanceMsat };
    },
    release: async (tokenId, amountMsat) => {
      // A balance already forgotten (or never opened) stays so, as the object's does: one made here would never be forgotten.
      const current = balances.get(tokenId);
      if (current === undefined || (current.forgetAt !== undefined && now() >= current.forgetAt + METER_FORGET_MARGIN_SECONDS)) {
        balances.delete(tokenId);
        return { balanceMsat: 0n };
      }
      current.balanceMsat += amountMsat;
      return { balanceMsat: current.balanceMsat };
    },
  };
}
