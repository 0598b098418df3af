import { waitAtMost } from "../shared-flight.ts";

/**
 * How long a call to a Durable Object that takes nothing a buyer paid for (or
 * the revocation list's D1 read) is waited for. Past it the call counts as
 * failed, as each port's failure does (no free request, the node asked instead
 * of the pool, a 503 to retry): a hung object would otherwise hold the request
 * with no answer at all. Calls take milliseconds, an ocean's round trip a few
 * hundred.
 */
export const CALL_WAIT_MS = 10_000;

/** The call, or a rejection once CALL_WAIT_MS have passed without its answer. */
export const bounded = <T>(call: Promise<T>, what: string): Promise<T> =>
  waitAtMost(call, CALL_WAIT_MS, () => Promise.reject(new Error(`${what} did not answer within ${CALL_WAIT_MS / 1000} s`)));
