import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { toHex } from "../../src/bytes.ts";
import { cloudflarePorts } from "../../src/worker/ports.ts";
import type { SpentChargeShard } from "../../src/worker/spent-charge-shard.ts";

/**
 * The Worker's ports from its bindings (worker/ports.ts), on workerd's own
 * Cache API: the challenge cache, whose entries outlive a deploy, scoped by
 * the node that made their invoices; and a spend sent again when its answer
 * is lost.
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
function losingAnswers(real: NonNullable<Env["L402_SPENT"]>, lost: number): NonNullable<Env["L402_SPENT"]> {
  return {
    idFromName: (name: string) => real.idFromName(name),
    get: (id: DurableObjectId) => ({
      spend: async (...args: Parameters<SpentChargeShard["spend"]>) => {
        const answer = await real.get(id).spend(...args);
        if (lost-- > 0) throw Object.assign(new Error("Durable Object reset because its code was updated."), { retryable: true });
        return answer;
      },
    }),
  } as unknown as NonNullable<Env["L402_SPENT"]>;
}

describe("a spent charge", () => {
  it("committed, then its answer lost: sent again under its key, answered as the spend it was; a replay is refused", async () => {
    const spent = env.L402_SPENT;
    if (spent === undefined) throw new Error("L402_SPENT is not bound");
    const paymentHash = toHex(crypto.getRandomValues(new Uint8Array(32)));
    const until = Math.floor(Date.now() / 1000) + 600;
    expect(await cloudflarePorts({ ...env, L402_SPENT: losingAnswers(spent, 2) } as Env, 30).spentCharges?.spend(paymentHash, until)).toBe(true);
    expect(await cloudflarePorts(env, 30).spentCharges?.spend(paymentHash, until)).toBe(false);
  });
});
