import { describe, expect, it } from "vitest";
import { rememberingExhausted } from "../../src/paywall/index.ts";
import { memoryPorts } from "../../src/paywall/memory-ports.ts";

/** The in-memory counter (fixed windows, as the Durable Object's), counting the calls made to it. */
function countingCounter() {
  const counter = memoryPorts().freebies;
  let calls = 0;
  return {
    take: (key: string, allowance: { count: number; periodSeconds: number }, now: number) => {
      calls++;
      return counter.take(key, allowance, now);
    },
    calls: () => calls,
  };
}

const allowance = { count: 2, periodSeconds: 60 };

describe("rememberingExhausted", () => {
  it("an allowance found used up is answered without a call until its window ends, then asked again", async () => {
    const counter = countingCounter();
    const freebies = rememberingExhausted(counter);
    // Window [600, 660).
    expect(await freebies.take("svc|a", allowance, 600)).toEqual({ allowed: true, remaining: 1 });
    expect(await freebies.take("svc|a", allowance, 601)).toEqual({ allowed: true, remaining: 0 });
    expect(await freebies.take("svc|a", allowance, 602)).toEqual({ allowed: false, remaining: 0 });
    expect(counter.calls()).toBe(3);
    for (let second = 603; second < 660; second++) expect(await freebies.take("svc|a", allowance, second)).toEqual({ allowed: false, remaining: 0 });
    expect(counter.calls()).toBe(3);
    // Another client is asked about as before.
    expect(await freebies.take("svc|b", allowance, 610)).toEqual({ allowed: true, remaining: 1 });
    expect(counter.calls()).toBe(4);
    // The next window: asked again, and its requests are free again.
    expect(await freebies.take("svc|a", allowance, 660)).toEqual({ allowed: true, remaining: 1 });
    expect(counter.calls()).toBe(5);
  });

  it("an allowance changed meanwhile (count or period) is asked about, not answered from the old one", async () => {
    const counter = countingCounter();
    const freebies = rememberingExhausted(counter);
    for (let i = 0; i < 3; i++) await freebies.take("svc|a", allowance, 600);
    expect(counter.calls()).toBe(3);
    // The operator raised the count to 5: the counter says three are left.
    expect(await freebies.take("svc|a", { count: 5, periodSeconds: 60 }, 601)).toEqual({ allowed: true, remaining: 2 });
    // A new period starts a new count in the counter (its windows are another length).
    expect(await freebies.take("svc|a", { count: 2, periodSeconds: 120 }, 601)).toEqual({ allowed: true, remaining: 1 });
    expect(counter.calls()).toBe(5);
  });

  it("remembers at most its limit, forgetting the oldest first", async () => {
    const counter = countingCounter();
    const freebies = rememberingExhausted(counter, 2);
    const none = { count: 1, periodSeconds: 60 };
    for (const key of ["a", "b", "c"]) {
      await freebies.take(key, none, 600);
      await freebies.take(key, none, 600);
    }
    expect(counter.calls()).toBe(6);
    // "a" was forgotten to make room for "c": asked again; "b" and "c" are not.
    await freebies.take("b", none, 601);
    await freebies.take("c", none, 601);
    expect(counter.calls()).toBe(6);
    expect(await freebies.take("a", none, 601)).toEqual({ allowed: false, remaining: 0 });
    expect(counter.calls()).toBe(7);
  });

  it("a counter that fails is not remembered as used up", async () => {
    let failing = true;
    const counter = countingCounter();
    const freebies = rememberingExhausted({
      take: (key, a, now) => (failing ? Promise.reject(new Error("down")) : counter.take(key, a, now)),
    });
    await expect(freebies.take("svc|a", allowance, 600)).rejects.toThrow("down");
    failing = false;
    expect(await freebies.take("svc|a", allowance, 600)).toEqual({ allowed: true, remaining: 1 });
  });
});
