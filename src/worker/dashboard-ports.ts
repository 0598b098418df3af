import type { DashboardPorts } from "../admin/dashboard/ports.ts";
import type { DecisionStats } from "../admin/decision-stats.ts";
import type { PaywallPorts } from "../paywall/index.ts";
import { d1DashboardLedger } from "./d1-dashboard.ts";
import type { WorkerBindings } from "./bindings.ts";

/**
 * The dashboard's ports from the Worker's bindings: the ledger and the
 * revocation list in D1 (undefined without L402_LEDGER: no dashboard), what
 * a token has left from its Durable Object (TokenMeter, TokenBalance; one
 * call per token shown), and sign-in attempts counted by the mint limiter's
 * binding under keys of their own (so its limit per client and period), and
 * the isolate's decision counters.
 */
export function cloudflareDashboardPorts(env: WorkerBindings, ports: PaywallPorts, decisions: DecisionStats): DashboardPorts | undefined {
  const { L402_LEDGER: db, L402_METER: meters, L402_BALANCES: balances, L402_MINT_LIMITER: limiter } = env;
  const { ledger, revocations } = ports;
  if (db === undefined || ledger === undefined || revocations === undefined) return undefined;
  return {
    ledger: { ...d1DashboardLedger(db, (since) => ledger.revenueByDay(since)), lookupToken: (tokenId) => ledger.lookupToken(tokenId) },
    revocations,
    tokenState: {
      usesTaken: async (tokenId) => (meters === undefined ? undefined : meters.get(meters.idFromName(tokenId)).usesTaken()),
      balanceMsat: async (tokenId) => (balances === undefined ? undefined : balances.get(balances.idFromName(tokenId)).balanceMsat()),
    },
    signInLimiter: limiter === undefined ? undefined : { allow: async (key) => (await limiter.limit({ key })).success },
    decisions,
  };
}
