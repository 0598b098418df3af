import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { cloudflarePorts } from "../../src/worker/ports.ts";

/**
 * The Worker's ports from its bindings (worker/ports.ts), on workerd's own
 * Cache API: the challenge cache, whose entries outlive a deploy, scoped by
 * the node that made their invoices.
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
