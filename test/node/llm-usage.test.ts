import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createUsageReader } from "../../src/metering/index.ts";
import { usageOfAnswer } from "../../src/metering/llm-usage.ts";
import { eventsMayCarryUsageInBytes, eventsMayCarryUsageInText } from "../../src/metering/usage-key.ts";
import { llmAnswers } from "../fixtures/llm-answers.ts";
import { ANTHROPIC_OVERLOADED, cutAt, llmStreams, namedFrames, namesEvents, openAiFrames, readChunks, streamNamed, utf8, type LlmStream } from "../fixtures/llm-streams.ts";

/** The usage read from decoded events, once it is checked that reading the framer's bytes, and passing over events unread as meterStream does, give the same. */
function usageOf(text: string) {
  const { usage, usageFromBytes, usageSkipping } = readChunks([utf8(text)]);
  expect(usageFromBytes).toEqual(usage);
  expect(usageSkipping).toEqual(usage);
  return usage;
}

/**
 * The same events written as other servers may write them: any line ending,
 * each payload's JSON spread over several data lines (joined with LF, still
 * the same JSON), comments between lines and between events.
 */
function reframed(stream: LlmStream, lineEnd: string, spread: boolean, comments: boolean): string {
  const events = stream.payloads.map((payload) => ({ type: namesEvents(stream.api) ? (JSON.parse(payload) as { type: string }).type : undefined, payload }));
  if (stream.api === "openai") events.push({ type: undefined, payload: "[DONE]" });
  return events
    .map(({ type, payload }) => {
      const data = spread && payload !== "[DONE]" ? JSON.stringify(JSON.parse(payload), null, 1).split("\n") : [payload];
      const lines = [...(type === undefined ? [] : [`event: ${type}`]), ...data.map((line) => `data: ${line}`)];
      return (comments ? [": ping", ...lines.flatMap((line) => [line, ":"])] : lines).join(lineEnd) + lineEnd + lineEnd;
    })
    .join("");
}

describe("the usage reader, on recorded streams", () => {
  it.each(llmStreams.map((stream) => [stream.name, stream] as const))("%s", (_name, stream) => {
    expect(usageOf(stream.text)).toEqual(stream.usage);
  });

  it("the same usage split at every byte boundary (streams under 20 kB; inside UTF-8 sequences and CRLF in the CRLF forms)", () => {
    for (const stream of llmStreams.filter((s) => s.text.length < 20_000)) {
      for (const text of [stream.text, reframed(stream, "\r\n", true, true)]) {
        const bytes = utf8(text);
        for (let cut = 0; cut <= bytes.length; cut++) {
          const read = readChunks(cutAt(bytes, [cut]));
          expect(read.usage, `${stream.name} cut at ${cut}`).toEqual(stream.usage);
          expect(read.usageFromBytes, `${stream.name} cut at ${cut}, read as bytes`).toEqual(stream.usage);
          expect(read.usageSkipping, `${stream.name} cut at ${cut}, events passed over`).toEqual(stream.usage);
        }
      }
    }
  });

  it("the same usage whatever the framing and however the bytes are cut (fast-check)", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...llmStreams),
        fc.constantFrom("\n", "\r", "\r\n"),
        fc.boolean(),
        fc.boolean(),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 60 }),
        (stream, lineEnd, spread, comments, fractions) => {
          const bytes = utf8(reframed(stream, lineEnd, spread, comments));
          const read = readChunks(cutAt(bytes, fractions.map((f) => Math.floor(f * bytes.length))));
          expect(read.usage).toEqual(stream.usage);
          expect(read.usageFromBytes).toEqual(stream.usage);
          expect(read.usageSkipping).toEqual(stream.usage);
        },
      ),
      { numRuns: 1500 },
    );
  });

  it("an Anthropic stream the API ends with an error event (after ping) has the usage message_start reported", () => {
    const start = streamNamed("Anthropic message, claude");
    expect(usageOf(namedFrames(start.payloads.slice(0, 5)) + ANTHROPIC_OVERLOADED)).toEqual({ inputTokens: 12, outputTokens: 1 });
  });

  it("an OpenAI stream cut off before its usage chunk has none", () => {
    const stream = streamNamed("OpenAI chat completion through Azure");
    expect(usageOf(openAiFrames(stream.payloads.slice(0, -1)))).toBeUndefined();
    expect(usageOf(openAiFrames(stream.payloads).slice(0, -"data: [DONE]\n\n".length - 2))).toBeUndefined();
  });
});

