/**
 * A call to a Durable Object that records under a key (SpentChargeShard: the
 * key of the call that spent each charge), sent again when its answer is lost.
 * An object reset mid-call (a deploy, a move to another machine) may have
 * committed a call whose answer never came back: the Worker answered 503 and
 * the buyer's charge was spent with nothing served. Sent again under its key,
 * the call is answered as the first one was.
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
