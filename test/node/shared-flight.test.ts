import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { sharedFlights, sweepExpired, SWEEP_AT, turnsByKey, waitAtMost } from "../../src/shared-flight.ts";

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

describe("turnsByKey", () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  /** Work that ends when the test says, recording when it began. */
  const controlled = (log: string[], name: string) => {
    let end!: (value: string) => void;
    const work = () => {
      log.push(`${name} begins`);
      return new Promise<string>((resolve) => (end = resolve));
    };
    return { work, end: (value: string) => end(value) };
  };

  it("the turns of one key run one after another, another key's beside them", async () => {
    const turns = turnsByKey<string>(60_000);
    const log: string[] = [];
    const [a1, a2, b] = [controlled(log, "a1"), controlled(log, "a2"), controlled(log, "b")];
    const first = turns("a", a1.work);
    const second = turns("a", a2.work);
    const other = turns("b", b.work);
    await vi.advanceTimersByTimeAsync(0);
    expect(log).toEqual(["a1 begins", "b begins"]);
    a1.end("one");
    expect(await first).toBe("one");
    await vi.advanceTimersByTimeAsync(0);
    expect(log).toEqual(["a1 begins", "b begins", "a2 begins"]);
    a2.end("two");
    b.end("b");
    expect(await Promise.all([second, other])).toEqual(["two", "b"]);
  });

  it("a turn that never ends holds its key for its bound after it began, no longer, however late the next arrived", async () => {
    const turns = turnsByKey<string>(1000);
    const log: string[] = [];
    void turns("a", controlled(log, "never").work);
    await vi.advanceTimersByTimeAsync(600);
    const next = turns("a", () => (log.push("next begins"), Promise.resolve("next")));
    await vi.advanceTimersByTimeAsync(399);
    expect(log).toEqual(["never begins"]);
    await vi.advanceTimersByTimeAsync(1);
    expect(await next).toBe("next");
    expect(log).toEqual(["never begins", "next begins"]);
  });
});

describe("sweepExpired", () => {
  it("drops the entries past their bound once SWEEP_AT are held, and none before", () => {
    const entries = new Map<string, { until: number }>();
    for (let i = 0; i < SWEEP_AT - 1; i++) entries.set(`k${i}`, { until: i % 2 === 0 ? 100 : 300 });
    sweepExpired(entries, 200);
    expect(entries.size).toBe(SWEEP_AT - 1);
    entries.set("one more", { until: 200 });
    sweepExpired(entries, 200);
    expect(entries.size).toBe(SWEEP_AT / 2 - 1);
    expect([...entries.values()].every(({ until }) => until === 300)).toBe(true);
  });
});
