import type { DailyRevenue, Ledger, MintRecord, SettlementRecord, TokenRecord } from "../paywall/index.ts";

/**
 * The payment ledger in D1 (schema in migrations/). Writes happen after the
 * response and a failure is logged, never surfaced: bookkeeping must not fail
 * or slow a request (a settlement's is rejected once logged, after the answer,
 * so that the paywall books it again on the token's next use).
 *
 * Settlement is learned without polling the node: a token's first paid use
 * proves its invoice was paid (only the payer has the preimage). Each isolate
 * records a token once (paywall/first-use.ts); `INSERT OR IGNORE` absorbs the
 * other isolates.
 */
/** Rows per statement when forgetting unpaid challenges, and how long a run goes on (the next run, an hour later, goes on from there). */
const FORGET_CHUNK = 2000;
const FORGET_BUDGET_MS = 5 * 60_000;

/** Days an unpaid challenge is kept before only its count is (migrations/0005_challenge_counts.sql). */
export const UNPAID_CHALLENGE_DAYS = 30;

/** The template's hourly Cron Trigger: forgets unpaid challenges older than UNPAID_CHALLENGE_DAYS, and logs how many. */
export async function forgetOldUnpaidChallenges(db: D1Database | undefined, nowMs: number): Promise<void> {
  if (db === undefined) return;
  const before = Math.floor(nowMs / 1000) - UNPAID_CHALLENGE_DAYS * 86_400;
  const forgotten = await d1Ledger(db).forgetUnpaid(before);
  console.log(JSON.stringify({ ledger: "forgot unpaid challenges", before, forgotten }));
}

export function d1Ledger(db: D1Database): Required<Ledger> {
  return {
    // Counted per service and day by the table's trigger (0005), once: a challenge already recorded inserts nothing.
    recordMint: (mint: MintRecord) =>
      quietly("record mint", () =>
        db
          .prepare("INSERT OR IGNORE INTO challenges (payment_hash, token_id, service, price_msat, created_at) VALUES (?, ?, ?, ?, ?)")
          .bind(mint.paymentHash, mint.tokenId, mint.service, Number(mint.priceMsat), mint.createdAt)
          .run(),
      ),

    // Logged, then rejected: the paywall books it again on the token's next use (decide.ts).
    recordSettlement: (settlement: SettlementRecord) =>
      loudly("record settlement", () =>
        // The amount is what the challenge asked; the service's current price if the mint row is missing.
        db
          .prepare(
            "INSERT OR IGNORE INTO settlements (token_id, payment_hash, service, amount_msat, first_used_at) " +
              "VALUES (?, ?, ?, COALESCE((SELECT price_msat FROM challenges WHERE token_id = ?), ?), ?)",
          )
          .bind(settlement.tokenId, settlement.paymentHash, settlement.service, settlement.tokenId, Number(settlement.priceMsat), settlement.usedAt)
          .run(),
      ),

    /** Per service and UTC day, from the day of `since` (unix s): challenges minted, tokens paid, revenue — read from their counts (0005, 0006), a row per service and day, however many were sold. */
    async revenueByDay(since: number): Promise<DailyRevenue[]> {
      const { results } = await db
        .prepare(
          `SELECT service, day, SUM(challenges) AS challenges, SUM(settlements) AS settlements, SUM(revenue) AS revenueMsat FROM (
             SELECT service, day, challenges, 0 AS settlements, 0 AS revenue FROM challenge_counts WHERE day >= date(?1, 'unixepoch')
             UNION ALL
             SELECT service, day, 0, settlements, revenue_msat FROM settlement_counts WHERE day >= date(?1, 'unixepoch')
           ) GROUP BY service, day ORDER BY day, service`,
        )
        .bind(since)
        .all<DailyRevenue>();
      return results;
    },

    async forgetUnpaid(before: number): Promise<number> {
      // In chunks (each statement short), as long as the run's budget lasts: the counts stay in challenge_counts.
      const deadline = Date.now() + FORGET_BUDGET_MS;
      const chunk = `SELECT rowid FROM challenges WHERE created_at < ?1 AND NOT EXISTS (SELECT 1 FROM settlements s WHERE s.token_id = challenges.token_id) ORDER BY rowid LIMIT ${FORGET_CHUNK}`;
      let forgotten = 0;
      for (;;) {
        const { meta } = await db.prepare(`DELETE FROM challenges WHERE rowid IN (${chunk})`).bind(before).run();
        forgotten += meta.changes;
        if (meta.changes < FORGET_CHUNK || Date.now() > deadline) return forgotten;
      }
    },

    async lookupToken(tokenId: string): Promise<TokenRecord> {
      const [challenge, settlement, revocation] = await db.batch<Record<string, unknown>>([
        db.prepare("SELECT payment_hash, service, price_msat, created_at FROM challenges WHERE token_id = ?").bind(tokenId),
        db.prepare("SELECT amount_msat, first_used_at FROM settlements WHERE token_id = ?").bind(tokenId),
        db.prepare("SELECT revoked_at, reason FROM revocations WHERE token_id = ?").bind(tokenId),
      ]);
      return {
        tokenId,
        challenge: challenge?.results[0] ?? null,
        settlement: settlement?.results[0] ?? null,
        revocation: revocation?.results[0] ?? null,
      };
    },
  };
}

async function quietly(what: string, write: () => Promise<unknown>): Promise<void> {
  await loudly(what, write).catch(() => undefined);
}

/** The write, its failure logged and then thrown. */
async function loudly(what: string, write: () => Promise<unknown>): Promise<void> {
  try {
    await write();
  } catch (error) {
    console.error(JSON.stringify({ ledger: what, error: error instanceof Error ? error.message : String(error) }));
    throw error;
  }
}
