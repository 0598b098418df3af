import type { OverridesSnapshot, OverridesStore } from "../config/index.ts";

/**
 * The services' overrides as this isolate knows them, read from the store at
 * most once at a time, so that every request is served with overrides read
 * (the read started) within the last `ttlMs`:
 *
 *   younger than ttl/2   served as they are, no I/O
 *   ttl/2 to ttl         served as they are; one read after the answer (waitUntil)
 *   older, or never read the request waits for one read, up to READ_WAIT_MS
 *
 * Only an isolate's first request, or the first after a TTL without any,
 * waits: under traffic the background read keeps them young. A read that
 * fails or is slow leaves the last overrides read in place (undefined before
 * the first: the caller decides what that means: live-services.ts pauses), and is retried a
 * while later, not by every request. One that never settles is given up on
 * after ABANDON_READ_MS.
 */
export interface OverridesCache {
  /** The overrides to serve this request with; `later` keeps a background read alive after the answer. */
  current(later: (work: Promise<unknown>) => void): OverridesSnapshot | undefined | Promise<OverridesSnapshot | undefined>;
  /** Reads them again, after a change made through this isolate: its own next request sees it. */
  reread(): Promise<void>;
}

/** How long a request waits for a read before it is served with what the isolate has. */
export const READ_WAIT_MS = 1500;
/** How long a read may stay under way before another may start beside it. */
export const ABANDON_READ_MS = 10_000;

export function overridesCache(store: Pick<OverridesStore, "read">, ttlMs: number, now: () => number = Date.now): OverridesCache {
  let known: OverridesSnapshot | undefined;
  let readAt = Number.NEGATIVE_INFINITY;
  let triedAt = Number.NEGATIVE_INFINITY;
  let flight: Promise<void> | undefined;
  // Reads in the order they started (a clock that stands still between I/O cannot order them): an answer older than the one in use is dropped.
  let started = 0;
  let inUse = 0;
  // A failed read is retried after this long: soon enough to recover, never a read per request.
  const retryMs = Math.min(ttlMs / 2, 1000);

  /** `fresh`: a read of its own, whatever is under way (after a change made through this isolate). */
  const read = (fresh = false): Promise<void> => {
    // A read that never settles (its request's context gone) is given up on, or no read would ever start again.
    if (!fresh && flight !== undefined && now() - triedAt < ABANDON_READ_MS) return flight;
    const startedAt = now();
    const order = ++started;
    triedAt = startedAt;
    let reading: Promise<OverridesSnapshot>;
    try {
      reading = store.read();
    } catch (error) {
      reading = Promise.reject(error as Error);
    }
    // Settled after `flight` is set (then and finally run later), so a read that fails at once cannot leave a read "under way" forever.
    const thisFlight: Promise<void> = reading
      .then(
        (snapshot) => {
          // One given up on that answers after a later read is older than what that read found.
          if (order < inUse) return;
          known = snapshot;
          readAt = startedAt;
          inUse = order;
        },
        (error: unknown) => console.error(JSON.stringify({ overrides: "the service overrides could not be read", error: String(error) })),
      )
      .finally(() => {
        if (flight === thisFlight) flight = undefined;
      });
    flight = thisFlight;
    return thisFlight;
  };

  return {
    current(later) {
      const at = now();
      const age = at - readAt;
      if (age < ttlMs / 2) return known;
      if (age < ttlMs) {
        if (flight === undefined) later(read());
        return known;
      }
      // Too old to serve: wait for a read, unless one just failed (the last known is all there is, for now).
      if (flight === undefined && at - triedAt < retryMs) return known;
      const reading = read();
      later(reading);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, READ_WAIT_MS)));
      return Promise.race([reading, timeout]).then(() => {
        if (timer !== undefined) clearTimeout(timer);
        return known;
      });
    },
    async reread() {
      // A read already under way may have started before the change: waited for, as long as it is not given up on.
      if (flight !== undefined) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const givenUp = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, triedAt + ABANDON_READ_MS - now()))));
        await Promise.race([flight, givenUp]);
        if (timer !== undefined) clearTimeout(timer);
      }
      await read(true);
    },
  };
}
