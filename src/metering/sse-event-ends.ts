/**
 * Where the last event ends in a stretch of an event stream that starts at a
 * line start between events: just past its last blank line (a line end right
 * after another, or at the stretch's start; CRLF is one line end). What the
 * framer needs to pass over whole events without reading their lines.
 */

const LF = 0x0a;
const CR = 0x0d;
const isLineEnd = (byte: number | undefined): boolean => byte === LF || byte === CR;

/**
 * Just past the last blank line in `chunk` from `from` (a line start between
 * events) on, or -1 when there is none. Read back from the chunk's end, so the
 * cost is the last event's length, not the chunk's. A CR at the chunk's end
 * ends its line (its LF, if any, comes in the next chunk: the framer then
 * skips it).
 */
export function lastEventEnd(chunk: Uint8Array, from: number): number {
  let at = chunk.length - 1;
  while (at >= from) {
    if (!isLineEnd(chunk[at])) {
      at--;
      continue;
    }
    // The line end at `at`, from where it starts: an LF after a CR is the end of a CRLF.
    const start = chunk[at] === LF && at - 1 >= from && chunk[at - 1] === CR ? at - 1 : at;
    if (start === from || isLineEnd(chunk[start - 1])) return at + 1;
    at = start - 1;
  }
  return -1;
}
