import { DurableObject } from "cloudflare:workers";
import { SPENT_RETENTION_MARGIN_SECONDS } from "../paywall/ports.ts";

/**
 * One shard of the Payment-scheme charges already spent (the paywall's
 * `SpentCharges` port): one object per shard of payment hashes (ports.ts
 * picks the shard), so that no service, however busy, is one
 * object. A spend is one SQL insert that succeeds once: atomic, since an
 * object runs one call at a time. Rows are kept until their challenge has
 * expired, plus an hour (ports.ts: schemes that take one invoice for different
 * times, clocks that disagree; a credential is refused as expired before it
 * reaches here, so a dropped row can never be spent again);
 * an alarm sweeps them. Each row keeps the key of the call that spent it
 * (keyed-calls.ts): that call, sent again after its answer was lost, is
 * answered as the first spend it was, where any other is refused.
 */
const SWEEP_EVERY_MS = 3600 * 1000;

export class SpentChargeShard extends DurableObject {
  constructor(ctx: DurableObjectState, env: Cloudflare.Env) {
    super(ctx, env);
    const sql = ctx.storage.sql;
    sql.exec("CREATE TABLE IF NOT EXISTS spent (payment_hash TEXT PRIMARY KEY, until INTEGER NOT NULL, call_key TEXT)");
    // A shard made before calls had keys gains the column; its rows have none, so no call is ever answered as theirs.
    if (sql.exec("SELECT 1 FROM pragma_table_info('spent') WHERE name = 'call_key'").toArray().length === 0) sql.exec("ALTER TABLE spent ADD COLUMN call_key TEXT");
  }

  /**
   * True the first time a payment hash is spent (and to that call, `key`, sent
   * again), false ever after. `key` comes last and may be absent: during a
   * deploy, a Worker of the version before calls objects of this one, and the
   * reverse (an object ignores an argument it does not know).
   */
  async spend(paymentHash: string, until: number, key?: string): Promise<boolean> {
    // The sweep first: a failure setting it must leave the charge unspent, for the client's retry (the paywall answers 503) to spend.
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + SWEEP_EVERY_MS);
    // A row comes back only when it was inserted: the first spend.
    const sql = this.ctx.storage.sql;
    const inserted = sql.exec("INSERT INTO spent (payment_hash, until, call_key) VALUES (?, ?, ?) ON CONFLICT DO NOTHING RETURNING payment_hash", paymentHash, until, key ?? null).toArray();
    if (inserted.length === 1) return true;
    return key !== undefined && sql.exec("SELECT 1 FROM spent WHERE payment_hash = ? AND call_key = ?", paymentHash, key).toArray().length === 1;
  }

  override async alarm(): Promise<void> {
    const cutoff = Math.floor(Date.now() / 1000) - SPENT_RETENTION_MARGIN_SECONDS;
    this.ctx.storage.sql.exec("DELETE FROM spent WHERE until < ?", cutoff);
    const left = this.ctx.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM spent").one().n;
    if (left > 0) await this.ctx.storage.setAlarm(Date.now() + SWEEP_EVERY_MS);
  }
}
