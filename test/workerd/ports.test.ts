import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { cloudflarePorts } from "../../src/worker/ports.ts";

/**
 * The Worker's ports from its bindings (worker/ports.ts), on workerd's own
 * Cache API: the challenge cache, whose entries outlive a deploy, scoped by
 * the node that made their invoices; and the calls that take what a buyer
 * paid for, sent again when their answer is lost.
 */
const entry = { invoice: "lnbcrt10n1…", macaroon: "AgE=", tokenId: "ab".repeat(32), amountMsat: "1000", paymentHash: "cd".repeat(32), expiresAt: Math.floor(Date.now() / 1000) + 600, checkedAt: 0 };
const underNode = (node: string) => cloudflarePorts(env, 30, { bounds: { size: 0, refillPerSecond: 1 }, colo: "TST", node }).challengeCache;

describe("the challenge cache", () => {
  it("hands an entry back under the node that made it only: after a change of node or network, none of the old one's invoices", async () => {
    const key = `ports-${crypto.randomUUID()}`;
    const testnet = underNode("lnd https://lnd.example testnet");
    await testnet?.store(key, entry, 30);
    expect(await testnet?.read(key)).toEqual(entry);
    expect(await underNode("lnd https://lnd.example testnet")?.read(key)).toEqual(entry);
    expect(await underNode("lnd https://lnd.example mainnet")?.read(key)).toBeUndefined();
    expect(await underNode("lnd https://other.example testnet")?.read(key)).toBeUndefined();
    await testnet?.drop(key);
    expect(await testnet?.read(key)).toBeUndefined();
  });
});

/** A namespace of `real`'s objects whose first `lost` calls are committed, then their answers lost as an object reset mid-call loses them. */
function losingAnswers<N extends { idFromName(name: string): DurableObjectId; get(id: DurableObjectId): object }>(real: N, lost: number): N {
  return {
    idFromName: (name: string) => real.idFromName(name),
    get: (id: DurableObjectId) => {
      const stub = real.get(id) as Record<string, (...args: unknown[]) => Promise<unknown>>;
      const calls = (name: string) => async (...args: unknown[]) => {
        const answer = await stub[name]?.(...args);
        if (lost-- > 0) throw Object.assign(new Error("Durable Object reset because its code was updated."), { retryable: true });
        return answer;
      };
      return { reserve: calls("reserve"), release: calls("release"), consume: calls("consume"), giveBack: calls("giveBack"), spend: calls("spend") };
    },
  } as unknown as N;
}

describe("calls that take what a buyer paid for", () => {
  const bound = <T>(binding: T | undefined): T => {
    if (binding === undefined) throw new Error("a Durable Object binding is missing");
    return binding;
  };
  const balances = bound(env.L402_BALANCES);
  const meters = bound(env.L402_METER);
  const spent = bound(env.L402_SPENT);
  const lossy = cloudflarePorts({ ...env, L402_BALANCES: losingAnswers(balances, 2), L402_METER: losingAnswers(meters, 2), L402_SPENT: losingAnswers(spent, 1) } as Env, 30);

  it("committed, then their answers lost: each is sent again under its key, takes once, and is answered", async () => {
    const tokenId = `lost-${crypto.randomUUID()}`;
    const forgetAt = Math.floor(Date.now() / 1000) + 3600;
    expect(await lossy.balances?.reserve(tokenId, 2000n, { creditMsat: 5000n, forgetAt })).toEqual({ status: "reserved", balanceMsat: 3000n });
    expect(await lossy.balances?.release(tokenId, 500n)).toEqual({ balanceMsat: 3500n });
    expect(await balances.get(balances.idFromName(tokenId)).balanceMsat()).toBe(3500n);

    expect(await lossy.meter?.consume(tokenId, 5, forgetAt)).toEqual({ allowed: true, remaining: 4 });
    await lossy.meter?.giveBack?.(tokenId);
    expect(await meters.get(meters.idFromName(tokenId)).usesTaken()).toBe(0);

    const paymentHash = "ab".repeat(32);
    // The charge's own call is answered as the spend it was; a replay, another call, is refused.
    expect(await lossy.spentCharges?.spend(paymentHash, forgetAt)).toBe(true);
    expect(await cloudflarePorts(env, 30).spentCharges?.spend(paymentHash, forgetAt)).toBe(false);
  });
});
