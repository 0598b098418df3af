import { describe, expect, it } from "vitest";
import { readBody } from "../../src/metering/body-reader.ts";
import { isJson, MAX_HELD_ANSWER_BYTES, readWholeAnswer } from "../../src/metering/whole-answer.ts";
import { answerNamed } from "../fixtures/llm-answers.ts";
import { utf8 } from "../fixtures/llm-streams.ts";

/** A body of these chunks, one per read (nothing pulled ahead of a read). */
const bodyOf = (chunks: readonly Uint8Array[]) => {
  let reads = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      const chunk = chunks[reads++];
      if (chunk === undefined) controller.close();
      else controller.enqueue(chunk);
    },
  }, { highWaterMark: 0 });
  return { reader: readBody(stream), reads: () => reads };
};

describe("isJson", () => {
  it.each([
    ["application/json", true],
    ["Application/JSON; charset=utf-8", true],
    ["application/problem+json", true],
    ["application/vnd.api+json", true],
    ["text/json", false],
    ["text/event-stream", false],
    ["application/jsonl", false],
    ["application/x-ndjson", false],
    [null, false],
  ] as const)("%s: %s", (type, json) => {
    expect(isJson(type)).toBe(json);
  });
});

describe("readWholeAnswer", () => {
  it("the first read is the whole answer, its usage known then", async () => {
    const answer = answerNamed("Gemini response with thoughts, not streamed");
    const body = utf8(answer.body);
    const { reader, reads } = bodyOf([body.slice(0, 7), body.slice(7, 300), body.slice(300)]);
    const whole = readWholeAnswer(reader);
    expect(whole.usage).toBeUndefined();
    const first = await whole.read();
    expect(first).toEqual({ done: false, value: body });
    expect(reads()).toBe(4);
    expect(whole.usage).toEqual(answer.usage);
    expect((await whole.read()).done).toBe(true);
  });

  it("a fetched body (a byte stream, read into buffers of its own) read on after its end is done again", async () => {
    const answer = answerNamed("OpenAI embedding");
    const whole = readWholeAnswer(readBody(new Response(answer.body).body as ReadableStream<Uint8Array>));
    expect(new TextDecoder().decode((await whole.read()).value)).toBe(answer.body);
    expect((await whole.read()).done).toBe(true);
    expect((await whole.read()).done).toBe(true);
    expect(whole.usage).toEqual(answer.usage);
  });

  it("an empty answer is done at once, with no usage", async () => {
    const whole = readWholeAnswer(bodyOf([]).reader);
    expect((await whole.read()).done).toBe(true);
    expect(whole.usage).toBeUndefined();
  });

  it("an answer that is not UTF-8 reports the usage a client's json() reads in it (U+FFFD for what is not), and passes unchanged", async () => {
    const body = Uint8Array.from([...utf8('{"usage":{"prompt_tokens":1,"completion_tokens":2},"x":"'), 0xc3, 0x28, ...utf8('"}')]);
    const whole = readWholeAnswer(bodyOf([body]).reader);
    expect((await whole.read()).value).toEqual(body);
    expect(whole.usage).toEqual({ inputTokens: 1, outputTokens: 2 });
  });

  it("past MAX_HELD_ANSWER_BYTES: what was read is handed on, then the rest a chunk behind the origin, the usage its end reports known with its last", async () => {
    const start = Uint8Array.from([...utf8('{"data":"'), ...new Uint8Array(MAX_HELD_ANSWER_BYTES - 9).fill(0x61)]);
    const end = utf8('","usage":{"prompt_tokens":7,"completion_tokens":0}}');
    const { reader, reads } = bodyOf([start, new Uint8Array(1).fill(0x62), new Uint8Array(5).fill(0x63), end]);
    const whole = readWholeAnswer(reader);
    expect((await whole.read()).value?.length).toBe(MAX_HELD_ANSWER_BYTES);
    expect(reads()).toBe(2);
    expect((await whole.read()).value).toEqual(new Uint8Array(1).fill(0x62));
    expect((await whole.read()).value).toEqual(new Uint8Array(5).fill(0x63));
    expect(whole.usage).toBeUndefined();
    expect((await whole.read()).value).toEqual(end);
    expect(reads()).toBe(5);
    expect(whole.usage).toEqual({ inputTokens: 7, outputTokens: 0 });
    expect((await whole.read()).done).toBe(true);
  });

  it("past MAX_HELD_ANSWER_BYTES: a usage that begins in what was handed on and ends in the chunk held is read whole", async () => {
    const end = utf8(',"usage":{"prompt_tokens":900000,"completion_tokens":0}}');
    const head = utf8('{"data":"');
    const length = MAX_HELD_ANSWER_BYTES + 24;
    const body = Uint8Array.from([...head, ...new Uint8Array(length - head.length - 1 - end.length).fill(0x61), 0x22, ...end]);
    // 4 KiB chunks: the limit is crossed by the last, 24 bytes, which holds only the usage's end.
    const chunks = Array.from({ length: Math.ceil(body.length / 4096) }, (_, i) => body.slice(i * 4096, (i + 1) * 4096));
    const whole = readWholeAnswer(bodyOf(chunks).reader);
    const passed: number[] = [];
    for (let next = await whole.read(); !next.done; next = await whole.read()) passed.push(next.value.length);
    expect(passed.reduce((sum, length) => sum + length, 0)).toBe(body.length);
    expect(whole.usage).toEqual({ inputTokens: 900000, outputTokens: 0 });
  });

  /** The usage read from `body` passed in 64 KiB chunks, once every byte has passed (checked). */
  async function usageReadWhole(body: Uint8Array) {
    const chunks = Array.from({ length: Math.ceil(body.length / 65_536) }, (_, i) => body.slice(i * 65_536, (i + 1) * 65_536));
    const whole = readWholeAnswer(bodyOf(chunks).reader);
    let passed = 0;
    for (let next = await whole.read(); !next.done; next = await whole.read()) passed += next.value.length;
    expect(passed).toBe(body.length);
    return whole.usage;
  }

  it("past MAX_HELD_ANSWER_BYTES: usage written far from the end (Ollama's /api/generate counts, then its logprobs) is read, and never a tool call's arguments after it", async () => {
    const logprobs = Array.from({ length: 20_000 }, (_, i) => `{"token":"w${i}","logprob":-0.5,"top_logprobs":[{"token":"x","logprob":-1.5}]}`).join(",");
    const body = utf8(`{"model":"m","response":"…","done":true,"prompt_eval_count":12,"eval_count":20000,"tool_calls":[{"function":{"name":"t","arguments":{"prompt_eval_count":1,"eval_count":1}}}],"logprobs":[${logprobs}]}`);
    expect(body.length).toBeGreaterThan(MAX_HELD_ANSWER_BYTES + 16 * 1024);
    expect(await usageReadWhole(body)).toEqual({ inputTokens: 12, outputTokens: 20000 });
  });

  it("past MAX_HELD_ANSWER_BYTES: Gemini's JSON array of chunks (streamGenerateContent without alt=sse) is billed by its last chunk's usage", async () => {
    const chunk = (i: number) => JSON.stringify({ candidates: [{ content: { parts: [{ text: "w".repeat(1000) }], role: "model" }, index: 0 }], usageMetadata: { promptTokenCount: 800_000, candidatesTokenCount: i * 250, totalTokenCount: 800_000 + i * 250 } });
    const body = utf8(`[${Array.from({ length: 1500 }, (_, i) => chunk(i + 1)).join(",\r\n")}]`);
    expect(body.length).toBeGreaterThan(MAX_HELD_ANSWER_BYTES + 16 * 1024);
    expect(await usageReadWhole(body)).toEqual({ inputTokens: 800_000, outputTokens: 375_000 });
  });

  it("a cancel while past MAX_HELD_ANSWER_BYTES drops what was held: nothing more is handed on", async () => {
    const { reader } = bodyOf([new Uint8Array(MAX_HELD_ANSWER_BYTES), new Uint8Array(10), new Uint8Array(10)]);
    const whole = readWholeAnswer(reader);
    await whole.read();
    await whole.cancel("gone");
    expect((await whole.read()).done).toBe(true);
  });

  it("one chunk past MAX_HELD_ANSWER_BYTES is handed on whole, once the origin ends", async () => {
    const { reader } = bodyOf([new Uint8Array(MAX_HELD_ANSWER_BYTES + 1)]);
    const whole = readWholeAnswer(reader);
    expect((await whole.read()).value?.length).toBe(MAX_HELD_ANSWER_BYTES + 1);
    expect((await whole.read()).done).toBe(true);
    expect(whole.usage).toBeUndefined();
  });
});
