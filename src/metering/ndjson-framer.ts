import { indexOfLf } from "./byte-search.ts";
import { mediaType } from "./media-type.ts";
import { createPartialLine } from "./partial-line.ts";
import { MAX_EVENT_BYTES, type OversizedEvent } from "./sse-decoder.ts";

/** Whether a Content-Type is newline-delimited JSON: application/x-ndjson (what Ollama sends), or application/ndjson. */
export function isNdjson(contentType: string | null): boolean {
  const type = mediaType(contentType);
  return type === "application/x-ndjson" || type === "application/ndjson";
}

/** Where the bytes fed so far leave a reader: between lines, or inside one. */
export type NdjsonPosition = "between-lines" | "in-line";

/**
 * A line the framer completes: `bytes` from `from` to `to` (a CR before its
 * LF included: JSON reads it as whitespace), and the offset in the chunk just
 * past its LF. The bytes are the chunk's or the framer's own: read them (or
 * copy them) during the call.
 */
export type OnLine = (bytes: Uint8Array, from: number, to: number, end: number) => void;

export interface NdjsonFramer {
  push(chunk: Uint8Array, onLine: OnLine): void;
  /** The body has ended: a last line without its LF is handed on (Ollama's clients read it; a proxy may drop the LF). */
  finish(onLine: OnLine): void;
  readonly position: NdjsonPosition;
}

/**
 * Newline-delimited JSON (an Ollama stream: one JSON object a line) read as
 * bytes arrive: each line ends at LF, split anywhere (inside a UTF-8 sequence
 * too). A line within one chunk is handed on where it lies; one spread over
 * chunks is joined first. A line over MAX_EVENT_BYTES is read as it comes by
 * `oversized` and handed on as what that makes of it, as an event stream's
 * oversized event is (OversizedEvent); without one, it is not handed on (it
 * still passes to the client).
 */
const NO_BYTES = new Uint8Array(0);

export function createNdjsonFramer(oversized?: () => OversizedEvent): NdjsonFramer {
  const partial = createPartialLine(MAX_EVENT_BYTES);
  // A line past MAX_EVENT_BYTES, read as it comes (skipped without `oversized`).
  let long: OversizedEvent | "skipped" | undefined;
  const beginLong = (line: Uint8Array): void => {
    long = oversized?.() ?? "skipped";
    if (long !== "skipped") long.push(line, 0, line.length);
  };
  const moreLong = (chunk: Uint8Array, from: number, to: number): void => {
    if (long !== undefined && long !== "skipped") long.push(chunk, from, to);
  };
  const endLong = (end: number, onLine: OnLine): void => {
    const digest = long === undefined || long === "skipped" ? undefined : long.end();
    long = undefined;
    if (digest !== undefined) onLine(digest, 0, digest.length, end + 1);
  };
  return {
    get position(): NdjsonPosition {
      return partial.bytes > 0 || long !== undefined ? "in-line" : "between-lines";
    },
    finish(onLine) {
      if (long !== undefined) return endLong(0, onLine);
      if (partial.bytes === 0) return;
      const line = partial.end(NO_BYTES, 0, 0);
      if (line !== undefined) onLine(line, 0, line.length, 0);
    },
    push(chunk, onLine) {
      const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      for (let at = 0; at < chunk.length; ) {
        const end = indexOfLf(view, at, chunk.length);
        if (end === -1) {
          if (long !== undefined) moreLong(chunk, at, chunk.length);
          else if (partial.bytes + chunk.length - at > MAX_EVENT_BYTES) beginLong(partial.bytes === 0 ? chunk.subarray(at) : partial.take(chunk, at, chunk.length));
          else partial.keep(chunk, at);
          return;
        }
        if (long !== undefined) {
          moreLong(chunk, at, end);
          endLong(end, onLine);
        } else if (partial.bytes === 0 && end - at <= MAX_EVENT_BYTES) onLine(chunk, at, end, end + 1);
        else if (partial.bytes + end - at <= MAX_EVENT_BYTES) {
          const line = partial.end(chunk, at, end) as Uint8Array;
          onLine(line, 0, line.length, end + 1);
        } else {
          beginLong(partial.bytes === 0 ? chunk.subarray(at, end) : partial.take(chunk, at, end));
          endLong(end, onLine);
        }
        at = end + 1;
      }
    },
  };
}