const openAi = (usage: string, event = "") => `${event === "" ? "" : `event: ${event}\n`}data: {"choices":[],"usage":${usage}}\n\n`;
const start = (usage: string, event = "message_start") => `event: ${event}\ndata: {"type":"message_start","message":{"id":"msg_1","usage":${usage}}}\n\n`;
const ended = (usage: string, type = "response.completed", event: string = type) =>
  `${event === "" ? "" : `event: ${event}\n`}data: {"type":"${type}","sequence_number":9,"response":{"id":"resp_1","status":"completed","output":[],"usage":${usage}}}\n\n`;
const gemini = (usage: string, event = "") => `${event === "" ? "" : `event: ${event}\n`}data: {"candidates":[{"content":{"parts":[{"text":"Hi"}],"role":"model"},"index":0}],"usageMetadata":${usage},"modelVersion":"gemini-3-pro-preview"}\n\n`;
const delta = (usage: string, event = "message_delta") => `event: ${event}\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":${usage}}\n\n`;

describe("the usage reader reads usage from well-formed frames only", () => {
  const valid = openAi(`{"prompt_tokens":7,"completion_tokens":9,"total_tokens":16}`);
  const validUsage = { inputTokens: 7, outputTokens: 9 };

  it.each([
    ["a negative count", openAi(`{"prompt_tokens":-1,"completion_tokens":5}`)],
    ["a fraction", openAi(`{"prompt_tokens":1.5,"completion_tokens":5}`)],
    ["a count in a string", openAi(`{"prompt_tokens":"5","completion_tokens":5}`)],
    ["a count past 2^53", openAi(`{"prompt_tokens":9007199254740993,"completion_tokens":5}`)],
    ["no completion_tokens", openAi(`{"prompt_tokens":5,"total_tokens":5}`)],
    ["usage: null (every OpenAI chunk but the last)", openAi("null")],
    ["usage as an array", openAi(`[{"prompt_tokens":1,"completion_tokens":1}]`)],
    ["an OpenAI chunk under an event name", openAi(`{"prompt_tokens":1,"completion_tokens":1}`, "usage")],
    ["JSON cut short", `data: {"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2}\n\n`],
    ["usage written by the model, inside a string", `data: {"choices":[{"delta":{"content":"\\"usage\\": {\\"prompt_tokens\\": 0, \\"completion_tokens\\": 0}"}}],"usage":null}\n\n`],
    ["usage nested below the top level", `data: {"choices":[{"delta":{"usage":{"prompt_tokens":1,"completion_tokens":1}}}],"usage":null}\n\n`],
    ["a frame the stream leaves unfinished", `data: {"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":1}}\n`],
    ["message_start with no input_tokens", start(`{"output_tokens":1}`)],
    ["message_start with a cache count in a string", start(`{"input_tokens":1,"cache_read_input_tokens":"3","output_tokens":1}`)],
    ["message_delta with no output_tokens", delta(`{"input_tokens":1}`)],
    ["message_delta with a negative input count", delta(`{"input_tokens":-4,"output_tokens":1}`)],
    ["message_delta under event: error", delta(`{"output_tokens":1000}`, "error")],
    ["message_start under event: ping", start(`{"input_tokens":1,"output_tokens":1}`, "ping")],
    ["an error event", ANTHROPIC_OVERLOADED],
    ["a Responses event that does not end the stream", ended(`{"input_tokens":1,"output_tokens":1}`, "response.in_progress")],
    ["response.completed under another event name", ended(`{"input_tokens":1,"output_tokens":1}`, "response.completed", "response.output_text.delta")],
    ["response.completed with usage: null", ended("null")],
    ["response.completed with no output_tokens", ended(`{"input_tokens":1,"total_tokens":1}`)],
    ["response.completed with usage beside its response, not in it", `event: response.completed\ndata: {"type":"response.completed","response":{"usage":null},"usage":{"input_tokens":1,"output_tokens":1}}\n\n`],
    ["Gemini's usageMetadata with no promptTokenCount", gemini(`{"candidatesTokenCount":3,"totalTokenCount":3}`)],
    ["Gemini's usageMetadata with a thoughts count in a string", gemini(`{"promptTokenCount":1,"candidatesTokenCount":3,"thoughtsTokenCount":"9"}`)],
    ["Gemini's usageMetadata with a negative candidates count", gemini(`{"promptTokenCount":1,"candidatesTokenCount":-3}`)],
    ["a Gemini chunk under an event name", gemini(`{"promptTokenCount":1,"candidatesTokenCount":1}`, "usage")],
    ["usageMetadata nested below the top level", `data: {"candidates":[{"usageMetadata":{"promptTokenCount":1,"candidatesTokenCount":1}}]}\n\n`],
    ["input parts adding up past 2^53", start(`{"input_tokens":9007199254740991,"cache_read_input_tokens":1,"output_tokens":1}`)],
  ])("not: %s", (_name, frame) => {
    expect(usageOf(frame)).toBeUndefined();
    expect(usageOf(valid + frame)).toEqual(validUsage);
  });
});

