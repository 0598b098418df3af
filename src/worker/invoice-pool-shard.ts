import { DurableObject } from "cloudflare:workers";
import type { PooledInvoice, PoolTake } from "../paywall/index.ts";

/**
 * One shard of one invoice pool (the paywall's `InvoicePool` port;
 * paywall/invoice-pool.ts): the open invoices of one invoice request, made
 * ahead of demand, for the Workers of one colo (ports.ts picks the shard).
 *
 * A take is one SQL delete that returns its row: atomic, since an object runs
 * one call at a time and no call here awaits between reading and writing. A
 * taken invoice's hash is remembered until it expires, and a put never adds a
 * hash it holds or has handed out: no invoice is handed out twice, whatever a
 * node answers. The pool never holds more than its size: a put keeps what
 * fits. Refills are granted on takes only (a take is demand): one to replace
 * each invoice taken and one to grow, within the room left and the refill
 * rate (so one per invoice once the pool is full, and one on a take that
 * found it empty, beside the caller's own invoice made on demand);
 * so a quiet pool is never refilled and empties as its invoices pass their
 * hand-out time, which an alarm sweeps. The rate's bucket and the grants
 * still being made live in memory: an object evicted (idle for seconds)
 * starts them afresh, and a put still keeps only what fits.
 */

/** What a Worker configured: the pool's size and its refills per second. */
export interface PoolBounds {
  readonly size: number;
  readonly refillPerSecond: number;
}

/** A grant not put back within this long (its Worker stopped: a deploy, an isolate evicted) is no longer counted; the callers' clock (unix s). */
const GRANT_LEASE_SECONDS = 30;
/** Invoices one take hands out, at most: a challenge's and an isolate's small buffer (paywall/pool-buffer.ts). */
const MAX_TAKE = 8;

type Row = { payment_request: string; payment_hash: string; amount_msat: string; expires_at: number; hand_out_by: number };

export class InvoicePoolShard extends DurableObject {
  /** Refills granted and not yet put back, in the order granted: each counts until put back or until its own lease ends. */
  private grants: { count: number; readonly at: number }[] = [];
  private tokens = 0;
  private tokensAt = 0;

