export type BodyRead = { readonly done: false; readonly value: Uint8Array } | { readonly done: true; readonly value?: Uint8Array | undefined };

/** A body read chunk by chunk, each chunk as large as what has arrived. */
export interface BodyReader {
  read(): Promise<BodyRead>;
  cancel(reason?: unknown): Promise<void>;
}

/**
 * The most one read takes. Workers hands a reader of a fetched body 4 KiB at a
 * time, and a chunk crossing into JavaScript costs more than its bytes: read
 * into 256 KiB, a body passes through a Worker about ten times as fast
 * (bench/metered-streams.ts). A read still resolves with whatever has arrived,
 * so nothing waits for a buffer to fill.
 */
export const READ_BYTES = 256 * 1024;

/** Below this, a read's bytes are copied out and its buffer kept for the next read: a slow stream of small events does not allocate a buffer per event. */
const COPY_BELOW = READ_BYTES / 4;

/**
 * Reads `body`: a byte stream (a fetch body, in Workers and Node) into
 * buffers of its own (READ_BYTES at most); any other stream's chunks as they
 * come, themselves.
 */
export function readBody(body: ReadableStream<Uint8Array>): BodyReader {
  let byob: ReadableStreamBYOBReader;
  try {
    byob = body.getReader({ mode: "byob" });
  } catch {
    // Not a byte stream: its own chunks, whatever their size.
    return body.getReader();
  }
  let buffer = new ArrayBuffer(READ_BYTES);
  return {
    async read() {
      const next = await byob.read(new Uint8Array(buffer));
      if (next.done) return { done: true, value: undefined };
      const { value } = next;
      if (value.length >= COPY_BELOW) {
        buffer = new ArrayBuffer(READ_BYTES);
        return { done: false, value };
      }
      // The read took the buffer over (a BYOB read transfers it): take it back for the next read.
      buffer = value.buffer;
      return { done: false, value: value.slice() };
    },
    cancel: (reason) => byob.cancel(reason),
  };
}