describe("the usage reader: the last report wins", () => {
  it("a later OpenAI usage chunk replaces an earlier one", () => {
    expect(usageOf(openAi(`{"prompt_tokens":1,"completion_tokens":2}`) + openAi(`{"prompt_tokens":3,"completion_tokens":4}`))).toEqual({ inputTokens: 3, outputTokens: 4 });
  });

  it("Anthropic: input is input + cache creation + cache read; message_delta's output is cumulative and its null or absent parts keep message_start's", () => {
    const begun = start(`{"input_tokens":10,"cache_creation_input_tokens":100,"cache_read_input_tokens":1000,"output_tokens":1}`);
    expect(usageOf(begun)).toEqual({ inputTokens: 1110, outputTokens: 1 });
    expect(usageOf(begun + delta(`{"output_tokens":15}`) + delta(`{"output_tokens":40,"input_tokens":null,"cache_read_input_tokens":null}`))).toEqual({ inputTokens: 1110, outputTokens: 40 });
    expect(usageOf(begun + delta(`{"output_tokens":15,"input_tokens":12,"cache_read_input_tokens":0}`))).toEqual({ inputTokens: 112, outputTokens: 15 });
  });

  it("Anthropic frames in unnamed events (a proxy that drops event names) are read too", () => {
    const unnamed = (text: string) => text.replace(/^event: .*\n/gm, "");
    expect(usageOf(unnamed(streamNamed("Anthropic message, claude").text))).toEqual({ inputTokens: 12, outputTokens: 30 });
  });

  it("Responses API: the response's usage from the event that ends the stream, completed, incomplete or failed, named or not", () => {
    const usage = `{"input_tokens":5000,"input_tokens_details":{"cached_tokens":4000},"output_tokens":300,"output_tokens_details":{"reasoning_tokens":256},"total_tokens":5300}`;
    for (const type of ["response.completed", "response.incomplete", "response.failed"]) {
      expect(usageOf(ended(usage, type)), type).toEqual({ inputTokens: 5000, outputTokens: 300 });
      expect(usageOf(ended(usage, type, "")), `${type}, unnamed`).toEqual({ inputTokens: 5000, outputTokens: 300 });
    }
  });

  it("a Responses stream cut off before the event that ends it has none; one that fails before any token (usage null) has none", () => {
    const stream = streamNamed("OpenAI response through the Responses API");
    expect(usageOf(namedFrames(stream.payloads.slice(0, -1)))).toBeUndefined();
    expect(usageOf(streamNamed("OpenAI response that fails before any output").text)).toBeUndefined();
  });

  it("Gemini: input is the prompt's and the tool-use prompt's tokens, output the candidates' and the thoughts'; absent counts are none; each chunk's counts replace the last", () => {
    expect(usageOf(gemini(`{"promptTokenCount":9,"candidatesTokenCount":5,"totalTokenCount":199,"thoughtsTokenCount":185}`))).toEqual({ inputTokens: 9, outputTokens: 190 });
    expect(usageOf(gemini(`{"promptTokenCount":40,"cachedContentTokenCount":30,"toolUsePromptTokenCount":7,"candidatesTokenCount":2}`))).toEqual({ inputTokens: 47, outputTokens: 2 });
    expect(usageOf(gemini(`{"promptTokenCount":9}`) + gemini(`{"promptTokenCount":9,"candidatesTokenCount":12}`))).toEqual({ inputTokens: 9, outputTokens: 12 });
  });

  it("Gemini: a chunk counting the prompt alone (candidatesTokenCount left out, as Gemini may stream) leaves the output to come, until one counts it", () => {
    const reader = createUsageReader();
    const chunk = (usage: string) => ({ type: "message", data: `{"candidates":[{"content":{"parts":[{"text":"Hi"}]}}],"usageMetadata":${usage}}` });
    reader.read(chunk(`{"promptTokenCount":9,"totalTokenCount":9}`));
    expect([reader.usage, reader.provisional]).toEqual([{ inputTokens: 9, outputTokens: 0 }, true]);
    reader.read(chunk(`{"promptTokenCount":9,"candidatesTokenCount":12,"totalTokenCount":21}`));
    expect([reader.usage, reader.provisional]).toEqual([{ inputTokens: 9, outputTokens: 12 }, false]);
    // Thoughts counted, the candidates not yet (or null): the answer's text is still to be counted; so too beside an OpenAI `usage` that is not one.
    reader.read(chunk(`{"promptTokenCount":9,"thoughtsTokenCount":40}`));
    expect(reader.provisional).toBe(true);
    reader.read(chunk(`{"promptTokenCount":9,"candidatesTokenCount":null}`));
    expect(reader.provisional).toBe(true);
    reader.read({ type: "message", data: `{"usage":{},"usageMetadata":{"promptTokenCount":9}}` });
    expect([reader.usage, reader.provisional]).toEqual([{ inputTokens: 9, outputTokens: 0 }, true]);
    // A chunk that ends the answer has counted all there is, though it counts no candidates (a safety stop, a blocked prompt).
    const ending = [
      `{"candidates":[{"content":{"parts":[]},"finishReason":"SAFETY"}],"usageMetadata":{"promptTokenCount":9,"totalTokenCount":9}}`,
      `{"promptFeedback":{"blockReason":"SAFETY"},"usageMetadata":{"promptTokenCount":9,"totalTokenCount":9}}`,
    ];
    for (const data of ending) {
      reader.read(chunk(`{"promptTokenCount":9}`));
      reader.read({ type: "message", data });
      expect([data, reader.usage, reader.provisional]).toEqual([data, { inputTokens: 9, outputTokens: 0 }, false]);
    }
  });

  it("a second message_start starts over", () => {
    expect(usageOf(start(`{"input_tokens":10,"cache_read_input_tokens":5,"output_tokens":1}`) + start(`{"input_tokens":3,"output_tokens":1}`))).toEqual({ inputTokens: 3, outputTokens: 1 });
  });
});