  constructor(ctx: DurableObjectState, env: Cloudflare.Env) {
    super(ctx, env);
    ctx.storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS pooled (payment_hash TEXT PRIMARY KEY, payment_request TEXT NOT NULL, amount_msat TEXT NOT NULL, expires_at INTEGER NOT NULL, hand_out_by INTEGER NOT NULL)",
    );
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS handed (payment_hash TEXT PRIMARY KEY, expires_at INTEGER NOT NULL)");
  }

  /** The `count` oldest invoices still to be handed out (gone from the pool for good), and the refills granted. Awaits nothing. */
  async take(bounds: PoolBounds, count: number, now: number): Promise<PoolTake> {
    const sql = this.ctx.storage.sql;
    sql.exec("DELETE FROM pooled WHERE hand_out_by < ?", now);
    const rows = sql.exec<Row>("DELETE FROM pooled WHERE payment_hash IN (SELECT payment_hash FROM pooled ORDER BY hand_out_by LIMIT ?) RETURNING *", Math.max(0, Math.min(MAX_TAKE, Math.floor(count)))).toArray();
    for (const row of rows) sql.exec("INSERT INTO handed (payment_hash, expires_at) VALUES (?, ?) ON CONFLICT DO NOTHING", row.payment_hash, row.expires_at);
    const refill = this.grant(bounds, this.held(), rows.length, now);
    // No alarm to set: the put that added these rows set one no later than their hand-out time, and the sweep then keeps waking for the hashes handed out.
    const invoices = rows
      .sort((a, b) => a.hand_out_by - b.hand_out_by)
      .map((row) => ({ paymentRequest: row.payment_request, paymentHash: row.payment_hash, amountMsat: row.amount_msat, expiresAt: row.expires_at, handOutBy: row.hand_out_by }));
    return { invoices, refill };
  }

  /** Adds what fits of `invoices` (never a hash held or handed out before); `granted`: the grant they were made on, now settled. */
  async put(bounds: PoolBounds, invoices: readonly PooledInvoice[], granted: number, now: number): Promise<number> {
    this.settle(granted, now);
    const sql = this.ctx.storage.sql;
    let added = 0;
    for (const invoice of invoices) {
      if (this.held() >= bounds.size || invoice.handOutBy < now) continue;
      if (sql.exec("SELECT 1 FROM handed WHERE payment_hash = ?", invoice.paymentHash).toArray().length > 0) continue;
      const inserted = sql
        .exec("INSERT INTO pooled (payment_hash, payment_request, amount_msat, expires_at, hand_out_by) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING payment_hash", invoice.paymentHash, invoice.paymentRequest, invoice.amountMsat, invoice.expiresAt, invoice.handOutBy)
        .toArray();
      added += inserted.length;
    }
    const first = sql.exec<{ at: number | null }>("SELECT min(hand_out_by) AS at FROM pooled").one().at;
    if (first !== null) await this.sweepBy(first);
    return added;
  }

  /** How many invoices the pool holds now (for tests and health). */
  async size(): Promise<number> {
    return this.held();
  }

  /** Drops what may no longer be handed out, and hashes handed out that have expired; wakes again for the next. */
  override async alarm(): Promise<void> {
    const sql = this.ctx.storage.sql;
    const now = Math.floor(Date.now() / 1000);
    sql.exec("DELETE FROM pooled WHERE hand_out_by < ?", now);
    sql.exec("DELETE FROM handed WHERE expires_at < ?", now);
    const next = sql.exec<{ at: number | null }>("SELECT min(at) AS at FROM (SELECT min(hand_out_by) AS at FROM pooled UNION ALL SELECT min(expires_at) FROM handed)").one().at;
    if (next !== null) await this.ctx.storage.setAlarm((next + 1) * 1000);
  }

  private held(): number {
    return this.ctx.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM pooled").one().n;
  }

  /**
   * Refills put back: the newest grants settled first. A put is most likely the
   * latest grant's, and a grant never put back is then the oldest, forgotten at
   * its own lease's end however many are granted after it (settled oldest
   * first, its count would pass to the newer grants and outlive every lease).
   */
  private settle(granted: number, now: number): void {
    // A late put settles none of the live grants in place of one past its lease.
    this.dropExpired(now);
    let left = granted;
    for (let i = this.grants.length - 1; i >= 0 && left > 0; i--) {
      const grant = this.grants[i] as { count: number };
      const settled = Math.min(grant.count, left);
      grant.count -= settled;
      left -= settled;
    }
    this.grants = this.grants.filter((grant) => grant.count > 0);
  }

  /** Forgets the grants past their lease (their Worker stopped). */
  private dropExpired(now: number): void {
    this.grants = this.grants.filter((grant) => now - grant.at <= GRANT_LEASE_SECONDS);
  }

  /** Refills for one take of `taken`: one for each, and one to grow; within the room left (grants being made count as held) and the rate's bucket. */
  private grant(bounds: PoolBounds, held: number, taken: number, now: number): number {
    this.dropExpired(now);
    const outstanding = this.grants.reduce((sum, grant) => sum + grant.count, 0);
    const nowMs = Date.now();
    const burst = Math.max(1, bounds.refillPerSecond);
    this.tokens = Math.min(burst, this.tokens + ((nowMs - this.tokensAt) / 1000) * bounds.refillPerSecond);
    this.tokensAt = nowMs;
    const refill = Math.max(0, Math.min(taken + 1, bounds.size - held - outstanding, Math.floor(this.tokens)));
    this.tokens -= refill;
    if (refill > 0) this.grants.push({ count: refill, at: now });
    return refill;
  }

  /** An alarm no later than `at` (unix s). */
  private async sweepBy(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > (at + 1) * 1000) await this.ctx.storage.setAlarm((at + 1) * 1000);
  }
}
