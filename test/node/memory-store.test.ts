import { describe, expect, it } from "vitest";
import { memoryStore, type StoredToken } from "../../src/client/index.ts";

const ORIGIN = "https://api.example";
const token = (n: number): StoredToken => ({ macaroon: `AgE${n}`, preimage: "ab".repeat(32), services: ["svc"], paidMsat: "1000", createdAt: n });

describe("memoryStore", () => {
  it("update changes one kept token and says so; one not kept is left unkept (false)", async () => {
    const store = memoryStore();
    await store.put(ORIGIN, token(1));
    expect(await store.update?.(ORIGIN, "AgE1", (t) => ({ ...t, balanceMsat: "700" }))).toBe(true);
    expect(await store.update?.(ORIGIN, "AgE2", (t) => ({ ...t, balanceMsat: "1" }))).toBe(false);
    expect(await store.get(ORIGIN)).toEqual([{ ...token(1), balanceMsat: "700" }]);
  });

  it("purchasing: one purchase of a name at a time, in the order they came, a failed one included; other names side by side", async () => {
    const store = memoryStore();
    const events: string[] = [];
    const task = (name: string, label: string, fail = false) =>
      store.purchasing?.(name, async () => {
        events.push(`${label} start`);
        await new Promise((resolve) => setTimeout(resolve, 20));
        events.push(`${label} end`);
        if (fail) throw new Error(label);
      });
    const runs = [task("a", "a1", true), task("a", "a2"), task("b", "b1"), task("a", "a3")];
    const settled = await Promise.allSettled(runs);
    expect(settled.map((s) => s.status)).toEqual(["rejected", "fulfilled", "fulfilled", "fulfilled"]);
    const a = events.filter((e) => e.startsWith("a"));
    expect(a).toEqual(["a1 start", "a1 end", "a2 start", "a2 end", "a3 start", "a3 end"]);
    // b ran beside a1, not after the a's.
    expect(events.indexOf("b1 start")).toBeLessThan(events.indexOf("a1 end"));
  });
});