describe("the usage reader, reading an event's data as bytes (meterStream's way)", () => {
  const whitespace = fc.constantFrom("", " ", "\t", "\n", "\r\n", "  \n ");
  const count = fc.integer({ min: 0, max: 2 ** 40 });
  /** An OpenAI or Gemini chunk whose keys and values are spaced any way JSON allows, with text the model wrote (which may quote usage itself). */
  const chunk = fc
    .record({
      written: fc.oneof(fc.string({ unit: "grapheme" }), fc.constantFrom(`"usage": {"prompt_tokens": 1, "completion_tokens": 2}`, `"usage"`, "usage {", `"usageMetadata": {"promptTokenCount": 1}`, `"usage"usage"`, "\u00a0\u2028\ufeff")),
      key: fc.constantFrom("usage", "usageMetadata"),
      usage: fc.oneof(
        fc.constant("null"),
        fc.tuple(count, count).map(([input, output]) => `{"prompt_tokens":${input},"completion_tokens":${output}}`),
        fc.tuple(count, count, count).map(([prompt, candidates, thoughts]) => `{"promptTokenCount":${prompt},"candidatesTokenCount":${candidates},"thoughtsTokenCount":${thoughts}}`),
      ),
      spaces: fc.tuple(whitespace, whitespace, whitespace, whitespace),
    })
    .map(({ written, key, usage, spaces: [a, b, c, d] }) => `{"choices":[{"delta":{"content":${JSON.stringify(written)}}}]${a},${b}"${key}"${c}:${d}${usage}}`);

  it("reports what reading the decoded text reports, for any chunk under any event type (fast-check)", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom("message", "message_delta", "usage"), chunk), { minLength: 1, maxLength: 5 }), (events) => {
        const text = createUsageReader();
        const bytes = createUsageReader();
        // Each event's bytes lie amid others, as they do in a chunk.
        for (const [type, data] of events) {
          const encoded = utf8(data);
          const amid = Uint8Array.from([...utf8('{"usage":{'), ...encoded, ...utf8('"usage":{')]);
          expect(bytes.readBytes(type, amid, 10, 10 + encoded.length)).toBe(text.read({ type, data }));
        }
        expect(bytes.usage).toEqual(text.usage);
      }),
      { numRuns: 3000 },
    );
  });

  it("data with a byte that is not UTF-8 reports the usage a client's decoder reads in it (U+FFFD for that byte)", () => {
    const reader = createUsageReader();
    const frame = utf8(`{"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2},"note":"x"}`);
    const spoiled = Uint8Array.from([...frame.subarray(0, -3), 0xc3, 0x28, ...frame.subarray(-3)]);
    // The precondition: a client's decoder and JSON.parse read the usage in it.
    expect(JSON.parse(new TextDecoder().decode(spoiled))).toMatchObject({ usage: { completion_tokens: 2 } });
    expect(reader.readBytes("message", spoiled, 0, spoiled.length)).toBe(true);
    expect(reader.usage).toEqual({ inputTokens: 1, outputTokens: 2 });
  });
});

