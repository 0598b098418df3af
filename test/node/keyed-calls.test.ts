import { afterEach, describe, expect, it, vi } from "vitest";
import { sentUntilAnswered } from "../../src/worker/keyed-calls.ts";

/** A Durable Object call that records under a key, sent again under that key when its answer is lost (src/worker/keyed-calls.ts). Against the objects themselves: test/workerd/ports.test.ts. */
describe("sentUntilAnswered", () => {
  afterEach(() => vi.useRealTimers());
  const lost = (flags: object) => Object.assign(new Error("Durable Object reset because its code was updated."), flags);

  it("a call whose answer was lost (retryable) is sent again under the same key, each time a little later, until it is answered", async () => {
    vi.useFakeTimers();
    const keys: string[] = [];
    const answer = sentUntilAnswered(async (key) => {
      keys.push(key);
      if (keys.length < 3) throw lost({ retryable: true });
      return "spent";
    });
    await vi.advanceTimersByTimeAsync(1000);
    await expect(answer).resolves.toBe("spent");
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
