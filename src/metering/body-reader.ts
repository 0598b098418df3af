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
 * The most the buffers of all the bodies being read at once (in one isolate,
 * or one Node process) may hold together beyond MIN_READ_BYTES each. A Worker's
 * isolate has 128 MB: sixty fast bodies at 1 MiB, each with the chunk before
 * it still on its way to the client, would take all of it, and the runtime
 * would end every request the isolate serves. Past the budget a body's buffer
 * stops growing (a read costs more CPU, never more memory) until another body
 * ends or shrinks.
 */
export const GROWTH_BUDGET_BYTES = 16 * 1024 * 1024;

/** What the buffers of the bodies being read hold beyond MIN_READ_BYTES each, together. */
let grownBytes = 0;

/** The bytes the reading bodies' buffers hold beyond MIN_READ_BYTES each: what GROWTH_BUDGET_BYTES bounds. */
export const readBuffersGrownBytes = (): number => grownBytes;

/**
 * Reads `body`: a byte stream (a fetch body, in Workers and Node) into
 * buffers of its own (MIN_READ_BYTES to MAX_READ_BYTES, within
 * GROWTH_BUDGET_BYTES); any other stream's chunks as they come, themselves.
 * The buffer's share of the budget is given back when the body ends, fails or
 * is cancelled.
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
  const resize = (to: number): void => {
    grownBytes += to - size;
    size = to;
    buffer = new ArrayBuffer(size);
  };
  // Once the body is over (ended, failed or cancelled), its buffer's share goes back, once, and the buffer never grows again: a read that came back before a cancel still returns after it.
  let over = false;
  const release = (): void => {
    if (over) return;
    over = true;
    grownBytes -= size - MIN_READ_BYTES;
    size = MIN_READ_BYTES;
  };
  return {
    async read() {
      const next = await byob.read(new Uint8Array(buffer)).catch((error: unknown) => {
        release();
        throw error;
      });
      if (next.done) {
        release();
        return { done: true, value: undefined };
      }
      const { value } = next;
      // A quarter of the buffer or more is handed on as it is, and the next read gets a new buffer, twice as large if this one filled (and the budget has room).
      if (value.length >= size / 4) {
        smallReads = 0;
        if (value.length === size && size < MAX_READ_BYTES && !over && grownBytes + size <= GROWTH_BUDGET_BYTES) resize(size * 2);
        else buffer = new ArrayBuffer(size);
        return { done: false, value };
      }
      // Less is copied out, so that a slow stream does not allocate a buffer per event; the buffer is kept (a BYOB read transfers it: take it back), or halved after enough such reads in a row.
      if (++smallReads >= HALVE_AFTER_SMALL_READS && size > MIN_READ_BYTES) {
        smallReads = 0;
        resize(size / 2);
      } else buffer = value.buffer;
      return { done: false, value: value.slice() };
    },
    cancel(reason) {
      release();
      return byob.cancel(reason);
    },
  };
}