describe("the usage of a whole answer (not streamed)", () => {
  it.each(llmAnswers.map((answer) => [answer.name, answer] as const))("%s", (_name, answer) => {
    expect(usageOfAnswer(answer.body)).toEqual(answer.usage);
  });

  it.each([
    ["not JSON", `{"usage":{"prompt_tokens":1,"completion_tokens":2}`],
    ["JSON but not an object", `"usage"`],
    ["an array with no object in it", `[1,[{"usage":{"prompt_tokens":1,"completion_tokens":2}}]]`],
    ["no usage", `{"object":"chat.completion","choices":[]}`],
    ["usage: null", `{"object":"chat.completion","usage":null}`],
    ["no prompt_tokens", `{"object":"chat.completion","usage":{"completion_tokens":2}}`],
    ["a negative completion count", `{"object":"chat.completion","usage":{"prompt_tokens":1,"completion_tokens":-2}}`],
    ["a response whose usage is null", `{"object":"response","status":"failed","usage":null}`],
    ["a response counted as chat (prompt_tokens)", `{"object":"response","usage":{"prompt_tokens":1,"completion_tokens":2}}`],
    ["an Anthropic message without input_tokens", `{"type":"message","usage":{"output_tokens":2}}`],
    ["Gemini's usageMetadata without promptTokenCount", `{"candidates":[],"usageMetadata":{"candidatesTokenCount":2}}`],
  ])("none: %s", (_name, body) => {
    expect(usageOfAnswer(body)).toBeUndefined();
  });

  it("OpenAI's image API counts input_tokens (the prompt's text and images) and output_tokens (the image); a usage with neither naming reports none", () => {
    const image = `{"created":1713833628,"data":[{"b64_json":"QUJD"}],"usage":{"total_tokens":1100,"input_tokens":100,"input_tokens_details":{"image_tokens":50,"text_tokens":50},"output_tokens":1000}}`;
    expect(usageOfAnswer(image)).toEqual({ inputTokens: 100, outputTokens: 1000 });
    expect(usageOfAnswer(`{"data":[],"usage":{"input_tokens":"100","output_tokens":1000}}`)).toBeUndefined();
    expect(usageOfAnswer(`{"data":[],"usage":{"input_tokens":100,"output_tokens":-1}}`)).toBeUndefined();
    // prompt_tokens names the chat counts: input_tokens beside them is not read.
    expect(usageOfAnswer(`{"usage":{"prompt_tokens":3,"completion_tokens":4,"input_tokens":100,"output_tokens":1000}}`)).toEqual({ inputTokens: 3, outputTokens: 4 });
  });

  it("an Anthropic message counts its cache tokens as input", () => {
    expect(usageOfAnswer(`{"type":"message","usage":{"input_tokens":3,"cache_creation_input_tokens":100,"cache_read_input_tokens":1000,"output_tokens":7}}`)).toEqual({ inputTokens: 1103, outputTokens: 7 });
  });
});

