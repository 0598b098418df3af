import { fromUtf8 } from "../bytes.ts";
import { indexOfLineEnd } from "./byte-search.ts";
import { createPartialLine } from "./partial-line.ts";
import { lastEventEnd } from "./sse-event-ends.ts";

/** One server-sent event as a browser's EventSource would dispatch it. */
export interface SseEvent {
  /** The `event:` field, or "message" when the event names none. */
  readonly type: string;
  /** Its `data:` lines, joined with "\n". */
  readonly data: string;
}

/**
 * Where the bytes fed so far leave a reader: between events (what follows
 * starts a new event), inside an event (fields read, no blank line yet), or
 * inside a line.
 */
export type SsePosition = "between-events" | "in-event" | "in-line";

export interface SseDecoder {
  /**
   * Reads the next chunk; calls `onEvent` for each event it completes, with
   * the offset in `chunk` just past the blank line that ends it.
   */
  push(chunk: Uint8Array, onEvent: (event: SseEvent, end: number) => void): void;
  readonly position: SsePosition;
}

/**
 * An event the framer completes: its type; its data lines joined with LF, as
 * bytes (not yet decoded: they may not be UTF-8), `bytes` from `from` to `to`;
 * and the offset in the chunk just past its blank line. The bytes are the
 * chunk's or the framer's own, which it reuses once the call returns: read
 * them (or copy them) during the call. A range, not a view, since a view per
 * event costs more than reading most events does.
 */
export type OnFrame = (type: string, bytes: Uint8Array, from: number, to: number, end: number) => void;

/**
 * What lets the framer pass over whole events without reading their lines:
 * `mayMatter` is asked of their raw bytes (`chunk` from `from` to `to`, lines
 * and all, as they came) and must be true whenever an event among them is
 * one the reader needs (it may be true for more); when it is false they are
 * not framed, and `onSkip` is told where they lie.
 */
export interface SseSkip {
  mayMatter(chunk: Uint8Array, from: number, to: number): boolean;
  onSkip(from: number, to: number): void;
}

/**
 * An event whose data grew past MAX_EVENT_BYTES, read as it passes instead
 * of held: its data (the lines joined with LF, as ever) pushed piece by piece,
 * then `end` gives what the event is dispatched with in its place (a digest:
 * the members a reader needs, json-members.ts).
 */
export interface OversizedEvent {
  push(bytes: Uint8Array, from: number, to: number): void;
  end(): Uint8Array;
}

/** The decoder's framing, with data left as bytes: for a reader that decodes only the events it needs. */
export interface SseFramer {
  push(chunk: Uint8Array, onFrame: OnFrame, skip?: SseSkip): void;
  readonly position: SsePosition;
}

/**
 * The most an event may hold (a line, or its data lines together) for the
 * decoder to read it: usage events are a few hundred bytes, and a body larger
 * than this is passed on, never held. A larger event is skipped (not
 * dispatched), or, where the framer is given `oversized`, read as it passes
 * and dispatched as what that makes of it.
 */
export const MAX_EVENT_BYTES = 1 << 20;

const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const SPACE = 0x20;
const DATA = Uint8Array.of(0x64, 0x61, 0x74, 0x61);
const EVENT = Uint8Array.of(0x65, 0x76, 0x65, 0x6e, 0x74);
const BOM = Uint8Array.of(0xef, 0xbb, 0xbf);
const LF_BYTE = Uint8Array.of(LF);
const NOTHING = new Uint8Array(0);
/** Data held for an event spread over lines or chunks grows as needed; past this, it is let go with the event. */
const KEEP_DATA_BUFFER = 64 * 1024;

/** Whether `bytes` from `at` (before `end`) start with `prefix`. */
function startsWith(bytes: Uint8Array, at: number, end: number, prefix: Uint8Array): boolean {
  if (end - at < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[at + i] !== prefix[i]) return false;
  return true;
}

/** Where the value of field `name` starts in the line `start`..`end`, or -1 when the line is another field. */
function valueStart(line: Uint8Array, start: number, end: number, name: Uint8Array): number {
  if (!startsWith(line, start, end, name)) return -1;
  const colon = start + name.length;
  if (colon === end) return end;
  if (line[colon] !== COLON) return -1;
  return colon + 1 < end && line[colon + 1] === SPACE ? colon + 2 : colon + 1;
}

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && startsWith(a, 0, a.length, b);

/**
 * The event stream format of the HTML standard (§9.2.6), read as bytes
 * arrive: lines end in CRLF, LF or CR, split anywhere (inside a UTF-8 sequence
 * or between CR and LF); comments and fields other than `event` and `data` are
 * skipped; an event is dispatched at a blank line, and one the stream leaves
 * unfinished never is. Lines are found by searching bytes; a line within one
 * chunk is read where it lies, and a data line is not copied unless its event
 * spans lines or chunks. Data is handed on as bytes, so that a reader decodes
 * only what it reads (createSseDecoder decodes every event). An event past
 * MAX_EVENT_BYTES goes to `oversized`, when given (OversizedEvent).
 */
