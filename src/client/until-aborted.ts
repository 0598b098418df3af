/**
 * `work`, or the abort of `signal`, whichever comes first: a request whose
 * caller gave up (a timeout, a cancelled call) stops waiting for a payment or
 * a purchase, which goes on without it (a payment asked of a wallet cannot be
 * called back; a token's is kept in doubt until its outcome is learned). The
 * abort's reason is thrown, as fetch() throws it.
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