describe("whole events passed over unread (meterStream's way)", () => {
  const MAY_CARRY_USAGE = /"usage(?:Metadata)?"\s*:\s*\{/;
  const lineEnd = fc.constantFrom("\n", "\r", "\r\n");
  const spacing = fc.constantFrom("", " ", "\t", "\n", "\r\n", " \n\t", "\u00a0", "\u2028");
  const count = fc.integer({ min: 0, max: 1000 });
  /** A chunk with or without usage, its key and colon spaced any way (line ends among them), amid text that may quote a key. */
  const payload = fc
    .record({
      written: fc.oneof(fc.string({ unit: "grapheme", maxLength: 8 }), fc.constantFrom(`"usage"`, `"usage":{`, `"usageMetadata"`, "usage")),
      key: fc.constantFrom("usage", "usageMetadata", "usag", "Usage"),
      usage: fc.oneof(fc.constant("null"), fc.tuple(count, count).map(([input, output]) => `{"prompt_tokens":${input},"completion_tokens":${output}}`)),
      spaces: fc.tuple(spacing, spacing),
    })
    .map(({ written, key, usage, spaces: [a, b] }) => `{"choices":[{"delta":{"content":${JSON.stringify(written)}}}],"${key}"${a}:${b}${usage}}`);
  /** An event: its data split into data lines at its line ends and at any other places (right after a key among them), with an event name or comments around. */
  const event = fc
    .record({ data: payload, cuts: fc.array(fc.nat(200), { maxLength: 3 }), name: fc.constantFrom("", "message", "message_delta"), comment: fc.boolean(), end: lineEnd })
    .map(({ data, cuts, name, comment, end }) => {
      let text = data;
      for (const cut of [...new Set(cuts)].sort((a, b) => b - a)) if (cut < text.length) text = `${text.slice(0, cut)}\n${text.slice(cut)}`;
      const lines = text.split(/\r\n|\n|\r/).map((line) => `data: ${line}`);
      return [...(name === "" ? [] : [`event: ${name}`]), ...(comment ? [": ping"] : []), ...lines].join(end) + end + end;
    });

  it("are only those that cannot report usage: the same usage however the stream is cut, and whole events that may are never passed over (fast-check)", () => {
    fc.assert(
      fc.property(fc.array(event, { minLength: 1, maxLength: 6 }), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 }), (events, fractions) => {
        const bytes = utf8(events.join(""));
        const read = readChunks(cutAt(bytes, fractions.map((f) => Math.floor(f * bytes.length))));
        expect(read.usageSkipping).toEqual(read.usage);
        if (read.events.some((decoded) => MAY_CARRY_USAGE.test(decoded.data))) {
          expect(eventsMayCarryUsageInBytes(bytes, 0, bytes.length)).toBe(true);
          expect(eventsMayCarryUsageInText(bytes, 0, bytes.length)).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it("a data line that ends right after the key, its colon or its brace in the next, is read", () => {
    for (const split of [`"usage"\ndata: :{`, `"usage":\ndata: {`, `"usage" \r\ndata:  : {`]) {
      const text = `data: {"choices":[],${split}"prompt_tokens":2,"completion_tokens":3}}\n\n`;
      expect(eventsMayCarryUsageInBytes(utf8(text), 0, text.length), split).toBe(true);
      expect(eventsMayCarryUsageInText(utf8(text), 0, text.length), split).toBe(true);
      expect(usageOf(text)).toEqual({ inputTokens: 2, outputTokens: 3 });
    }
  });

  it("events with `\"usage\":null` are passed over, and the one with usage read: most of a recorded OpenAI stream in two chunks is never framed (all but its first event, which may start with a byte order mark)", () => {
    const stream = streamNamed("OpenAI chat completion through Azure");
    const bytes = utf8(stream.text);
    const firstEventEnd = stream.text.indexOf("\n\n") + 2;
    const lastEvent = stream.text.lastIndexOf("data: {");
    const read = readChunks(cutAt(bytes, [lastEvent]));
    expect(read.usageSkipping).toEqual(stream.usage);
    expect(read.skipped).toBe(lastEvent - firstEventEnd);
    expect(eventsMayCarryUsageInBytes(bytes, 0, lastEvent)).toBe(false);
    expect(eventsMayCarryUsageInText(bytes, 0, lastEvent)).toBe(false);
  });
});
