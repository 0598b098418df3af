import { fromUtf8 } from "../bytes.ts";

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
 * The most an event may hold (a line, or its data lines together) for the
 * decoder to read it: usage events are a few hundred bytes, and a body larger
 * than this is passed on, never held. A larger event is skipped (not dispatched).
 */
export const MAX_EVENT_BYTES = 1 << 20;

const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const SPACE = 0x20;
const DATA = [0x64, 0x61, 0x74, 0x61];
const EVENT = [0x65, 0x76, 0x65, 0x6e, 0x74];
const BOM = [0xef, 0xbb, 0xbf];

const startsWith = (bytes: Uint8Array, prefix: readonly number[], at = 0): boolean => prefix.every((byte, i) => bytes[at + i] === byte);
const isField = (line: Uint8Array, end: number, name: readonly number[]): boolean => end === name.length && startsWith(line, name);

/**
 * The event stream format of the HTML standard (§9.2.6), read as bytes
 * arrive: lines end in CRLF, LF or CR, split anywhere (inside a UTF-8 sequence
 * or between CR and LF); comments and fields other than `event` and `data` are
 * skipped; an event is dispatched at a blank line, and one the stream leaves
 * unfinished never is. Lines are found by searching bytes and each is decoded
 * once, whole, so no text is decoded twice. An event with bytes that are not
 * UTF-8 is skipped rather than read with replacement characters.
 */
export function createSseDecoder(): SseDecoder {
  let partial: Uint8Array[] = [];
  let partialBytes = 0;
  let overlong = false;
  let afterCr = false;
  let firstLine = true;
  let dataLines: string[] = [];
  let dataBytes = 0;
  let eventType = "";
  let spoiled = false;

  const reset = (): void => {
    dataLines = [];
    dataBytes = 0;
    eventType = "";
    spoiled = false;
  };
  const spoil = (): void => {
    spoiled = true;
    dataLines = [];
  };

  const readField = (line: Uint8Array): void => {
    const colon = line.indexOf(COLON);
    const nameEnd = colon === -1 ? line.length : colon;
    const isData = isField(line, nameEnd, DATA);
    if (spoiled || (!isData && !isField(line, nameEnd, EVENT))) return;
    const valueStart = colon === -1 ? line.length : line[colon + 1] === SPACE ? colon + 2 : colon + 1;
    dataBytes += isData ? line.length - valueStart : 0;
    const value = dataBytes > MAX_EVENT_BYTES ? undefined : fromUtf8(line.subarray(valueStart));
    if (value === undefined) spoil();
    else if (isData) dataLines.push(value);
    else eventType = value;
  };

  /** One line, without its end; returns the event it completes, if any. */
  const readLine = (line: Uint8Array): SseEvent | undefined => {
    if (firstLine) {
      firstLine = false;
      if (startsWith(line, BOM)) line = line.subarray(BOM.length);
    }
    if (line.length === 0) {
      const event = spoiled || dataLines.length === 0 ? undefined : { type: eventType === "" ? "message" : eventType, data: dataLines.join("\n") };
      reset();
      return event;
    }
    if (line[0] !== COLON) readField(line);
    return undefined;
  };

  const keepPartial = (bytes: Uint8Array): void => {
    if (bytes.length === 0) return;
    partialBytes += bytes.length;
    if (partialBytes > MAX_EVENT_BYTES) {
      overlong = true;
      partial = [];
    } else if (!overlong) partial.push(bytes.slice());
  };

  /** The line ending at `end` in `chunk`, with what earlier chunks held of it. */
  const takeLine = (chunk: Uint8Array, start: number, end: number): Uint8Array | undefined => {
    if (overlong || partialBytes + end - start > MAX_EVENT_BYTES) return undefined;
    const tail = chunk.subarray(start, end);
    if (partial.length === 0) return tail;
    const line = new Uint8Array(partialBytes + tail.length);
    let at = 0;
    for (const part of partial) {
      line.set(part, at);
      at += part.length;
    }
    line.set(tail, at);
    return line;
  };

  return {
    get position(): SsePosition {
      if (partialBytes > 0) return "in-line";
      return dataLines.length > 0 || eventType !== "" || spoiled ? "in-event" : "between-events";
    },
    push(chunk, onEvent) {
      let at = 0;
      if (afterCr && chunk.length > 0) {
        afterCr = false;
        if (chunk[0] === LF) at = 1;
      }
      // Where the next LF and CR are, searched once each per chunk rather than once per line.
      let lf = -2;
      let cr = -2;
      while (at < chunk.length) {
        if (lf !== -1 && lf < at) lf = chunk.indexOf(LF, at);
        if (cr !== -1 && cr < at) cr = chunk.indexOf(CR, at);
        const end = lf === -1 ? cr : cr === -1 ? lf : Math.min(lf, cr);
        if (end === -1) {
          keepPartial(chunk.subarray(at));
          return;
        }
        let next = end + 1;
        if (chunk[end] === CR) {
          if (next === chunk.length) afterCr = true;
          else if (chunk[next] === LF) next++;
        }
        const line = takeLine(chunk, at, end);
        partial = [];
        partialBytes = 0;
        overlong = false;
        if (line !== undefined) {
          const event = readLine(line);
          if (event !== undefined) onEvent(event, next);
        } else {
          // A line too long to read spoils its event; a blank line still ends it.
          firstLine = false;
          spoil();
        }
        at = next;
      }
    },
  };
}
