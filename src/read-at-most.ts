/**
 * The first `limit` bytes of a body, and whether there was more: reading stops
 * there and the rest is cancelled, so a peer that sends without end (a
 * hostile server, to a client that pays it or reads its documents; a client
 * posting to one of the Worker's own endpoints) costs `limit` bytes of
 * memory, not all of it. With `signal`, reading stops when it aborts (the
 * body cancelled), and what came is returned as truncated.
 */
export async function readAtMost(body: ReadableStream<Uint8Array> | null, limit: number, signal?: AbortSignal): Promise<{ readonly bytes: Uint8Array; readonly truncated: boolean }> {
  let bytes = new Uint8Array(0);
  if (body === null) return { bytes, truncated: false };
  const reader = body.getReader();
  // Aborted (a peer too slow to finish): the body is cancelled, which ends the read waiting on it, and what came is said to be cut short.
  const stop = (): void => void reader.cancel().catch(() => undefined);
  if (signal?.aborted === true) stop();
  signal?.addEventListener("abort", stop, { once: true });
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (signal?.aborted === true) return { bytes: bytes.subarray(0, size), truncated: true };
      if (done) return { bytes: bytes.subarray(0, size), truncated: false };
      const taken = value.subarray(0, limit - size);
      if (size + taken.length > bytes.length) {
        // Grown by doubling: chunks of a byte each cost no more than one large one.
        const grown = new Uint8Array(Math.min(limit, Math.max(2 * bytes.length, size + taken.length)));
        grown.set(bytes.subarray(0, size));
        bytes = grown;
      }
      bytes.set(taken, size);
      size += taken.length;
      if (taken.length < value.length) return { bytes: bytes.subarray(0, size), truncated: true };
    }
  } finally {
    signal?.removeEventListener("abort", stop);
    await reader.cancel().catch(() => undefined);
  }
}
