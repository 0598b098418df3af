import { bodyText } from "../bytes.ts";
import type { BodyRead, BodyReader } from "./body-reader.ts";
import { usageOfAnswer, usageOfAnswerTail, type LlmUsage } from "./llm-usage.ts";

/**
 * The most of an answer held to read its usage: a completion's JSON is a few
 * kB (an embedding's vectors some hundreds); past this, the answer passes on
 * as it comes, its usage read from its end (ANSWER_TAIL_BYTES).
 */
export const MAX_HELD_ANSWER_BYTES = 1 << 20;

/** The end of an answer too large to hold that its usage is read from: an API writes only short fields after it. */
const ANSWER_TAIL_BYTES = 16 * 1024;

/** Whether a Content-Type is JSON (application/json, or any type ending in +json), parameters and case aside. */
export function isJson(contentType: string | null): boolean {
  const type = (contentType?.split(";", 1)[0] ?? "").trim().toLowerCase();
  return type === "application/json" || (type.startsWith("application/") && type.endsWith("+json"));
}

export interface AnswerReader extends BodyReader {
  /** The usage the whole answer reported, once the read that hands on its end has returned; undefined before, or when it reports none. */
  readonly usage: LlmUsage | undefined;
}

/**
 * A JSON answer (an LLM's reply not streamed: `"stream": false`) read whole
 * before any of it passes on, so that the tokens it reports are priced, and
 * leased from the balance, before the client has them: its first read is the
 * whole body. Without this, a client could buy a token-priced completion at
 * the price of one that reports nothing by not asking for a stream. An answer
 * over MAX_HELD_ANSWER_BYTES (an embedding of many inputs, top logprobs: a
 * client can ask for one) is handed on as far as it was read, then a chunk
 * behind the origin: its last chunk is held until the origin ends, and the
 * usage its last ANSWER_TAIL_BYTES report is known when that chunk is handed on.
 */
export function readWholeAnswer(source: BodyReader): AnswerReader {
  let usage: LlmUsage | undefined;
  let first = true;
  // The source's end, once read to it: a reader is not read again after it ended.
  let ended = false;
  // Past the most held: the chunk read but not yet handed on, and the last chunks (ANSWER_TAIL_BYTES of them or more) to read the usage from.
  let held: Uint8Array | undefined;
  const tail: Uint8Array[] = [];
  let tailSize = 0;
  const keepTail = (chunk: Uint8Array): void => {
    tail.push(chunk);
    tailSize += chunk.length;
    while (tail.length > 1 && tailSize - (tail[0] as Uint8Array).length >= ANSWER_TAIL_BYTES) tailSize -= (tail.shift() as Uint8Array).length;
  };

  const readWhole = async (): Promise<BodyRead> => {
    const parts: Uint8Array[] = [];
    let size = 0;
    for (let next = await source.read(); !next.done; next = await source.read()) {
      parts.push(next.value);
      size += next.value.length;
      if (size > MAX_HELD_ANSWER_BYTES) {
        held = parts.pop() as Uint8Array;
        keepTail(held);
        return parts.length === 0 ? readBehind() : { done: false, value: joined(parts, size - held.length) };
      }
    }
    ended = true;
    if (size === 0) return { done: true, value: undefined };
    const whole = joined(parts, size);
    // Read as the client's json() will read it: a byte that is not UTF-8 (or a BOM) must not hide the usage it sees.
    usage = usageOfAnswer(bodyText(whole));
    return { done: false, value: whole };
  };

  /** Past the most held: the chunk held until the next has come; the last once the usage at the end is read. */
  const readBehind = async (): Promise<BodyRead> => {
    const next = await source.read();
    const out = held as Uint8Array;
    if (next.done) {
      ended = true;
      usage = usageOfAnswerTail(bodyText(joined(tail, tailSize)));
    } else {
      held = next.value;
      keepTail(next.value);
    }
    return { done: false, value: out };
  };

  return {
    get usage() {
      return usage;
    },
    read() {
      if (ended) return Promise.resolve({ done: true, value: undefined });
      if (!first) return held === undefined ? source.read() : readBehind();
      first = false;
      return readWhole();
    },
    cancel: (reason) => source.cancel(reason),
  };
}

function joined(parts: readonly Uint8Array[], size: number): Uint8Array {
  if (parts.length === 1) return parts[0] as Uint8Array;
  const whole = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    whole.set(part, at);
    at += part.length;
  }
  return whole;
}
