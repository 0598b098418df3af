/**
 * Work that the concurrent requests of one isolate share by key (one invoice
 * for a client's misses, one pricer call per question, one lookup per
 * invoice): the first request begins it, the others wait for it. On Workers, a
 * request whose client disconnects has its work cancelled (but for what it
 * handed to `waitUntil`, for 30 s more), and the promise of cancelled work
 * never settles: shared, it would keep every later request of its key waiting,
 * in that isolate, for good. So a flight is shared for `forMs` after it began,
 * at most: a request arriving later begins the work anew, and one waiting for
 * it stops at that bound with `late()`.
 */
export function sharedFlights<T>(forMs: number, late: () => T): (key: string, begin: () => Promise<T>) => Promise<T> {
  const flights = new Map<string, { readonly promise: Promise<T>; readonly until: number }>();
  return (key, begin) => {
    const now = Date.now();
    const current = flights.get(key);
    if (current !== undefined && now < current.until) return waitAtMost(current.promise, current.until - now, late);
    const flight = { promise: begin(), until: now + forMs };
    sweepExpired(flights, now);
    flights.set(key, flight);
    const done = () => void (flights.get(key) === flight && flights.delete(key));
    flight.promise.then(done, done);
    return flight.promise;
  };
}

/**
 * Work done one turn at a time per key (a client's page views, which must see
 * the invoice the one before them made): each waits for the turn before it to
 * end, for `forMs` after that turn began at most (cancelled work never ends,
 * as above), then takes its own.
 */
export function turnsByKey<T>(forMs: number): (key: string, work: () => Promise<T>) => Promise<T> {
  const turns = new Map<string, { readonly promise: Promise<T>; readonly until: number }>();
  return async (key, work) => {
    for (let current = turns.get(key); current !== undefined; current = turns.get(key)) {
      const ended = await waitAtMost(current.promise.then(() => true, () => true), current.until - Date.now(), () => false);
      if (!ended && turns.get(key) === current) turns.delete(key);
    }
    const now = Date.now();
    sweepExpired(turns, now);
    const ours = { promise: work(), until: now + forMs };
    turns.set(key, ours);
    try {
      return await ours.promise;
    } finally {
      if (turns.get(key) === ours) turns.delete(key);
    }
  };
}

/** Entries held before the expired ones are swept. */
export const SWEEP_AT = 1024;

/** Cancelled work never removes its entry: once SWEEP_AT are held, those past their bound are dropped, so that such entries cannot grow without end. */
export function sweepExpired(entries: Map<string, { readonly until: number }>, now: number): void {
  if (entries.size >= SWEEP_AT) for (const [key, { until }] of entries) if (until <= now) entries.delete(key);
}

/** `promise`, or `late()` once `ms` have passed without it settling (a rejected promise from `late` rejects). */
export function waitAtMost<T>(promise: Promise<T>, ms: number, late: () => T | PromiseLike<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<T>((resolve) => (timer = setTimeout(() => resolve(late()), ms)));
  return Promise.race([promise, timeout]).finally(() => timer !== undefined && clearTimeout(timer));
}
