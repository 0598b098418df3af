import { bodyText, utf8 } from "../bytes.ts";
import { createJsonMembers } from "./json-members.ts";
import type { OversizedEvent } from "./sse-decoder.ts";
import { isFields, optionalCount, type Fields, type LlmUsage } from "./usage-fields.ts";

/**
 * Ollama's counts (api/types.go `Metrics`, on the last line of an /api/chat or
 * /api/generate stream, on an answer not streamed, and prompt_eval_count on an
 * /api/embed answer): prompt_eval_count is input (the whole prompt, the part
 * read from its cache too, since Ollama 0.1.48 and again since 0.30 with
 * llama-server), eval_count output. Ollama leaves a count of 0 out
 * (omitempty), so one left out is none; an object with neither reports no
 * usage, and a count that is not a whole non-negative number none either.
 */
export function ollamaUsage(fields: Fields): LlmUsage | undefined {
  const input = fields["prompt_eval_count"];
  const output = fields["eval_count"];
  if (input === undefined && output === undefined) return undefined;
  const inputTokens = optionalCount(input, 0);
  const outputTokens = optionalCount(output, 0);
  return inputTokens === undefined || outputTokens === undefined ? undefined : { inputTokens, outputTokens };
}

/** What both count keys end with: a line without it reports no usage, and is never decoded. */
const KEY_END = Uint8Array.from('eval_count"', (char) => char.charCodeAt(0));
const QUOTE = 0x22;

/** Whether `data` from `from` to `to` holds KEY_END: each quote in it (a line has a few dozen) compared back to the key's start. */
function hasKeyEnd(data: Uint8Array, from: number, to: number): boolean {
  for (let at = data.indexOf(QUOTE, from + KEY_END.length - 1); at !== -1 && at < to; at = data.indexOf(QUOTE, at + 1)) {
    let i = 1;
    while (i < KEY_END.length && data[at - i] === KEY_END[KEY_END.length - 1 - i]) i++;
    if (i === KEY_END.length) return true;
  }
  return false;
}

/**
 * The usage one NDJSON line of an Ollama stream reports (`bytes` from `from`
 * to `to`): its top-level counts, or undefined. Only a line with a count key
 * is decoded (Ollama writes keys unescaped, and text the model writes sits in
 * strings, its quotes escaped), leniently as a client decodes it (a byte that
 * is not UTF-8 read as U+FFFD).
 */
export function usageOfOllamaLine(bytes: Uint8Array, from: number, to: number): LlmUsage | undefined {
  if (!hasKeyEnd(bytes, from, to)) return undefined;
  let line: unknown;
  try {
    line = JSON.parse(bodyText(bytes.subarray(from, to)));
  } catch {
    return undefined;
  }
  return isFields(line) ? ollamaUsage(line) : undefined;
}

/**
 * A line past the most the framer holds, read as it passes (the NDJSON
 * framer's `oversized`): handed on as its counts alone. A client can make a
 * line that long (/api/generate's last line carries the `context` of a long
 * prompt): its counts are read all the same.
 */
export function oversizedOllamaLine(): OversizedEvent {
  const members = createJsonMembers(new Map([["prompt_eval_count", true], ["eval_count", true]]));
  return { push: (bytes, from, to) => members.push(bytes, from, to), end: () => utf8(members.json()) };
}
