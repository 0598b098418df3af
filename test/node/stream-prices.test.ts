import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bytesCovered, streamCost, tokensCost } from "../../src/metering/index.ts";

const prices = { perKibMsat: 50n, perThousandInputTokensMsat: 3000n, perThousandOutputTokensMsat: 15000n };

describe("what a metered stream costs", () => {
  it("bytes per KiB, rounded up to a whole msat once for the whole count", () => {
    expect(streamCost(prices, 0, undefined)).toBe(0n);
    expect(streamCost(prices, 1, undefined)).toBe(1n);
    expect(streamCost(prices, 1024, undefined)).toBe(50n);
    expect(streamCost(prices, 1025, undefined)).toBe(51n);
    expect(streamCost(prices, 64 * 1024 * 1024, undefined)).toBe(3_276_800n);
  });

  it("tokens per 1,000 in each direction, each rounded up", () => {
    expect(tokensCost(prices, { inputTokens: 1, outputTokens: 1 })).toBe(3n + 15n);
    expect(tokensCost(prices, { inputTokens: 1234, outputTokens: 300 })).toBe(3702n + 4500n);
    expect(tokensCost(prices, { inputTokens: 9632, outputTokens: 0 })).toBe(28_896n);
    expect(streamCost(prices, 2048, { inputTokens: 16, outputTokens: 300 })).toBe(100n + 48n + 4500n);
  });

  it("a price left out is free", () => {
    expect(streamCost({}, 1 << 30, { inputTokens: 10 ** 9, outputTokens: 10 ** 9 })).toBe(0n);
    expect(streamCost({ perThousandOutputTokensMsat: 1n }, 1 << 30, { inputTokens: 10 ** 9, outputTokens: 1 })).toBe(1n);
  });
});

describe("the bytes a budget covers", () => {
  it("is the largest count whose cost fits (fast-check)", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 10n ** 6n }), fc.bigInt({ min: 0n, max: 10n ** 12n }), (perKibMsat, budget) => {
        const covered = bytesCovered({ perKibMsat }, budget);
        expect(streamCost({ perKibMsat }, covered, undefined)).toBeLessThanOrEqual(budget);
        expect(streamCost({ perKibMsat }, covered + 1, undefined)).toBeGreaterThan(budget);
      }),
      { numRuns: 10_000 },
    );
  });

  it("is unbounded when bytes are free, and none (not even an empty body) below a zero budget", () => {
    expect(bytesCovered({}, 0n)).toBe(Number.POSITIVE_INFINITY);
    expect(bytesCovered({ perKibMsat: 0n }, 5n)).toBe(Number.POSITIVE_INFINITY);
    expect(bytesCovered({ perKibMsat: 50n }, -1n)).toBe(-1);
    expect(bytesCovered({ perKibMsat: 50n }, 0n)).toBe(0);
  });

  it("stops at the largest safe integer", () => {
    expect(bytesCovered({ perKibMsat: 1n }, 2n ** 60n)).toBe(Number.MAX_SAFE_INTEGER);
  });
});
