import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createUsageReader, meterStream, type LlmUsage, type StreamPrices } from "../../src/metering/index.ts";
import { MAX_READ_BYTES, readBuffersGrownBytes } from "../../src/metering/body-reader.ts";
import { oversizedUsageEvent } from "../../src/metering/llm-usage.ts";
import { createSseFramer, MAX_EVENT_BYTES, type SsePosition } from "../../src/metering/sse-decoder.ts";
import { bytesCovered, streamCost, tokensCost } from "../../src/metering/stream-prices.ts";
import { cutAt, llmStreams, utf8 } from "../fixtures/llm-streams.ts";
import { EXHAUSTED_EVENT, meterStreamContract, originBody, readAll, recordingHooks } from "../fixtures/meter-stream-contract.ts";

/** The metered body in Node's web streams (test/workerd/meter-stream.test.ts runs the same contract inside workerd). */
describe("meterStream in Node", () => meterStreamContract());

describe("meterStream reading a byte stream (as a fetched body is)", () => {
  /** An origin's byte stream of `mib` MiB in one chunk, then its end or an error. */
  const byteOrigin = (mib: number, end: "close" | Error) => {
    let sent = false;
    return new ReadableStream({
      type: "bytes",
      pull(controller: ReadableByteStreamController) {
        if (!sent) {
          sent = true;
          controller.enqueue(new Uint8Array(mib * MAX_READ_BYTES).fill(5));
        } else if (end === "close") {
          controller.close();
          controller.byobRequest?.respond(0);
        } else controller.error(end);
      },
    });
  };

  it("its read buffer grows to MAX_READ_BYTES, and gives its share of the isolate's budget back however the body ends", async () => {
    const perKib: StreamPrices = { perKibMsat: 1n };
    const largest = (chunks: readonly Uint8Array[]) => Math.max(...chunks.map((chunk) => chunk.length));
    const complete = recordingHooks();
    const passed = await readAll(meterStream(byteOrigin(4, "close"), null, perKib, 10n ** 9n, complete.hooks));
    expect(largest(passed.chunks)).toBe(MAX_READ_BYTES);
    expect(readBuffersGrownBytes()).toBe(0);
    const origin = new Error("origin reset");
    const errored = recordingHooks();
    expect((await readAll(meterStream(byteOrigin(4, origin), null, perKib, 10n ** 9n, errored.hooks))).error).toBe(origin);
    expect(readBuffersGrownBytes()).toBe(0);
    const exhausted = recordingHooks([undefined]);
    const cut = await readAll(meterStream(byteOrigin(4, "close"), null, perKib, 2048n, exhausted.hooks));
    expect(largest(cut.chunks)).toBe(MAX_READ_BYTES);
    expect(readBuffersGrownBytes()).toBe(0);
    const cancelled = recordingHooks();
    const reader = meterStream(byteOrigin(4, "close"), null, perKib, 10n ** 9n, cancelled.hooks).getReader();
    for (let i = 0; i < 5; i++) await reader.read();
    expect(readBuffersGrownBytes()).toBeGreaterThan(0);
    await reader.cancel("client gone");
    expect([complete, errored, exhausted, cancelled].map(({ settled }) => settled[0]?.ended)).toEqual(["complete", "errored", "exhausted", "cancelled"]);
    expect(readBuffersGrownBytes()).toBe(0);
  });
});

const CLOSE_FROM: Record<SsePosition, string> = { "between-events": "", "in-event": "\r\n", "in-line": "\r\n\r\n" };

/** Bytes as text, one character a byte, for a readable difference. */
const latin1 = (bytes: Uint8Array): string => new TextDecoder("latin1").decode(bytes);

const join = (parts: readonly Uint8Array[]): Uint8Array => {
  const all = new Uint8Array(parts.reduce((length, part) => length + part.length, 0));
  parts.reduce((at, part) => (all.set(part, at), at + part.length), 0);
  return all;
};

/** What meterStream passes and settles, its rule applied with every event framed (none passed over): the reference. */
function framingEvery(chunks: readonly Uint8Array[], prices: StreamPrices, initialLease: bigint, leases: readonly (bigint | undefined)[]) {
  const framer = createSseFramer(true, oversizedUsageEvent);
  const reader = createUsageReader();
  let leased = initialLease;
  let bytes = 0;
  let asked = 0;
  const passed: Uint8Array[] = [];
  const outcome = (ended: string) => ({ passed: join(passed), settled: [{ costMsat: streamCost(prices, bytes, reader.usage), bytes, usage: reader.usage, provisional: reader.provisional, ended }] });
  for (const chunk of chunks) {
    const closing = CLOSE_FROM[framer.position];
    const ends: { end: number; usage: LlmUsage | undefined }[] = [];
    framer.push(chunk, (type, data, from, to, end) => {
      reader.readBytes(type, data, from, to);
      ends.push({ end, usage: reader.usage });
    });
    const covers = (usage: LlmUsage | undefined) => bytesCovered(prices, leased - tokensCost(prices, usage));
    if (bytes + chunk.length > covers(reader.usage)) {
      const granted = leases[asked++];
      if (granted !== undefined && granted > leased) leased = granted;
      if (bytes + chunk.length > covers(reader.usage)) {
        const cut = ends.findLast(({ end, usage }) => bytes + end <= covers(usage))?.end ?? 0;
        passed.push(chunk.subarray(0, cut), utf8((cut > 0 ? "" : closing) + EXHAUSTED_EVENT));
        bytes += cut;
        return outcome("exhausted");
      }
    }
    bytes += chunk.length;
    passed.push(chunk);
  }
  return outcome("complete");
}

