import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { sharedFlights, waitAtMost } from "../../src/shared-flight.ts";

/** Work shared by key (src/shared-flight.ts), with a clock the test moves: work that never ends stands for a request cancelled with its client. */
describe("sharedFlights", () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it("concurrent requests of one key share one piece of work; another key, and a later request after it ended, begin their own", async () => {
    const shared = sharedFlights<string>(1000, () => "late");
    let begun = 0;
    const work = () => Promise.resolve(`answer ${++begun}`);
    expect(await Promise.all([shared("a", work), shared("a", work), shared("b", work)])).toEqual(["answer 1", "answer 1", "answer 2"]);
    expect(await shared("a", work)).toBe("answer 3");
  });

  it("work that never ends is shared for its bound at most: a request waiting for it gets late(), and one arriving after begins anew", async () => {
    const shared = sharedFlights<string>(1000, () => "late");
    let begun = 0;
    const never = shared("a", () => (begun++, new Promise<string>(() => undefined)));
    const waiting = shared("a", () => Promise.resolve("not begun"));
    await vi.advanceTimersByTimeAsync(999);
    expect(begun).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(await waiting).toBe("late");
    expect(await shared("a", () => Promise.resolve(`begun anew after ${begun}`))).toBe("begun anew after 1");
    void never;
  });

  it("a failure is its sharers' failure, and the next request begins anew", async () => {
    const shared = sharedFlights<string>(1000, () => "late");
    const failing = () => Promise.reject(new Error("node down"));
    await expect(Promise.all([shared("a", failing), shared("a", failing)])).rejects.toThrow("node down");
    expect(await shared("a", () => Promise.resolve("ok"))).toBe("ok");
  });

  it("waitAtMost: the promise's value if it settles in time, late() otherwise, and its timer cleared either way", async () => {
    expect(await waitAtMost(Promise.resolve(1), 10, () => 2)).toBe(1);
    const pending = waitAtMost(new Promise<number>(() => undefined), 10, () => 2);
    await vi.advanceTimersByTimeAsync(10);
    expect(await pending).toBe(2);
    expect(vi.getTimerCount()).toBe(0);
  });
});
