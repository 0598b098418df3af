import { afterEach, describe, expect, it, vi } from "vitest";
import type { OverridesSnapshot } from "../../src/config/index.ts";
import { ABANDON_READ_MS, overridesCache, READ_WAIT_MS } from "../../src/worker/overrides-cache.ts";

/** The per-isolate overrides cache (src/worker/overrides-cache.ts), on a clock and a store the test drives; through the Worker: test/workerd/worker-overrides.test.ts. */
const TTL_MS = 10_000;
const snapshot = (version: number): OverridesSnapshot => ({ version, overrides: new Map() });

function scriptedStore() {
  const pending: { resolve: (value: OverridesSnapshot) => void; reject: (error: Error) => void }[] = [];
  const store = { read: () => new Promise<OverridesSnapshot>((resolve, reject) => pending.push({ resolve, reject })) };
  return { store, pending, reads: () => pending.length };
}

function clock() {
  let now = 1_000_000;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

/** Lets the promise chain settle. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

afterEach(() => vi.restoreAllMocks());

describe("overridesCache", () => {
  it("an isolate's first requests wait for one read, all of them the same read", async () => {
    const { store, pending, reads } = scriptedStore();
    const cache = overridesCache(store, TTL_MS, clock().now);
    const later = vi.fn();
    const waiting = Array.from({ length: 50 }, () => cache.current(later));
    expect(waiting.every((answer) => answer instanceof Promise)).toBe(true);
    expect(reads()).toBe(1);
    pending[0]?.resolve(snapshot(3));
    expect((await Promise.all(waiting)).map((answer) => answer?.version)).toEqual(Array(50).fill(3));
  });

  it("young overrides are served with no read; from half the TTL one read runs after the answer; past the TTL a request waits for it", async () => {
    const { store, pending, reads } = scriptedStore();
    const time = clock();
    const cache = overridesCache(store, TTL_MS, time.now);
    const later = vi.fn();
    const first = cache.current(later);
    pending[0]?.resolve(snapshot(1));
    await first;

    time.advance(TTL_MS / 2 - 1);
    expect(cache.current(later)).toMatchObject({ version: 1 });
    expect(reads()).toBe(1);

    time.advance(1);
    expect(cache.current(later)).toMatchObject({ version: 1 });
    expect(cache.current(later)).toMatchObject({ version: 1 });
    expect(reads()).toBe(2);
    expect(later).toHaveBeenCalledTimes(2); // the first read, then the one background read
    pending[1]?.resolve(snapshot(2));
    await settle();
    expect(cache.current(later)).toMatchObject({ version: 2 });

    time.advance(TTL_MS);
    const waited = cache.current(later);
    expect(waited).toBeInstanceOf(Promise);
    pending[2]?.resolve(snapshot(5));
    expect(await waited).toMatchObject({ version: 5 });
  });

  it("a read that fails keeps the last overrides read, and is retried a while later, not by every request", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const { store, pending, reads } = scriptedStore();
    const time = clock();
    const cache = overridesCache(store, TTL_MS, time.now);
    const later = vi.fn();
    const first = cache.current(later);
    pending[0]?.resolve(snapshot(7));
    await first;
    time.advance(TTL_MS);
    const waited = cache.current(later);
    pending[1]?.reject(new Error("D1 is down"));
    expect(await waited).toMatchObject({ version: 7 });
    expect(cache.current(later)).toMatchObject({ version: 7 });
    expect(reads()).toBe(2);
    time.advance(1000);
    expect(cache.current(later)).toBeInstanceOf(Promise);
    expect(reads()).toBe(3);
  });

  it("never read (the store failing from the start): undefined, for the Worker to serve fail-closed", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const { store, pending } = scriptedStore();
    const cache = overridesCache(store, TTL_MS, clock().now);
    const first = cache.current(vi.fn());
    pending[0]?.reject(new Error("D1 is down"));
    expect(await first).toBeUndefined();
    expect(cache.current(vi.fn())).toBeUndefined();
  });

  it("a read slower than READ_WAIT_MS: the request goes on with what the isolate has", async () => {
    vi.useFakeTimers();
    try {
      const { store } = scriptedStore();
      const cache = overridesCache(store, TTL_MS, clock().now);
      const first = cache.current(vi.fn());
      await vi.advanceTimersByTimeAsync(READ_WAIT_MS);
      expect(await first).toBeUndefined();
    } finally {
      vi.useRealTimers();
    }
  });

  it("reread(): a change made through this isolate is read after any read already under way", async () => {
    const { store, pending, reads } = scriptedStore();
    const time = clock();
    const cache = overridesCache(store, TTL_MS, time.now);
    const first = cache.current(vi.fn());
    const reread = cache.reread();
    pending[0]?.resolve(snapshot(1));
    await first;
    await settle();
    expect(reads()).toBe(2);
    pending[1]?.resolve(snapshot(2));
    await reread;
    expect(cache.current(vi.fn())).toMatchObject({ version: 2 });
  });

  it("a read that never settles (its request's context gone) is given up on after ABANDON_READ_MS: another starts, and the first answering late changes nothing", async () => {
    const { store, pending, reads } = scriptedStore();
    const time = clock();
    const cache = overridesCache(store, TTL_MS, time.now);
    const first = cache.current(vi.fn());
    pending[0]?.resolve(snapshot(1));
    await first;
    // Past the TTL a read starts and hangs; requests meanwhile share it.
    time.advance(TTL_MS);
    const waiting = cache.current(vi.fn());
    expect(reads()).toBe(2);
    time.advance(ABANDON_READ_MS - 1);
    void cache.current(vi.fn());
    expect(reads()).toBe(2);
    time.advance(1);
    const fresh = cache.current(vi.fn());
    expect(reads()).toBe(3);
    pending[2]?.resolve(snapshot(3));
    expect(await fresh).toMatchObject({ version: 3 });
    pending[1]?.resolve(snapshot(2));
    await waiting;
    await settle();
    expect(cache.current(vi.fn())).toMatchObject({ version: 3 });
  });

  it("reread() behind a read that never settles waits until it is given up on, then reads", async () => {
    vi.useFakeTimers();
    try {
      const { store, pending, reads } = scriptedStore();
      const time = clock();
      const cache = overridesCache(store, TTL_MS, time.now);
      void cache.current(vi.fn());
      let done = false;
      const reread = cache.reread().then(() => void (done = true));
      await vi.advanceTimersByTimeAsync(ABANDON_READ_MS - 1);
      expect([done, reads()]).toEqual([false, 1]);
      time.advance(ABANDON_READ_MS);
      await vi.advanceTimersByTimeAsync(1);
      expect(reads()).toBe(2);
      pending[1]?.resolve(snapshot(7));
      await reread;
      expect(cache.current(vi.fn())).toMatchObject({ version: 7 });
    } finally {
      vi.useRealTimers();
    }
  });
});
