import { bodyText, utf8 } from "../bytes.ts";
import { createJsonMembers, type WantedMembers } from "./json-members.ts";
import { ollamaUsage } from "./ollama-usage.ts";
import { BRACE, COLON, indexPastUsageKey } from "./usage-key.ts";
import type { OversizedEvent, SseEvent } from "./sse-decoder.ts";
import { isCount, isFields, optionalCount, type Fields, type LlmUsage } from "./usage-fields.ts";

export type { LlmUsage } from "./usage-fields.ts";

export interface UsageReader {
  /** Reads one event; true when it reported usage (which then replaces what came before). */
  read(event: SseEvent): boolean;
  /** The same, from an event's data as bytes (`bytes` from `from` to `to`, as an SseFramer hands them on): decoded only when it may carry usage, so most events never are. */
  readBytes(type: string, bytes: Uint8Array, from: number, to: number): boolean;
  /** The last usage the stream reported, or undefined if none so far. */
  readonly usage: LlmUsage | undefined;
  /** Whether that usage is a first report whose output count is still to come (Anthropic's `message_start`, its `message_delta` at the end; a Gemini chunk counting the prompt alone, the last one the output). */
  readonly provisional: boolean;
}

/** Anthropic's input, counted in three parts that a `message_delta` may each restate. */
interface AnthropicCounts {
  readonly input: number;
  readonly cacheCreation: number;
  readonly cacheRead: number;
  readonly output: number;
}

