import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createUsageReader, meterStream, type LlmUsage, type StreamPrices } from "../../src/metering/index.ts";
import { createSseFramer, type SsePosition } from "../../src/metering/sse-decoder.ts";
import { bytesCovered, streamCost, tokensCost } from "../../src/metering/stream-prices.ts";
import { cutAt, utf8 } from "../fixtures/llm-streams.ts";
import { EXHAUSTED_EVENT, meterStreamContract, originBody, readAll, recordingHooks } from "../fixtures/meter-stream-contract.ts";

/** The metered body in Node's web streams (test/workerd/meter-stream.test.ts runs the same contract inside workerd). */
describe("meterStream in Node", () => meterStreamContract());

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
  const framer = createSseFramer();
  const reader = createUsageReader();
  let leased = initialLease;
  let bytes = 0;
  let asked = 0;
  const passed: Uint8Array[] = [];
  const outcome = (ended: string) => ({ passed: join(passed), settled: [{ costMsat: streamCost(prices, bytes, reader.usage), bytes, usage: reader.usage, ended }] });
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

describe("meterStream passing whole events over unread", () => {
  const count = fc.integer({ min: 0, max: 5000 });
  /** OpenAI, Gemini, Anthropic and Responses chunks with and without usage, and data that only looks like it may carry some (a byte 0x01 becomes 0xFF, not UTF-8). */
  const payload = fc.oneof(
    fc.string({ maxLength: 6 }).map((content) => `{"choices":[{"delta":{"content":${JSON.stringify(content)}}}],"usage":null}`),
    fc.tuple(count, count).map(([input, output]) => `{"choices":[],"usage":{"prompt_tokens":${input},"completion_tokens":${output}}}`),
    fc.tuple(count, count).map(([input, output]) => `{"candidates":[],"usageMetadata":{"promptTokenCount":${input},"candidatesTokenCount":${output}}}`),
    fc.tuple(count, count).map(([input, output]) => `{"type":"message_start","message":{"usage":{"input_tokens":${input},"output_tokens":${output}}}}`),
    count.map((output) => `{"type":"message_delta","usage":{"output_tokens":${output}}}`),
    fc.tuple(count, count).map(([input, output]) => `{"type":"response.completed","response":{"usage":{"input_tokens":${input},"output_tokens":${output}}}}`),
    fc.constantFrom("[DONE]", `{"x":"\\"usage\\": {"}`, "\u0001", `"usage":`, `"usageMetadata" \u0001{`),
  );
  /** An event: its data split over data lines anywhere, or none at all (a keepalive); a name, a comment or another field; blank lines after it. */
  const event = fc
    .record({
      data: payload,
      cuts: fc.array(fc.nat(80), { maxLength: 2 }),
      dataless: fc.boolean(),
      name: fc.constantFrom("", "", "message", "message_start", "message_delta", "response.completed", "ping"),
      other: fc.constantFrom("", ": ping", "id: 7", "retry: 10", ":"),
      blanks: fc.nat(2),
      end: fc.constantFrom("\n", "\r", "\r\n"),
      bare: fc.boolean(),
    })
    .map(({ data, cuts, dataless, name, other, blanks, end, bare }) => {
      let text = data;
      for (const cut of [...new Set(cuts)].sort((a, b) => b - a)) if (cut < text.length) text = `${text.slice(0, cut)}\n${text.slice(cut)}`;
      const lines = dataless ? [] : text.split("\n").map((line) => (bare && line === "" ? "data" : `data:${bare ? "" : " "}${line}`));
      return [...(name === "" ? [] : [`event: ${name}`]), ...(other === "" ? [] : [other]), ...lines].join(end) + end.repeat(2 + blanks);
    });
  const prices = fc.record(
    { perKibMsat: fc.constantFrom(1024n, 100n), perThousandInputTokensMsat: fc.constant(1000n), perThousandOutputTokensMsat: fc.constant(3000n) },
    { requiredKeys: [] },
  );

  it("passes, cuts and bills as framing every event would, for any stream in any chunks, whatever the lease (fast-check)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(event, { minLength: 1, maxLength: 8 }),
        fc.boolean(),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 }),
        prices,
        fc.bigInt({ min: 0n, max: 3000n }),
        fc.array(fc.option(fc.bigInt({ min: 0n, max: 40000n }), { nil: undefined }), { maxLength: 4 }),
        async (events, bom, fractions, prices, initialLease, leases) => {
          const text = utf8(events.join("")).map((byte) => (byte === 1 ? 0xff : byte));
          const bytes = bom ? join([Uint8Array.of(0xef, 0xbb, 0xbf), text]) : text;
          const chunks = cutAt(bytes, fractions.map((fraction) => Math.floor(fraction * bytes.length)));
          const expected = framingEvery(chunks, prices, initialLease, leases);
          const { hooks, settled } = recordingHooks(leases);
          const { chunks: passed } = await readAll(meterStream(originBody(chunks).stream, "text/event-stream", prices, initialLease, hooks));
          expect(latin1(join(passed))).toBe(latin1(expected.passed));
          expect(settled).toEqual(expected.settled);
        },
      ),
      { numRuns: 3000 },
    );
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
