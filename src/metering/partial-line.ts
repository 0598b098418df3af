/**
 * The start of a line that a chunk left unfinished, kept until a later chunk
 * ends it (an event stream's line, an NDJSON line): up to `maxBytes` in all,
 * past which the line is too long to read and only its length is counted.
 */
export interface PartialLine {
  /** Bytes of the line kept or counted so far: 0 when no line is open. */
  readonly bytes: number;
  /** The rest of `chunk` from `from`, copied (the chunk is the caller's once a push returns). */
  keep(chunk: Uint8Array, from: number): void;
  /** The line ending at `end` in `chunk`, what was kept of it first; undefined when it is too long to read. The line is closed either way. */
  end(chunk: Uint8Array, start: number, end: number): Uint8Array | undefined;
  /** What was kept, then `chunk` from `start` to `end`, whatever its length, for a reader that goes on reading a long line as it comes (one that takes it before keeping more than `maxBytes`); the line is no longer kept. */
  take(chunk: Uint8Array, start: number, end: number): Uint8Array;
}

export function createPartialLine(maxBytes: number): PartialLine {
  let parts: Uint8Array[] = [];
  let bytes = 0;
  let overlong = false;
  return {
    get bytes() {
      return bytes;
    },
    keep(chunk, from) {
      if (from === chunk.length) return;
      bytes += chunk.length - from;
      if (bytes > maxBytes) {
        overlong = true;
        parts = [];
      } else if (!overlong) parts.push(chunk.slice(from));
    },
    end(chunk, start, end) {
      const line = !overlong && bytes + end - start <= maxBytes ? joined(chunk, start, end) : undefined;
      parts = [];
      bytes = 0;
      overlong = false;
      return line;
    },
    take(chunk, start, end) {
      const line = joined(chunk, start, end);
      parts = [];
      bytes = 0;
      overlong = false;
      return line;
    },
  };

  function joined(chunk: Uint8Array, start: number, end: number): Uint8Array {
    const line = new Uint8Array(bytes + end - start);
    let at = 0;
    for (const part of parts) {
      line.set(part, at);
      at += part.length;
    }
    line.set(chunk.subarray(start, end), at);
    return line;
  }
}
