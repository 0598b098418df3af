/**
 * The start of a line that a chunk left unfinished, kept until a later chunk
 * ends it (an event stream's line, an NDJSON line): up to `maxBytes` in all,
 * past which the line is too long to read and only its length is counted.
 */
export class PartialLine {
  /** Bytes of the line kept or counted so far: 0 when no line is open. */
  bytes = 0;
  private parts: Uint8Array[] = [];
  private overlong = false;
  private readonly maxBytes: number;

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
  }

  /** The rest of `chunk` from `from`, copied (the chunk is the caller's once a push returns). */
  keep(chunk: Uint8Array, from: number): void {
    if (from === chunk.length) return;
    this.bytes += chunk.length - from;
    if (this.bytes > this.maxBytes) {
      this.overlong = true;
      this.parts = [];
    } else if (!this.overlong) this.parts.push(chunk.slice(from));
  }

  /** The line ending at `end` in `chunk`, what was kept of it first; undefined when it is too long to read. The line is closed either way. */
  end(chunk: Uint8Array, start: number, end: number): Uint8Array | undefined {
    const length = this.bytes + end - start;
    const readable = !this.overlong && length <= this.maxBytes;
    let line: Uint8Array | undefined;
    if (readable) {
      line = new Uint8Array(length);
      let at = 0;
      for (const part of this.parts) {
        line.set(part, at);
        at += part.length;
      }
      line.set(chunk.subarray(start, end), at);
    }
    this.parts = [];
    this.bytes = 0;
    this.overlong = false;
    return line;
  }
}