export function createSseFramer(atStreamStart = true, oversized?: () => OversizedEvent): SseFramer {
  // The line earlier chunks left unfinished.
  const partial = createPartialLine(MAX_EVENT_BYTES);
  let afterCr = false;
  // The stream's first line, which may start with a byte order mark.
  let firstLine = atStreamStart;
  // The event being read. Its data is a single line still in the chunk being pushed (lineIn), or copied into `held` (heldInUse).
  let type = "";
  let dataLines = 0;
  let dataBytes = 0;
  let spoiled = false;
  let lineIn: Uint8Array = NOTHING;
  let lineFrom = 0;
  let lineTo = 0;
  let held = NOTHING;
  let heldBytes = 0;
  let heldInUse = false;
  // The last type decoded, for the next event of the same name.
  let lastTypeBytes = NOTHING;
  let lastType = "";
  // An event past MAX_EVENT_BYTES, its data passed on as it comes; and a line past it, read as it comes (a data line's value goes to `big`; any other spoils its event).
  let big: OversizedEvent | undefined;
  let longLine: "data" | "other" | undefined;

  const hold = (bytes: Uint8Array, from: number, to: number): void => {
    const length = heldBytes + to - from;
    if (length > held.length) {
      const grown = new Uint8Array(Math.max(length, held.length * 2, 1024));
      grown.set(held.subarray(0, heldBytes));
      held = grown;
    }
    held.set(bytes.subarray(from, to), heldBytes);
    heldBytes = length;
  };
  /** The single data line still in the chunk, copied: a second line joins it, or the chunk ends before the event does. */
  const holdLine = (): void => {
    if (big !== undefined || heldInUse || dataLines === 0) return;
    heldBytes = 0;
    hold(lineIn, lineFrom, lineTo);
    heldInUse = true;
    lineIn = NOTHING;
  };

  const reset = (): void => {
    type = "";
    dataLines = 0;
    dataBytes = 0;
    spoiled = false;
    lineIn = NOTHING;
    heldBytes = 0;
    heldInUse = false;
    big = undefined;
    if (held.length > KEEP_DATA_BUFFER) held = NOTHING;
  };
  const spoil = (): void => {
    spoiled = true;
    dataLines = 0;
    lineIn = NOTHING;
    heldBytes = 0;
    heldInUse = false;
    big = undefined;
  };

  /** The event is past MAX_EVENT_BYTES: its data so far goes to `oversized`, and what follows as it comes; without one, it is spoiled. */
  const goBig = (): boolean => {
    if (oversized === undefined) {
      spoil();
      return false;
    }
    big = oversized();
    if (heldInUse) big.push(held, 0, heldBytes);
    else if (dataLines > 0) big.push(lineIn, lineFrom, lineTo);
    lineIn = NOTHING;
    heldBytes = 0;
    heldInUse = false;
    return true;
  };
  /** A data line's value (or its first part) in an event past MAX_EVENT_BYTES. */
  const bigData = (line: Uint8Array, from: number, to: number): void => {
    if (big === undefined && !goBig()) return;
    if (dataLines > 0) big?.push(LF_BYTE, 0, 1);
    big?.push(line, from, to);
    dataLines++;
  };

  const readData = (line: Uint8Array, from: number, to: number, inChunk: boolean): void => {
    dataBytes += to - from;
    if (big !== undefined || dataBytes > MAX_EVENT_BYTES) return bigData(line, from, to);
    if (dataLines === 0 && inChunk) {
      lineIn = line;
      lineFrom = from;
      lineTo = to;
    } else {
      holdLine();
      if (dataLines > 0) hold(LF_BYTE, 0, 1);
      hold(line, from, to);
      heldInUse = true;
    }
    dataLines++;
  };

  const readType = (line: Uint8Array, from: number, to: number): void => {
    const value = line.subarray(from, to);
    if (!sameBytes(value, lastTypeBytes)) {
      const decoded = fromUtf8(value);
      if (decoded === undefined) return spoil();
      lastTypeBytes = value.slice();
      lastType = decoded;
    }
    type = lastType;
  };

  /** One line, `start`..`end` of `line` (the chunk itself when `inChunk`); `next` is where the chunk goes on after it. */
  const readLine = (line: Uint8Array, start: number, end: number, inChunk: boolean, next: number, onFrame: OnFrame): void => {
    if (firstLine) {
      firstLine = false;
      if (startsWith(line, start, end, BOM)) start += BOM.length;
    }
    if (start === end) {
      if (!spoiled && dataLines > 0) {
        const eventType = type === "" ? "message" : type;
        const digest = big?.end();
        if (digest !== undefined) onFrame(eventType, digest, 0, digest.length, next);
        else if (heldInUse) onFrame(eventType, held, 0, heldBytes, next);
        else onFrame(eventType, lineIn, lineFrom, lineTo, next);
      }
      return reset();
    }
    if (spoiled) return;
    let from = valueStart(line, start, end, DATA);
    if (from !== -1) return readData(line, from, end, inChunk);
    from = valueStart(line, start, end, EVENT);
    if (from !== -1) readType(line, from, end);
  };

  /** A line past MAX_EVENT_BYTES, its start (at least that much of it): a data line's value is read as it comes; any other line spoils its event. */
  const beginLongLine = (line: Uint8Array): void => {
    let start = 0;
    if (firstLine) {
      firstLine = false;
      if (startsWith(line, 0, line.length, BOM)) start = BOM.length;
    }
    const from = spoiled ? -1 : valueStart(line, start, line.length, DATA);
    if (from === -1) {
      longLine = "other";
      return spoil();
    }
    longLine = "data";
    dataBytes += line.length - from;
    bigData(line, from, line.length);
  };
  /** More of a long line, `from` to `to` of `chunk`. */
  const moreLongLine = (chunk: Uint8Array, from: number, to: number): void => {
    if (longLine !== "data" || big === undefined) return;
    dataBytes += to - from;
    big.push(chunk, from, to);
  };

  return {
    get position(): SsePosition {
      if (partial.bytes > 0 || longLine !== undefined) return "in-line";
      return dataLines > 0 || type !== "" || spoiled ? "in-event" : "between-events";
    },
    push(chunk, onFrame, skip) {
      let at = 0;
      if (afterCr && chunk.length > 0) {
        afterCr = false;
        if (chunk[0] === LF) at = 1;
      }
      const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      // Once per chunk, at the first line start between events past the stream's first line: the whole events up to the chunk's last blank line may be passed over.
      let untried = skip;
      while (at < chunk.length) {
        if (untried !== undefined && !firstLine && partial.bytes === 0 && longLine === undefined && dataLines === 0 && type === "" && !spoiled) {
          const tried = untried;
          untried = undefined;
          const to = lastEventEnd(chunk, at);
          if (to > at && !tried.mayMatter(chunk, at, to)) {
            tried.onSkip(at, to);
            if (to === chunk.length && chunk[to - 1] === CR) afterCr = true;
            at = to;
            continue;
          }
        }
        // A blank line (an event's end) is common enough to look at before searching.
        const first = chunk[at];
        const end = first === LF || first === CR ? at : indexOfLineEnd(view, at, chunk.length);
        if (end === -1) {
          if (longLine !== undefined) moreLongLine(chunk, at, chunk.length);
          else if (partial.bytes + chunk.length - at > MAX_EVENT_BYTES) beginLongLine(partial.bytes === 0 ? chunk.subarray(at) : partial.take(chunk, at, chunk.length));
          else partial.keep(chunk, at);
          break;
        }
        let next = end + 1;
        if (chunk[end] === CR) {
          if (next === chunk.length) afterCr = true;
          else if (chunk[next] === LF) next++;
        }
        if (longLine !== undefined) {
          moreLongLine(chunk, at, end);
          longLine = undefined;
        } else if (partial.bytes === 0 && end - at <= MAX_EVENT_BYTES) readLine(chunk, at, end, true, next, onFrame);
        else if (partial.bytes + end - at <= MAX_EVENT_BYTES) {
          const line = partial.end(chunk, at, end) as Uint8Array;
          readLine(line, 0, line.length, false, next, onFrame);
        } else {
          // A line too long to hold: read as it is (a blank line still ends its event).
          beginLongLine(partial.bytes === 0 ? chunk.subarray(at, end) : partial.take(chunk, at, end));
          longLine = undefined;
        }
        at = next;
      }
      // The chunk is the caller's once this returns: an event still open keeps its data.
      holdLine();
    },
  };
}

/**
 * Where the events the framer dispatches end in `chunk` from `from` (a line
 * start between events, past the stream's first line) to `to`: whole events
 * passed over unread, framed only to cut among them. A blank line that ends
 * no dispatched event (a keepalive comment's, an extra one) is not among them;
 * an oversized event is, as a framer given `oversized` dispatches it.
 */
export function framedEventEnds(chunk: Uint8Array, from: number, to: number): number[] {
  const ends: number[] = [];
  createSseFramer(false, () => ({ push: () => undefined, end: () => NOTHING })).push(chunk.subarray(from, to), (_type, _bytes, _from, _to, end) => void ends.push(from + end));
  return ends;
}

/** The event stream, decoded: each event's data as text; an event whose bytes are not UTF-8 is skipped rather than read with replacement characters. */
export function createSseDecoder(): SseDecoder {
  const framer = createSseFramer();
  return {
    get position() {
      return framer.position;
    },
    push(chunk, onEvent) {
      framer.push(chunk, (type, bytes, from, to, end) => {
        const text = fromUtf8(bytes.subarray(from, to));
        if (text !== undefined) onEvent({ type, data: text }, end);
      });
    },
  };
}
