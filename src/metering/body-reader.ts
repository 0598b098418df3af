export type BodyRead = { readonly done: false; readonly value: Uint8Array } | { readonly done: true; readonly value?: Uint8Array | undefined };

/** A body read chunk by chunk, each chunk as large as what has arrived. */
export interface BodyReader {
  read(): Promise<BodyRead>;
  cancel(reason?: unknown): Promise<void>;
}

/**
 * What a read takes at most at first. Workers hands a reader of a fetched body
 * 4 KiB at a time, and a chunk crossing into JavaScript costs more than its
 * bytes: read into 256 KiB, a body passes through a Worker about ten times as
 * fast (bench/metered-streams.ts). A read still resolves with whatever has
 * arrived, so nothing waits for a buffer to fill.
 */
export const READ_BYTES = 256 * 1024;

/**
 * What a read takes at most once one has filled its buffer (the body arrives
 * faster than it is passed on): fewer, larger chunks (a socket hands about
 * 400 KiB at a time in workerd) take a fast body through a Worker for 5–25%
 * less CPU in paired runs (bench/metered-streams.ts). A read short of
 * READ_BYTES goes back to it, so a stream that slows does not hold a megabyte.
 */
export const FAST_READ_BYTES = 1024 * 1024;

/** Below this, a read's bytes are copied out and its buffer kept for the next read: a slow stream of small events does not allocate a buffer per event. */
const COPY_BELOW = READ_BYTES / 4;

/**
 * Reads `body`: a byte stream (a fetch body, in Workers and Node) into
 * buffers of its own (READ_BYTES, or FAST_READ_BYTES while it comes fast, at
 * most); any other stream's chunks as they come, themselves.
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
      const size = buffer.byteLength;
      const next = await byob.read(new Uint8Array(buffer));
      if (next.done) return { done: true, value: undefined };
      const { value } = next;
      if (value.length >= COPY_BELOW) {
        // Larger while reads fill READ_BYTES at least: a chunk handed on keeps its whole buffer, so a buffer is never more than four times its chunk for long.
        buffer = new ArrayBuffer(value.length === size ? FAST_READ_BYTES : value.length >= READ_BYTES ? size : READ_BYTES);
        return { done: false, value };
      }
      // The read took the buffer over (a BYOB read transfers it): take it back for the next read, or a small one for a body that slowed.
      buffer = size === READ_BYTES ? value.buffer : new ArrayBuffer(READ_BYTES);
      return { done: false, value: value.slice() };
    },
    cancel: (reason) => byob.cancel(reason),
  };
}
