import type { DashboardLedger, PaidToken, RevokedToken } from "../admin/dashboard/ports.ts";
import type { DailyRevenue } from "../paywall/index.ts";

/**
 * What the dashboard reads of the ledger in D1 (migrations/0001_ledger.sql):
 * read only, each list bounded by its LIMIT, none of it on the paid path.
 */
export function d1DashboardLedger(db: D1Database, revenueByDay: (since: number) => Promise<readonly DailyRevenue[]>): Omit<DashboardLedger, "lookupToken"> {
  const PAID =
    "SELECT s.token_id AS tokenId, s.service AS service, s.amount_msat AS amountMsat, s.first_used_at AS paidAt, c.created_at AS mintedAt " +
    "FROM settlements s LEFT JOIN challenges c ON c.token_id = s.token_id";
  return {
    revenueByDay,
    async paidTokens(limit) {
      const { results } = await db.prepare(`${PAID} WHERE NOT EXISTS (SELECT 1 FROM revocations r WHERE r.token_id = s.token_id) ORDER BY s.first_used_at DESC, s.token_id LIMIT ?`).bind(limit).all<PaidToken>();
      return results;
    },
    async topTokens(since, limit) {
      const { results } = await db.prepare(`${PAID} WHERE s.first_used_at >= ? ORDER BY s.amount_msat DESC, s.first_used_at DESC LIMIT ?`).bind(since, limit).all<PaidToken>();
      return results;
    },
    async recentRevocations(limit) {
      const { results } = await db.prepare("SELECT token_id AS tokenId, revoked_at AS revokedAt, reason FROM revocations ORDER BY revoked_at DESC, token_id LIMIT ?").bind(limit).all<RevokedToken>();
      return results;
    },
  };
}
