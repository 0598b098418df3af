/**
 * Durable Object calls that take what a buyer paid for (a use, a balance, a
 * spent charge), sent again when their answer is lost. An object reset
 * mid-call (a deploy, a move to another machine) may have committed a call
 * whose answer never came back: the Worker answered 503 and the buyer lost
 * what the call took. So each such call carries a key, its object remembers
 * the keys of its last calls with their answers (`RecentCalls`), and a call
 * sent again under its key gets the first one's answer instead of taking twice.
 *
 * Sent again as Cloudflare advises for Durable Object errors: only one marked
 * `retryable` and not `overloaded` (an overloaded object is given no more
 * work), through a fresh stub each time (`call` makes one: a stub whose call
 * threw may stay broken), at most RETRIES more times, waiting longer each time.
 */
export async function sentUntilAnswered<T>(call: (key: string) => Promise<T>): Promise<T> {
  const key = crypto.randomUUID();
  for (let attempt = 0; ; attempt++) {
    try {
      return await call(key);
    } catch (error) {
      if (attempt === RETRIES || !retryable(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, BACKOFF_MS * 4 ** attempt * (0.5 + Math.random())));
    }
  }
}

const RETRIES = 2;
/** The first wait; the next is four times it (each ±50%). */
const BACKOFF_MS = 50;

const retryable = (error: unknown): boolean =>
  typeof error === "object" && error !== null && (error as { retryable?: unknown }).retryable === true && (error as { overloaded?: unknown }).overloaded !== true;

/**
 * How many calls' keys an object keeps: a call is sent again within a
 * second of its first sending (RETRIES, BACKOFF_MS), and more calls than this
 * on one token in that second are beyond any client's concurrency.
 */
export const RECENT_CALLS_KEPT = 64;

/** An object's last calls, oldest first: each one's key and its answer. Stored whole, as one value, beside what the calls change. */
export type RecentCalls = readonly (readonly [key: string, answer: unknown])[];

/** The answer a call under `key` already had, if it is among `recent`. */
export const answeredBefore = <T>(recent: RecentCalls, key: string): { readonly answer: T } | undefined => {
  const call = recent.find(([known]) => known === key);
  return call === undefined ? undefined : { answer: call[1] as T };
};

/** `recent` with a call added, the oldest dropped past RECENT_CALLS_KEPT. */
export const withCall = (recent: RecentCalls, key: string, answer: unknown): RecentCalls => [...recent.slice(1 - RECENT_CALLS_KEPT), [key, answer]];
