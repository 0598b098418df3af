export type BodyRead = { readonly done: false; readonly value: Uint8Array } | { readonly done: true; readonly value?: Uint8Array | undefined };

/** A body read chunk by chunk, each chunk as large as what has arrived. */
export interface BodyReader {
  read(): Promise<BodyRead>;
  cancel(reason?: unknown): Promise<void>;
}

/**
 * The least and the most one read takes. Workers hands a reader of a fetched
 * body 4 KiB at a time, and each chunk crossing into JavaScript and back out
 * costs tens of microseconds of workerd's CPU whatever its size: a 32 MiB body
 * read into 64 KiB cost workerd about four times the CPU of one piped natively,
 * into 1 MiB about twice (bench/metered-streams.ts' JavaScript-stream Worker). A
 * read still resolves with whatever has arrived, so nothing waits for a buffer
 * to fill; the buffer grows while reads fill it (a fast origin) and shrinks
 * once reads keep coming back under a quarter full (HALVE_AFTER_SMALL_READS in
 * a row), so a slow stream of small events holds 64 KiB, not 1 MiB.
 */
export const MIN_READ_BYTES = 64 * 1024;
export const MAX_READ_BYTES = 1024 * 1024;
/** Small reads in a row before the buffer is halved: one among large ones (a fast origin's chunks arrive unevenly) neither allocates nor slows the reads after it. */
export const HALVE_AFTER_SMALL_READS = 4;

/**
 * Reads `body`: a byte stream (a fetch body, in Workers and Node) into
 * buffers of its own (MIN_READ_BYTES to MAX_READ_BYTES); any other stream's
 * chunks as they come, themselves.
 */
export function readBody(body: ReadableStream<Uint8Array>): BodyReader {
  let byob: ReadableStreamBYOBReader;
  try {
    byob = body.getReader({ mode: "byob" });
  } catch {
    // Not a byte stream: its own chunks, whatever their size.
    return body.getReader();
  }
  let size = MIN_READ_BYTES;
  let buffer = new ArrayBuffer(size);
  let smallReads = 0;
  return {
    async read() {
      const next = await byob.read(new Uint8Array(buffer));
      if (next.done) return { done: true, value: undefined };
      const { value } = next;
      // A quarter of the buffer or more is handed on as it is, and the next read gets a new buffer, twice as large if this one filled.
      if (value.length >= size / 4) {
        smallReads = 0;
        if (value.length === size && size < MAX_READ_BYTES) size *= 2;
        buffer = new ArrayBuffer(size);
        return { done: false, value };
      }
      // Less is copied out, so that a slow stream does not allocate a buffer per event; the buffer is kept (a BYOB read transfers it: take it back), or halved after enough such reads in a row.
      if (++smallReads >= HALVE_AFTER_SMALL_READS && size > MIN_READ_BYTES) {
        smallReads = 0;
        size /= 2;
        buffer = new ArrayBuffer(size);
      } else buffer = value.buffer;
      return { done: false, value: value.slice() };
    },
    cancel: (reason) => byob.cancel(reason),
  };
}
