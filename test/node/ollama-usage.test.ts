import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { LlmUsage } from "../../src/metering/index.ts";
import { usageOfAnswer } from "../../src/metering/llm-usage.ts";
import { createNdjsonFramer } from "../../src/metering/ndjson-framer.ts";
import { usageOfOllamaLine } from "../../src/metering/ollama-usage.ts";
import { cutAt, utf8 } from "../fixtures/llm-streams.ts";
import { ndjson, ollamaAnswers, ollamaStreamNamed, ollamaStreams } from "../fixtures/ollama-recordings.ts";

/** The usage meterStream reads from an NDJSON body cut into these chunks: each whole line the framer hands on, the last report winning. */
function usageOfChunks(chunks: readonly Uint8Array[]): LlmUsage | undefined {
  const framer = createNdjsonFramer();
  let usage: LlmUsage | undefined;
  for (const chunk of chunks) framer.push(chunk, (bytes, from, to) => void (usage = usageOfOllamaLine(bytes, from, to) ?? usage));
  return usage;
}

const usageOf = (text: string): LlmUsage | undefined => usageOfChunks([utf8(text)]);

describe("Ollama's usage, on recorded streams", () => {
  it.each(ollamaStreams.map((stream) => [stream.name, stream] as const))("%s", (_name, stream) => {
    expect(usageOf(stream.text)).toEqual(stream.usage);
  });

  it("the same usage split at every byte boundary (in CRLF form too)", () => {
    for (const stream of ollamaStreams) {
      for (const text of [stream.text, stream.text.replaceAll("\n", "\r\n")]) {
        const bytes = utf8(text);
        for (let cut = 0; cut <= bytes.length; cut++) expect(usageOfChunks(cutAt(bytes, [cut])), `${stream.name} cut at ${cut}`).toEqual(stream.usage);
      }
    }
  });

  it("the same usage however the bytes are cut, each line's JSON spaced any way (fast-check)", () => {
    fc.assert(
      fc.property(fc.constantFrom(...ollamaStreams), fc.boolean(), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 60 }), (stream, spaced, fractions) => {
        const lines = spaced ? stream.lines.map((line) => JSON.stringify(JSON.parse(line), null, 0).replaceAll('":', '" : ').replaceAll(',"', ' , "')) : stream.lines;
        const bytes = utf8(ndjson(lines));
        expect(usageOfChunks(cutAt(bytes, fractions.map((f) => Math.floor(f * bytes.length))))).toEqual(stream.usage);
      }),
      { numRuns: 1500 },
    );
  });

  it("a stream cut off before its last line has none; its last line unfinished has none", () => {
    const stream = ollamaStreamNamed("Ollama /api/chat stream");
    expect(usageOf(ndjson(stream.lines.slice(0, -1)))).toBeUndefined();
    expect(usageOf(stream.text.slice(0, -1))).toBeUndefined();
  });

  it("a count Ollama leaves out (it omits a 0) is none of that kind; the last report wins", () => {
    expect(usageOf(`{"done":true,"eval_count":12}\n`)).toEqual({ inputTokens: 0, outputTokens: 12 });
    expect(usageOf(`{"done":true,"prompt_eval_count":7}\n`)).toEqual({ inputTokens: 7, outputTokens: 0 });
    expect(usageOf(`{"done":true,"prompt_eval_count":1,"eval_count":2}\n{"done":true,"prompt_eval_count":3,"eval_count":4}\n`)).toEqual({ inputTokens: 3, outputTokens: 4 });
  });

  it.each([
    ["no counts at all (a load request's answer)", `{"model":"m","created_at":"2025-01-01T00:00:00Z","response":"","done":true,"done_reason":"load"}`],
    ["a negative count", `{"done":true,"prompt_eval_count":-1,"eval_count":5}`],
    ["a fraction", `{"done":true,"prompt_eval_count":1,"eval_count":2.5}`],
    ["a count in a string", `{"done":true,"prompt_eval_count":"5","eval_count":5}`],
    ["a count past 2^53", `{"done":true,"prompt_eval_count":9007199254740993,"eval_count":5}`],
    ["counts written by the model, inside a string", `{"message":{"role":"assistant","content":"\\"prompt_eval_count\\":0,\\"eval_count\\":0"},"done":false}`],
    ["counts nested below the top level (a tool call's arguments)", `{"message":{"role":"assistant","tool_calls":[{"function":{"name":"f","arguments":{"prompt_eval_count":0,"eval_count":0}}}]},"done":false}`],
    ["JSON cut short", `{"done":true,"prompt_eval_count":1,"eval_count":2`],
    ["not an object", `[{"prompt_eval_count":1,"eval_count":2}]`],
    ["Ollama's error line", `{"error":"an error was encountered while running the model"}`],
  ])("not: %s", (_name, line) => {
    const valid = `{"done":true,"prompt_eval_count":7,"eval_count":9}\n`;
    expect(usageOf(`${line}\n`)).toBeUndefined();
    expect(usageOf(valid + `${line}\n`)).toEqual({ inputTokens: 7, outputTokens: 9 });
  });

  it("a line with a byte that is not UTF-8 reports the usage a client's decoder reads in it (U+FFFD for that byte)", () => {
    const line = utf8(`{"message":{"content":"x"},"done":true,"prompt_eval_count":3,"eval_count":4}\n`);
    const spoiled = Uint8Array.from([...line.subarray(0, 24), 0xc3, 0x28, ...line.subarray(24)]);
    expect(JSON.parse(new TextDecoder().decode(spoiled))).toMatchObject({ eval_count: 4 });
    expect(usageOfChunks([spoiled])).toEqual({ inputTokens: 3, outputTokens: 4 });
  });
});

describe("Ollama's usage, in a whole answer (not streamed)", () => {
  it.each(ollamaAnswers.map((answer) => [answer.name, answer] as const))("%s", (_name, answer) => {
    expect(usageOfAnswer(answer.body)).toEqual(answer.usage);
  });

  it("an /api/embed answer: its prompt_eval_count as input, no output", () => {
    // EmbedResponse (api/types.go): model, embeddings, then the durations and prompt_eval_count.
    const embed = `{"model":"all-minilm","embeddings":[[0.010071029,-0.0017594862,0.05007221],[-0.0098695239,0.008355078,0.0023809243]],"total_duration":14143917,"load_duration":1019500,"prompt_eval_count":8}`;
    expect(usageOfAnswer(embed)).toEqual({ inputTokens: 8, outputTokens: 0 });
  });

  it.each([
    ["no counts (a load request's answer)", `{"model":"m","response":"","done":true,"done_reason":"load"}`],
    ["a count in a string", `{"done":true,"prompt_eval_count":"5","eval_count":5}`],
    ["counts only in a tool call's arguments", `{"message":{"tool_calls":[{"function":{"arguments":{"prompt_eval_count":1,"eval_count":1}}}]},"done":true}`],
  ])("none: %s", (_name, body) => {
    expect(usageOfAnswer(body)).toBeUndefined();
  });
});
