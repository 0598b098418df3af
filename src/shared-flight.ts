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
    // Cancelled work never removes its entry: past its bound it is swept, so that such entries cannot grow without end.
    if (flights.size >= SWEEP_AT) for (const [other, { until }] of flights) if (until <= now) flights.delete(other);
    flights.set(key, flight);
    const done = () => void (flights.get(key) === flight && flights.delete(key));
    flight.promise.then(done, done);
    return flight.promise;
  };
}

/** Entries held before the expired ones are swept. */
const SWEEP_AT = 1024;

/** `promise`, or `late()` once `ms` have passed without it settling. */
export function waitAtMost<T>(promise: Promise<T>, ms: number, late: () => T): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<T>((resolve) => (timer = setTimeout(() => resolve(late()), ms)));
  return Promise.race([promise, timeout]).finally(() => timer !== undefined && clearTimeout(timer));
}
