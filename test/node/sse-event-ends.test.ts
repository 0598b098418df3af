import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { lastEventEnd } from "../../src/metering/sse-event-ends.ts";

const LF = 0x0a;
const CR = 0x0d;

/** Just past each blank line, read forward a byte at a time as the HTML standard reads lines (CRLF one line end; a CR at the end ends its line). */
function blankLineEnds(bytes: Uint8Array, from: number): number[] {
  const ends: number[] = [];
  let lineStart = from;
  for (let at = from; at < bytes.length; at++) {
    if (bytes[at] !== LF && bytes[at] !== CR) continue;
    const blank = at === lineStart;
    if (bytes[at] === CR && bytes[at + 1] === LF) at++;
    if (blank) ends.push(at + 1);
    lineStart = at + 1;
  }
  return ends;
}

describe("where events end, for passing over them unread", () => {
  const bytes = fc.array(fc.constantFrom(LF, CR, 0x61, 0x3a, 0x20), { maxLength: 40 }).map((values) => Uint8Array.from(values));

  it("the last blank line, read back from the end, is the last one reading forward finds, from any line start (fast-check)", () => {
    fc.assert(
      fc.property(bytes, fc.nat(40), (chunk, start) => {
        // A line start: the chunk's start or just past a line end (never between a CR and its LF).
        const from = Math.min(start, chunk.length);
        fc.pre(from === 0 || ((chunk[from - 1] === LF || chunk[from - 1] === CR) && !(chunk[from - 1] === CR && chunk[from] === LF)));
        expect(lastEventEnd(chunk, from)).toBe(blankLineEnds(chunk, from).at(-1) ?? -1);
      }),
      { numRuns: 5000 },
    );
  });

  it("CRLF is one line end, LF CR two; a CR at the chunk's end ends a line", () => {
    const of = (text: string) => new TextEncoder().encode(text);
    expect(lastEventEnd(of("data: a\r\n"), 0)).toBe(-1);
    expect(lastEventEnd(of("data: a\r\n\r\ndata: b"), 0)).toBe(11);
    expect(lastEventEnd(of("data: a\n\r"), 0)).toBe(9);
    expect(lastEventEnd(of("data: a\r\r"), 0)).toBe(9);
  });
});