/** meterStream's body (as text, a character a byte) and settlement, beside the reference's. */
async function besideFramingEvery(chunks: readonly Uint8Array[], prices: StreamPrices, initialLease: bigint, leases: readonly (bigint | undefined)[]) {
  const reference = framingEvery(chunks, prices, initialLease, leases);
  const { hooks, settled } = recordingHooks(leases);
  const { chunks: passed } = await readAll(meterStream(originBody(chunks).stream, "text/event-stream", prices, initialLease, hooks));
  return { passed: latin1(join(passed)), settled, expected: { passed: latin1(reference.passed), settled: reference.settled } };
}

describe("meterStream passing whole events over unread", () => {
  const count = fc.integer({ min: 0, max: 5000 });
  /** Chunks without usage (most of them, so that whole events are passed over), OpenAI, Gemini, Anthropic and Responses chunks with usage (its key spaced any way), and data that only looks like it may carry some (a byte 0x01 becomes 0xFF, not UTF-8). */
  const payload = fc.oneof(
    {
      weight: 10,
      arbitrary: fc.oneof(
        fc.string({ maxLength: 6 }).map((content) => `{"choices":[{"delta":{"content":${JSON.stringify(content)}}}],"usage":null}`),
        fc.string({ maxLength: 6 }).map((text) => `{"type":"content_block_delta","delta":{"text":${JSON.stringify(text)}}}`),
        fc.constantFrom(`{"response":{"usage":null}}`, "[DONE]", "", "\ufeff"),
      ),
    },
    fc.tuple(count, count).map(([input, output]) => `{"choices":[],"usage":{"prompt_tokens":${input},"completion_tokens":${output}}}`),
    fc.tuple(count, count, fc.constantFrom("\n", "\r\n", "\t", "\u00a0", "\u2028", "\u0001")).map(
      ([input, output, space]) => `{"choices":[],"usage"${space}:${space}{"prompt_tokens":${input},"completion_tokens":${output}}}`,
    ),
    fc.tuple(count, count).map(([input, output]) => `\ufeff{"candidates":[],"usageMetadata":{"promptTokenCount":${input},"candidatesTokenCount":${output}}}`),
    fc.tuple(count, count).map(([input, output]) => `{"type":"message_start","message":{"usage":{"input_tokens":${input},"output_tokens":${output}}}}`),
    count.map((output) => `{"type":"message_delta","usage":{"output_tokens":${output}}}`),
    fc.tuple(count, count).map(([input, output]) => `{"type":"response.completed","response":{"usage":{"input_tokens":${input},"output_tokens":${output}}}}`),
    fc.constantFrom(`{"x":"\\"usage\\": {"}`, "\u0001", `"usage":`, `"usageMetadata" \u0001{`),
  );
  /** Lines other than data: comments (one quoting a usage key), other fields, an empty or non-UTF-8 event name, near misses of `data`. */
  const field = fc.constantFrom(": ping", "id: 7", "retry: 10", ":", `: "usage":{`, "event:", "event: \u0001", "Data: x", "data :x", "\ufeffdata: x");
  /** An event: its data split over data lines anywhere, or none at all (a keepalive); a name and other lines; blank lines after it; each line ended its own way. */
  const event = fc
    .record({
      data: payload,
      cuts: fc.array(fc.nat(80), { maxLength: 3 }),
      dataless: fc.boolean(),
      name: fc.constantFrom("", "", "message", "message_start", "message_delta", "response.completed", "ping"),
      others: fc.array(field, { maxLength: 2 }),
      blanks: fc.nat(2),
      ends: fc.array(fc.constantFrom("\n", "\r", "\r\n"), { minLength: 1, maxLength: 8 }),
      bare: fc.boolean(),
    })
    .map(({ data, cuts, dataless, name, others, blanks, ends, bare }) => {
      let text = data;
      for (const cut of [...new Set(cuts)].sort((a, b) => b - a)) if (cut < text.length) text = `${text.slice(0, cut)}\n${text.slice(cut)}`;
      const lines = dataless ? [] : text.split(/\r\n|\n|\r/).map((line) => (bare && line === "" ? "data" : `data:${bare ? "" : " "}${line}`));
      const all = [...(name === "" ? [] : [`event: ${name}`]), ...others, ...lines, ...Array<string>(1 + blanks).fill("")];
      return all.map((line, i) => line + ends[i % ends.length]).join("");
    });
  const prices = fc.record(
    { perKibMsat: fc.constantFrom(1024n, 100n, 10000n), perThousandInputTokensMsat: fc.constant(1000n), perThousandOutputTokensMsat: fc.constant(3000n) },
    { requiredKeys: [] },
  );
  /** An initial lease that runs out near a byte of the stream (anywhere in a chunk: before, among or after the events passed over), or covers some tokens too. */
  const leaseFor = (target: number, length: number, prices: StreamPrices): bigint =>
    (BigInt(target % (length + 40)) * (prices.perKibMsat ?? 1024n)) / 1024n + (target % 3 === 0 ? BigInt(target % 20000) : 0n);

  it("passes, cuts and bills as framing every event would, for any stream in any chunks, whatever the lease (fast-check)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(event, { minLength: 1, maxLength: 12 }),
        fc.constantFrom("", "", "\ufeff", "\n", "\r", ": hi\n"),
        fc.oneof(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 4 }), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 30 })),
        prices,
        fc.nat(1 << 20),
        fc.array(fc.option(fc.bigInt({ min: 0n, max: 60000n }), { nil: undefined }), { maxLength: 6 }),
        async (events, lead, fractions, prices, target, leases) => {
          const bytes = utf8(lead + events.join("")).map((byte) => (byte === 1 ? 0xff : byte));
          const chunks = cutAt(bytes, fractions.map((fraction) => Math.floor(fraction * bytes.length)));
          const initialLease = leaseFor(target, bytes.length, prices);
          const { passed, settled, expected } = await besideFramingEvery(chunks, prices, initialLease, leases);
          expect(passed).toBe(expected.passed);
          expect(settled).toEqual(expected.settled);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("the same for each recorded stream, its lines ended in LF, CR or CRLF, keepalives among its events (fast-check)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...llmStreams),
        fc.constantFrom("\n", "\r", "\r\n"),
        fc.array(fc.nat(100), { maxLength: 5 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 }),
        fc.constantFrom(1024n, 100n, 5000n),
        fc.nat(1 << 20),
        fc.array(fc.option(fc.bigInt({ min: 0n, max: 200000n }), { nil: undefined }), { maxLength: 6 }),
        async (stream, end, keepalives, fractions, perKibMsat, target, leases) => {
          const events = stream.text.split(/(?<=\n\n)/).map((event) => event.replaceAll("\n", end));
          for (const at of keepalives) events.splice(at % (events.length + 1), 0, `: keepalive${end}${end}`);
          const bytes = utf8(events.join(""));
          const chunks = cutAt(bytes, fractions.map((fraction) => Math.floor(fraction * bytes.length)));
          const prices = { perKibMsat, perThousandInputTokensMsat: 1000n, perThousandOutputTokensMsat: 3000n };
          const initialLease = leaseFor(target, bytes.length, prices);
          const { passed, settled, expected } = await besideFramingEvery(chunks, prices, initialLease, leases);
          expect(passed).toBe(expected.passed);
          expect(settled).toEqual(expected.settled);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("the same with events past MAX_EVENT_BYTES among those passed over (one line, or many): dispatched as the usage read from them as they passed, so a place to cut, as framing every event has it", async () => {
    const half = "x".repeat(MAX_EVENT_BYTES / 2 + 1);
    const usage = `{"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":7}}`;
    const streams = [
      `data: a\n\n: ${half}${half}\n\ndata: ${half}${half}\n\ndata: c\n\ndata: b\n\n`,
      `data: a\r\rdata: ${half}\rdata: ${half}\r\rdata: c\r\rdata: b\r\r`,
      `data: a\n\ndata: ${half}\ndata: ${half}\ndata: ${usage}\n\ndata: ${usage}\n\ndata: c\n\ndata: b\n\n`,
    ];
    const prices = { perKibMsat: 1024n, perThousandInputTokensMsat: 1000n, perThousandOutputTokensMsat: 1000n };
    for (const stream of streams) {
      const bytes = utf8(stream);
      for (const chunks of [[bytes], cutAt(bytes, [9]), cutAt(bytes, [9, MAX_EVENT_BYTES / 2])]) {
        for (const lease of [20n, 1000n, BigInt(MAX_EVENT_BYTES), BigInt(bytes.length - 40), BigInt(bytes.length - 12), BigInt(bytes.length - 5)]) {
          const { passed, settled, expected } = await besideFramingEvery(chunks, prices, lease, []);
          expect(passed === expected.passed).toBe(true);
          expect(settled).toEqual(expected.settled);
        }
      }
    }
  });

  it("a keepalive among the events passed over is not a place to cut, as it is not among events framed", async () => {
    const event = `data: ${"x".repeat(58)}\n\n`;
    const body = utf8(`${event}: keepalive\n\n${event}`);
    const { hooks, settled } = recordingHooks([undefined]);
    const { chunks } = await readAll(meterStream(originBody([body]).stream, "text/event-stream", { perKibMsat: 1024n }, BigInt(body.length - 1), hooks));
    expect(latin1(join(chunks))).toBe(event + EXHAUSTED_EVENT);
    expect(settled).toMatchObject([{ bytes: event.length, ended: "exhausted" }]);
  });
});
