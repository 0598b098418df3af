import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import type { TokenBalance } from "../../src/worker/token-balance.ts";

/**
 * The TokenBalance Durable Object (src/worker/token-balance.ts) called as the
 * paywall calls it, in workerd: what a refused request and a late release
 * leave in its storage. (Balances through the Worker: worker-usage.test.ts.)
 */
const balanceOf = (name: string) => {
  const namespace = env.L402_BALANCES as NonNullable<typeof env.L402_BALANCES>;
  return namespace.get(namespace.idFromName(`${name}-${crypto.randomUUID()}`));
};
const nowSeconds = () => Math.floor(Date.now() / 1000);

describe("TokenBalance", () => {
  it("a refused request (short, a top-up already applied) writes nothing; a credit applied on a refusal is kept", async () => {
    const stub = balanceOf("refused");
    const forgetAt = nowSeconds() + 3600;
    await runInDurableObject(stub, async (balance: TokenBalance, state) => {
      // The opening credit, applied by a request it cannot pay for: the credit is stored, the request refused.
      expect(await balance.reserve(9000n, { creditMsat: 5000n, forgetAt }, undefined)).toEqual({ status: "short", balanceMsat: 5000n });
      expect(await state.storage.get("balance")).toBe(5000n);
      await balance.reserve(1000n, { creditMsat: 5000n, forgetAt }, { tokenId: "a".repeat(64), creditMsat: 2000n, forgetAt });
      const put = vi.spyOn(state.storage, "put");
      expect(await balance.reserve(9000n, { creditMsat: 5000n, forgetAt }, undefined)).toEqual({ status: "short", balanceMsat: 6000n });
      expect(await balance.reserve(1n, undefined, { tokenId: "a".repeat(64), creditMsat: 2000n, forgetAt })).toEqual({ status: "topup_spent", balanceMsat: 6000n });
      expect(put).not.toHaveBeenCalled();
      expect(await balance.reserve(1000n, undefined, undefined)).toEqual({ status: "reserved", balanceMsat: 5000n });
      expect(put).toHaveBeenCalledTimes(1);
    });
  });

  it("a release, or a lease, arriving after the balance was forgotten leaves nothing behind (no row without its alarm)", async () => {
    const stub = balanceOf("late");
    await runInDurableObject(stub, (balance: TokenBalance) => balance.reserve(1000n, { creditMsat: 5000n, forgetAt: nowSeconds() - 3600 }, undefined));
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    await runInDurableObject(stub, async (balance: TokenBalance, state) => {
      expect((await state.storage.list()).size).toBe(0);
      expect(await balance.release(700n)).toEqual({ balanceMsat: 0n });
      expect(await balance.reserve(1000n, undefined, undefined)).toEqual({ status: "short", balanceMsat: 0n });
      expect((await state.storage.list()).size).toBe(0);
    });
  });
});
