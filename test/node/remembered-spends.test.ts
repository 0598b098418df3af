import { describe, expect, it } from "vitest";
import { rememberedSpends } from "../../src/paywall/index.ts";

/** A store of spends that counts the calls made to it (the shard's), first spend true, every later one false. */
function countingStore() {
  const spent = new Set<string>();
  let calls = 0;
  return {
    spend: async (paymentHash: string) => {
      calls++;
      if (spent.has(paymentHash)) return false;
      spent.add(paymentHash);
      return true;
    },
    calls: () => calls,
  };
}

describe("rememberedSpends", () => {
  it("a spent payment hash presented again is refused without a call, until it may be forgotten", async () => {
    const store = countingStore();
    let now = 1000;
    const spends = rememberedSpends(store, () => now);
    expect(await spends.spend("aa", 1100)).toBe(true);
    for (let i = 0; i < 50; i++) expect(await spends.spend("aa", 1100)).toBe(false);
    expect(store.calls()).toBe(1);
    // Another hash is asked as before.
    expect(await spends.spend("bb", 1100)).toBe(true);
    expect(store.calls()).toBe(2);
    // Past its `until` it may be forgotten: asked again (the store still says spent, or has forgotten it as it may).
    now = 1100;
    expect(await spends.spend("aa", 1200)).toBe(false);
    expect(store.calls()).toBe(3);
  });

  it("of concurrent first presentations exactly one succeeds: each is asked, none answered from memory before the store has", async () => {
    const store = countingStore();
    const spends = rememberedSpends(store, () => 1000);
    const answers = await Promise.all(Array.from({ length: 20 }, () => spends.spend("cc", 1100)));
    expect(answers.filter(Boolean)).toHaveLength(1);
    expect(store.calls()).toBe(20);
  });

  it("a store that fails is not remembered as spent: the next presentation asks again", async () => {
    let calls = 0;
    const spends = rememberedSpends({ spend: async () => (calls++ === 0 ? Promise.reject(new Error("shard unavailable")) : true) }, () => 1000);
    await expect(spends.spend("dd", 1100)).rejects.toThrow("shard unavailable");
    expect(await spends.spend("dd", 1100)).toBe(true);
    expect(calls).toBe(2);
  });

  it("remembers at most 4096: past that the expired go first, then the oldest, which is asked again", async () => {
    const store = countingStore();
    let now = 1000;
    const spends = rememberedSpends(store, () => now);
    await spends.spend("expiring", 1001);
    for (let i = 0; i < 4095; i++) await spends.spend(`h${i}`, 2000);
    now = 1001;
    // Full: the expired one goes, no current one does.
    await spends.spend("new-1", 2000);
    const calls = store.calls();
    expect(await spends.spend("h0", 2000)).toBe(false);
    expect(store.calls()).toBe(calls);
    // Full of current ones: the oldest (h0) goes, and is asked again.
    await spends.spend("new-2", 2000);
    expect(await spends.spend("h0", 2000)).toBe(false);
    expect(store.calls()).toBe(calls + 2);
  });
});
