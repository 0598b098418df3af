import type { DailyRevenue, Ledger, Revocations } from "../../paywall/index.ts";
import type { DecisionStats } from "../decision-stats.ts";

/** A token seen paid (its first use), not revoked. */
export interface PaidToken {
  readonly tokenId: string;
  readonly service: string;
  readonly amountMsat: number;
  /** Unix s: its first use, which proved the payment. */
  readonly paidAt: number;
  /** Unix s: when its challenge was minted (null when the mint row is missing). */
  readonly mintedAt: number | null;
}

export interface RevokedToken {
  readonly tokenId: string;
  readonly revokedAt: number;
  readonly reason: string;
}

/** What the dashboard reads of the payment ledger. Every list is bounded by its `limit`. */
export interface DashboardLedger {
  revenueByDay(since: number): Promise<readonly DailyRevenue[]>;
  /** Paid, unrevoked tokens, the most recently paid first. */
  paidTokens(limit: number): Promise<readonly PaidToken[]>;
  /** Tokens paid since `since`, the largest payment first. */
  topTokens(since: number, limit: number): Promise<readonly PaidToken[]>;
  recentRevocations(limit: number): Promise<readonly RevokedToken[]>;
  /** What the ledger knows of one token (the service it was sold for: a revoke checks it is revocable). */
  lookupToken: Ledger["lookupToken"];
}

/** What a token has left, read where it is counted (one read per token shown). */
export interface TokenState {
  /** Uses taken of a metered token; undefined when it has none counted. */
  usesTaken(tokenId: string): Promise<number | undefined>;
  /** A balance token's balance; undefined before its first use. */
  balanceMsat(tokenId: string): Promise<bigint | undefined>;
}

export interface DashboardPorts {
  readonly ledger: DashboardLedger;
  readonly revocations: Revocations;
  readonly tokenState: TokenState | undefined;
  /** Sign-in attempts per client; undefined: not limited. */
  readonly signInLimiter: { allow(client: string): Promise<boolean> } | undefined;
  /** The decision counters (what /metrics reads): shadow's "would have earned", the refusals by reason. */
  readonly decisions: DecisionStats;
}
