import { bodyText, concatBytes } from "../bytes.ts";
import type { BodyRead, BodyReader } from "./body-reader.ts";
import { mediaType } from "./media-type.ts";
import { usageOfAnswer, type LlmUsage } from "./llm-usage.ts";
import { createJsonMembers, type WantedMembers } from "./json-members.ts";

/**
 * The most of an answer held to read its usage: a completion's JSON is a few
 * kB (an embedding's vectors some hundreds); past this, the answer passes on
 * a chunk behind the origin, its usage read from its top-level members as
 * they pass (USAGE_MEMBERS).
 */
export const MAX_HELD_ANSWER_BYTES = 1 << 20;

/** The top-level members usageOfAnswer reads an answer's usage from (and which API's it is). */
const USAGE_MEMBERS: WantedMembers = new Map(["object", "type", "usage", "usageMetadata", "prompt_eval_count", "eval_count"].map((name) => [name, true]));

/** Whether a Content-Type is JSON (application/json, or any application type ending in +json), parameters and case aside. */
export function isJson(contentType: string | null): boolean {
  const type = mediaType(contentType);
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
 * usage its top-level members report (read as each chunk passes, nested ones
 * never taken for them: json-members.ts) is known when that chunk is
 * handed on.
 */
export function readWholeAnswer(source: BodyReader): AnswerReader {
  let usage: LlmUsage | undefined;
  let first = true;
  // The source's end (or the client's leaving): a reader is not read again after it ended.
  let ended = false;
  // Past the most held: the chunk read but not yet handed on, and the members the usage is read from.
  let held: Uint8Array | undefined;
  // Gemini's streamGenerateContent without alt=sse answers an array of chunks: read as usageOfAnswer reads one.
  const members = createJsonMembers(USAGE_MEMBERS, { arrayOfObjects: true });

  const readWhole = async (): Promise<BodyRead> => {
    const parts: Uint8Array[] = [];
    let size = 0;
    for (let next = await source.read(); !next.done; next = await source.read()) {
      parts.push(next.value);
      size += next.value.length;
      if (size > MAX_HELD_ANSWER_BYTES) {
        held = parts.pop() as Uint8Array;
        const handedOn = joined(parts);
        members.push(handedOn);
        members.push(held);
        return handedOn.length === 0 ? readBehind() : { done: false, value: handedOn };
      }
    }
    ended = true;
    if (size === 0) return { done: true, value: undefined };
    const whole = joined(parts);
    usage = usageOfAnswer(bodyText(whole));
    return { done: false, value: whole };
  };

  /** Past the most held: the chunk held until the next has come; the last once the usage at the end is read. */
  const readBehind = async (): Promise<BodyRead> => {
    const next = await source.read();
    const out = held as Uint8Array;
    if (next.done) {
      ended = true;
      usage = usageOfAnswer(members.json());
    } else {
      held = next.value;
      members.push(next.value);
    }
    return { done: false, value: out };
  };

  return {
    get usage() {
      return usage;
    },
    read() {
      if (ended) return Promise.resolve({ done: true, value: undefined });
      if (first) {
        first = false;
        return readWhole();
      }
      // Nothing held after the first read only when that read failed: the source answers for itself.
      return held === undefined ? source.read() : readBehind();
    },
    cancel(reason) {
      ended = true;
      held = undefined;
      return source.cancel(reason);
    },
  };
}

/** One part as it is; several joined. */
const joined = (parts: readonly Uint8Array[]): Uint8Array => (parts.length === 1 ? (parts[0] as Uint8Array) : concatBytes(...parts));
