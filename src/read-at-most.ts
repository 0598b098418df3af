/**
 * The first `limit` bytes of a body, and whether there was more: reading stops
 * there and the rest is cancelled, so a peer that sends without end (a
 * hostile server, to a client that pays it or reads its documents; a client
 * posting to one of the Worker's own endpoints) costs `limit` bytes of
 * memory, not all of it.
 */
export async function readAtMost(body: ReadableStream<Uint8Array> | null, limit: number): Promise<{ readonly bytes: Uint8Array; readonly truncated: boolean }> {
  let bytes = new Uint8Array(0);
  if (body === null) return { bytes, truncated: false };
  const reader = body.getReader();
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
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
    await reader.cancel().catch(() => undefined);
  }
}
