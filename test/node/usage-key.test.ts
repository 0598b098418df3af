import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { concatBytes, utf8 } from "../../src/bytes.ts";
import { eventsMayCarryUsage, eventsMayCarryUsageInBytes, eventsMayCarryUsageInText } from "../../src/metering/usage-key.ts";

/** Bytes an event stream may hold around a key: the keys and their near misses, what may follow one, text beyond ASCII, and bytes that are not UTF-8 (lone continuations, cut sequences, a byte order mark). */
const piece = fc.oneof(
  fc.constantFrom('"usage"', '"usageMetadata"', '"usage', "usage\"", '"usageMeta"', '"Usage"', '"usage""usage"', ":", " ", "\t", "\v", "\f", "{", "null", "\n", "\r", "\r\n", "data: ", '"', "é", "\u00a0", "\u2028", "😀").map(utf8),
  fc.constantFrom([0x80], [0xc3], [0xe2, 0x80], [0xf0, 0x9f, 0x98], [0xff], [0xef, 0xbb, 0xbf], [0xed, 0xa0, 0x80]).map((bytes) => Uint8Array.from(bytes)),
  fc.uint8Array({ maxLength: 6 }),
);
const stretch = fc.array(piece, { maxLength: 24 }).map((pieces) => concatBytes(...pieces));

describe("usage keys in whole events' bytes", () => {
  it("the search of the text decoded gives the byte search's answer, whatever the bytes and the stretch of them asked about (fast-check)", () => {
    fc.assert(
      fc.property(stretch, fc.nat(), fc.nat(), (bytes, a, b) => {
        const from = a % (bytes.length + 1);
        const to = from + (b % (bytes.length - from + 1));
        expect(eventsMayCarryUsageInText(bytes, from, to)).toBe(eventsMayCarryUsageInBytes(bytes, from, to));
      }),
      { numRuns: 20_000 },
    );
  });

  it("each says yes where a key may open an object (after spaces, a colon, a line end or a character beyond ASCII) and no where it cannot", () => {
    const cases: [string, boolean][] = [
      ['data: {"usage":{"prompt_tokens":1}}\n\n', true],
      ['data: {"usageMetadata" :\t{"promptTokenCount":1}}\n\n', true],
      ['data: {"usage":null}\n\n', false],
      ['data: {"usage" \n', true],
      ['data: {"usage":\u00a0{}}\n\n', true],
      ['data: {"usage"', true],
      ['data: {"usages":{}}\n\n', false],
      ['data: {"Usage":{}}\n\n', false],
      ['data: {usage:{}}\n\n', false],
    ];
    for (const [text, may] of cases) {
      expect(eventsMayCarryUsageInBytes(utf8(text), 0, utf8(text).length), text).toBe(may);
      expect(eventsMayCarryUsageInText(utf8(text), 0, utf8(text).length), text).toBe(may);
    }
  });

  it("off Workers, meterStream's is the byte search (Node's TextDecoder is the slower there)", () => {
    expect(eventsMayCarryUsage).toBe(eventsMayCarryUsageInBytes);
  });
});