// Only events that may carry usage are parsed as JSON: every OpenAI chunk has
// `"usage": null` but the last (a Responses stream's response has it null until
// the event that ends it), and Anthropic's text deltas have none (Gemini's
// chunks each carry `usageMetadata`, so each of those is parsed). An API
// writes keys unescaped, and text an LLM writes sits inside JSON strings (its
// quotes escaped), so this test passes every frame that has usage and only
// costs a parse for the rest.
const MAY_CARRY_USAGE = /"usage(?:Metadata)?"\s*:\s*\{/;

/** Past the whitespace from `at` (before `to`); -1 at a byte that may begin whitespace beyond ASCII (`\s` has some). */
function skipSpace(data: Uint8Array, at: number, to: number): number {
  for (; at < to; at++) {
    const byte = data[at] as number;
    if (byte >= 0x80) return -1;
    if (byte !== 0x20 && (byte < 0x09 || byte > 0x0d)) return at;
  }
  return at;
}

/**
 * MAY_CARRY_USAGE, asked of bytes before they are decoded: true for every
 * event the pattern would pass (and a few more: a byte beyond ASCII where it
 * allows whitespace), so that deciding on bytes changes nothing.
 */
function mayCarryUsage(data: Uint8Array, from: number, to: number): boolean {
  // A key found, the next search starts at its closing quote, which may open another (as the pattern's search would find it).
  for (let past = indexPastUsageKey(data, from, to); past !== -1; past = indexPastUsageKey(data, past - 1, to)) {
    let next = skipSpace(data, past, to);
    if (next === -1) return true;
    if (next === to || data[next] !== COLON) continue;
    next = skipSpace(data, next + 1, to);
    if (next === -1 || (next < to && data[next] === BRACE)) return true;
  }
  return false;
}


/** The members of an event the usage is read from (createUsageReader's formats): the rest of an event too large to hold is let pass. */
const USAGE_EVENT_MEMBERS: WantedMembers = new Map<string, true | ReadonlySet<string>>([
  ["type", true],
  ["usage", true],
  ["usageMetadata", true],
  ["response", new Set(["usage"])],
  ["message", new Set(["usage"])],
]);

/**
 * An event past the most the framer holds, read as it passes (the framer's
 * `oversized`): dispatched as the members its usage is read from. A client
 * can make one that large (a Responses stream's last event repeats the
 * request's instructions and tools): its usage is read all the same.
 */
export function oversizedUsageEvent(): OversizedEvent {
  const members = createJsonMembers(USAGE_EVENT_MEMBERS);
  return { push: (bytes, from, to) => members.push(bytes, from, to), end: () => utf8(members.json()) };
}

/** OpenAI chat completions (stream_options.include_usage): the chunk whose `usage` is not null. */
function openAiUsage(frame: Fields): LlmUsage | undefined {
  const usage = frame["usage"];
  if (!isFields(usage)) return undefined;
  const input = usage["prompt_tokens"];
  const output = usage["completion_tokens"];
  return isCount(input) && isCount(output) ? { inputTokens: input, outputTokens: output } : undefined;
}

/**
 * Gemini (`streamGenerateContent?alt=sse`): every chunk's `usageMetadata`, the
 * counts so far. Input is the prompt's tokens (cached ones among them) and the
 * tool-use prompt's; output is the candidates' and the thoughts' (billed as
 * output).
 */
function geminiUsage(frame: Fields): LlmUsage | undefined {
  const usage = frame["usageMetadata"];
  if (!isFields(usage) || !isCount(usage["promptTokenCount"])) return undefined;
  const toolPrompt = optionalCount(usage["toolUsePromptTokenCount"], 0);
  const candidates = optionalCount(usage["candidatesTokenCount"], 0);
  const thoughts = optionalCount(usage["thoughtsTokenCount"], 0);
  if (toolPrompt === undefined || candidates === undefined || thoughts === undefined) return undefined;
  const inputTokens = usage["promptTokenCount"] + toolPrompt;
  const outputTokens = candidates + thoughts;
  return Number.isSafeInteger(inputTokens) && Number.isSafeInteger(outputTokens) ? { inputTokens, outputTokens } : undefined;
}

/**
 * Whether a Gemini chunk counts the prompt alone, its output still to come:
 * chunks before the last may leave `candidatesTokenCount` out (or null; the
 * API's JSON leaves out a 0 too), the last counting the output. A chunk that
 * ends the answer (a candidate's `finishReason`, the prompt's `blockReason`)
 * has counted all there is.
 */
function geminiOutputToCome(frame: Fields): boolean {
  const usage = frame["usageMetadata"];
  if (!isFields(usage) || (usage["candidatesTokenCount"] !== undefined && usage["candidatesTokenCount"] !== null)) return false;
  const candidates = frame["candidates"];
  const finished = Array.isArray(candidates) && candidates.some((candidate) => isFields(candidate) && typeof candidate["finishReason"] === "string");
  const feedback = frame["promptFeedback"];
  return !finished && !(isFields(feedback) && typeof feedback["blockReason"] === "string");
}

/** The events that end an OpenAI Responses stream: each carries the whole response, with its `usage` (null on a failure before any token). */
const RESPONSE_ENDS = new Set(["response.completed", "response.incomplete", "response.failed"]);

/** OpenAI's Responses API: `response.usage` of the event that ends the stream (its input counts cached tokens, its output reasoning tokens). */
function responsesUsage(frame: Fields): LlmUsage | undefined {
  const response = frame["response"];
  const usage = isFields(response) ? response["usage"] : undefined;
  if (!isFields(usage)) return undefined;
  const input = usage["input_tokens"];
  const output = usage["output_tokens"];
  return isCount(input) && isCount(output) ? { inputTokens: input, outputTokens: output } : undefined;
}

/** Anthropic's `message_start` (`message.usage`) or `message_delta` (`usage`, cumulative), over what came before. */
function anthropicCounts(frame: Fields, before: AnthropicCounts): AnthropicCounts | undefined {
  const usage = frame["type"] === "message_start" ? (isFields(frame["message"]) ? frame["message"]["usage"] : undefined) : frame["usage"];
  if (!isFields(usage) || !isCount(usage["output_tokens"])) return undefined;
  // message_start states every part (the cache ones may be absent: none); message_delta restates those that changed.
  const base = frame["type"] === "message_start" ? undefined : before;
  if (base === undefined && !isCount(usage["input_tokens"])) return undefined;
  const input = optionalCount(usage["input_tokens"], base?.input ?? 0);
  const cacheCreation = optionalCount(usage["cache_creation_input_tokens"], base?.cacheCreation ?? 0);
  const cacheRead = optionalCount(usage["cache_read_input_tokens"], base?.cacheRead ?? 0);
  if (input === undefined || cacheCreation === undefined || cacheRead === undefined) return undefined;
  return { input, cacheCreation, cacheRead, output: usage["output_tokens"] };
}

const NO_ANTHROPIC_COUNTS: AnthropicCounts = { input: 0, cacheCreation: 0, cacheRead: 0, output: 0 };

/** Anthropic's counts as usage: input is input + cache creation + cache read tokens. */
function anthropicUsage(counts: AnthropicCounts): LlmUsage | undefined {
  const inputTokens = counts.input + counts.cacheCreation + counts.cacheRead;
  return Number.isSafeInteger(inputTokens) ? { inputTokens, outputTokens: counts.output } : undefined;
}

/**
 * The usage a whole (not streamed) answer reports: an OpenAI chat completion,
 * completion or embedding (`usage.prompt_tokens`, and `completion_tokens` where
 * there is output), its Responses API's response (`object: "response"`), an
 * Anthropic message (`type: "message"`, its usage as message_start states it)
 * Gemini's (`usageMetadata`; its `streamGenerateContent` without `alt=sse`
 * answers a JSON array of chunks, whose last usage counts the whole answer)
 * and Ollama's (`prompt_eval_count`, `eval_count`: ollama-usage.ts), each
 * counted as its stream is. Undefined when the text is not JSON or reports no
 * usage.
 */
export function usageOfAnswer(text: string): LlmUsage | undefined {
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch {
    return undefined;
  }
  // An array's objects read as one, the last of each member winning: as json-members.ts reads one too large to hold.
  if (Array.isArray(answer)) answer = Object.fromEntries(answer.filter(isFields).flatMap((chunk) => Object.entries(chunk)));
  if (!isFields(answer)) return undefined;
  if (answer["object"] === "response") return responsesUsage({ response: answer });
  if (answer["type"] === "message") {
    const counts = anthropicCounts({ type: "message_start", message: answer }, NO_ANTHROPIC_COUNTS);
    return counts === undefined ? undefined : anthropicUsage(counts);
  }
  if (answer["usageMetadata"] !== undefined) return geminiUsage(answer);
  return isFields(answer["usage"]) ? openAiAnswerUsage(answer["usage"]) : ollamaUsage(answer);
}

/**
 * An OpenAI answer's `usage`: `prompt_tokens`, and `completion_tokens` where
 * there is output (an embedding has none); or, as its image API counts them
 * (gpt-image: the prompt's text and images in, the image out), `input_tokens`
 * and `output_tokens`.
 */
function openAiAnswerUsage(usage: Fields): LlmUsage | undefined {
  const [inputKey, outputKey] = isCount(usage["prompt_tokens"]) ? ["prompt_tokens", "completion_tokens"] : ["input_tokens", "output_tokens"];
  const input = usage[inputKey];
  if (!isCount(input)) return undefined;
  const output = optionalCount(usage[outputKey], 0);
  return output === undefined ? undefined : { inputTokens: input, outputTokens: output };
}

/**
 * The usage an LLM stream reports, from its events as they are decoded: the
 * OpenAI chat completions shape (a chunk with `usage: {prompt_tokens,
 * completion_tokens}`), OpenAI's Responses API (the `response.completed`,
 * `.incomplete` or `.failed` event's `response.usage: {input_tokens,
 * output_tokens}`), the Anthropic one (`message_start`'s `message.usage`,
 * then `message_delta`'s cumulative `usage`; input is input + cache creation +
 * cache read tokens) and Gemini's (each chunk's `usageMetadata`). The last
 * report wins. A frame that is not JSON, or whose counts are not whole
 * non-negative numbers, reports nothing. An Anthropic or Responses frame is
 * read from an event of its own name (or an unnamed one), a chat completions
 * or Gemini chunk from an unnamed one.
 */
export function createUsageReader(): UsageReader {
  let usage: LlmUsage | undefined;
  let provisional = false;
  let anthropic = NO_ANTHROPIC_COUNTS;

  /** The usage a frame reports, and whether its output count is still to come. */
  const readFrame = (event: SseEvent, frame: Fields): { usage: LlmUsage; provisional: boolean } | undefined => {
    const type = frame["type"];
    if (type === "message_start" || type === "message_delta") {
      if (event.type !== type && event.type !== "message") return undefined;
      const counts = anthropicCounts(frame, anthropic);
      const reported = counts === undefined ? undefined : anthropicUsage(counts);
      if (counts === undefined || reported === undefined) return undefined;
      anthropic = counts;
      return { usage: reported, provisional: type === "message_start" };
    }
    if (typeof type === "string" && RESPONSE_ENDS.has(type)) {
      const reported = event.type === type || event.type === "message" ? responsesUsage(frame) : undefined;
      return reported === undefined ? undefined : { usage: reported, provisional: false };
    }
    if (event.type !== "message") return undefined;
    const openAi = openAiUsage(frame);
    if (openAi !== undefined) return { usage: openAi, provisional: false };
    const gemini = geminiUsage(frame);
    return gemini === undefined ? undefined : { usage: gemini, provisional: geminiOutputToCome(frame) };
  };

  const read = (event: SseEvent): boolean => {
    if (!MAY_CARRY_USAGE.test(event.data)) return false;
    let frame: unknown;
    try {
      frame = JSON.parse(event.data);
    } catch {
      return false;
    }
    const reported = isFields(frame) ? readFrame(event, frame) : undefined;
    if (reported === undefined) return false;
    ({ usage, provisional } = reported);
    return true;
  };

  return {
    get usage() {
      return usage;
    },
    get provisional() {
      return provisional;
    },
    read,
    readBytes(type, bytes, from, to) {
      if (!mayCarryUsage(bytes, from, to)) return false;
      // Decoded leniently, as a client's EventSource or SDK decodes an event (a byte that is not UTF-8 read as U+FFFD), so that usage a client reads is billed.
      return read({ type, data: bodyText(bytes.subarray(from, to)) });
    },
  };
}
