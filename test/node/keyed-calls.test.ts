import { afterEach, describe, expect, it, vi } from "vitest";
import { answeredBefore, RECENT_CALLS_KEPT, sentUntilAnswered, withCall, type RecentCalls } from "../../src/worker/keyed-calls.ts";

/** A Durable Object call that takes what a buyer paid for, sent again under its key when its answer is lost (src/worker/keyed-calls.ts). Against the objects themselves: test/workerd/ports.test.ts. */
describe("sentUntilAnswered", () => {
  afterEach(() => vi.useRealTimers());
  const lost = (flags: object) => Object.assign(new Error("Durable Object reset because its code was updated."), flags);

  it("a call whose answer was lost (retryable) is sent again under the same key, each time a little later, until it is answered", async () => {
    vi.useFakeTimers();
    const keys: string[] = [];
    const answer = sentUntilAnswered(async (key) => {
      keys.push(key);
      if (keys.length < 3) throw lost({ retryable: true });
      return "reserved";
    });
    await vi.advanceTimersByTimeAsync(1000);
    await expect(answer).resolves.toBe("reserved");
    expect(keys).toHaveLength(3);
    expect(new Set(keys).size).toBe(1);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("gives up after two more sendings, with the last error; an overloaded object or an error not marked retryable is not sent again", async () => {
    vi.useFakeTimers();
    for (const [flags, sendings] of [[{ retryable: true }, 3], [{ retryable: true, overloaded: true }, 1], [{}, 1], [{ retryable: "yes" }, 1]] as const) {
      let sent = 0;
      const answer = sentUntilAnswered(async () => {
        sent++;
        throw lost(flags);
      });
      const settled = answer.catch((error: Error) => error.message);
      await vi.advanceTimersByTimeAsync(5000);
      expect(await settled).toBe("Durable Object reset because its code was updated.");
      expect(sent).toBe(sendings);
    }
  });

  it("each call has its own key", async () => {
    const keys = await Promise.all([0, 1, 2].map(() => sentUntilAnswered(async (key) => key)));
    expect(new Set(keys).size).toBe(3);
  });
});

describe("RecentCalls", () => {
  it("answers a key it holds with that call's answer, and holds the last RECENT_CALLS_KEPT", () => {
    let recent: RecentCalls = [];
    for (let i = 0; i < RECENT_CALLS_KEPT + 10; i++) recent = withCall(recent, `k${i}`, { n: i });
    expect(recent).toHaveLength(RECENT_CALLS_KEPT);
    expect(answeredBefore(recent, "k9")).toBeUndefined();
    expect(answeredBefore(recent, "k10")).toEqual({ answer: { n: 10 } });
    expect(answeredBefore(recent, `k${RECENT_CALLS_KEPT + 9}`)).toEqual({ answer: { n: RECENT_CALLS_KEPT + 9 } });
    // An answer of nothing (a use given back) is still an answer.
    expect(answeredBefore(withCall(recent, "given", null), "given")).toEqual({ answer: null });
  });
});
