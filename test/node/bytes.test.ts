import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fromUtf8 } from "../../src/bytes.ts";

describe("fromUtf8", () => {
  it("reads any bytes as a strict TextDecoder does, whatever their length (short ASCII taken a faster way)", () => {
    const reference = (bytes: Uint8Array) => {
      try {
        return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
      } catch {
        return undefined;
      }
    };
    const ascii = fc.uint8Array({ max: 0x7f, maxLength: 1200 });
    const anyBytes = fc.uint8Array({ maxLength: 1200 });
    const utf8 = fc.string({ unit: "binary", maxLength: 600 }).map((text) => new TextEncoder().encode(text));
    fc.assert(fc.property(fc.oneof(ascii, anyBytes, utf8), (bytes) => void expect(fromUtf8(bytes)).toBe(reference(bytes))), { numRuns: 5000 });
    // Around the length where the faster way gives way.
    for (const length of [0, 1, 31, 32, 33, 4096]) expect(fromUtf8(new Uint8Array(length).fill(0x61))).toBe("a".repeat(length));
    expect(fromUtf8(Uint8Array.from([0x61, 0xef, 0xbb, 0xbf]))).toBe("a\ufeff");
  });
});
