import type { LlmUsage } from "./llm-usage.ts";

/** What a metered stream costs per unit, in msat. A price left out is free. */
export interface StreamPrices {
  readonly perKibMsat?: bigint;
  readonly perThousandInputTokensMsat?: bigint;
  readonly perThousandOutputTokensMsat?: bigint;
}

const ceilDiv = (amount: bigint, by: bigint): bigint => (amount + by - 1n) / by;
const priced = (units: number, price: bigint | undefined, per: bigint): bigint => (price === undefined || units === 0 ? 0n : ceilDiv(BigInt(units) * price, per));

/** Whether the prices put a price on tokens (either direction): the body's reported usage then counts. */
export const pricesTokens = (prices: StreamPrices): boolean => prices.perThousandInputTokensMsat !== undefined || prices.perThousandOutputTokensMsat !== undefined;

/** The tokens' part of a cost: each direction priced per 1,000 and rounded up to a whole msat. */
export const tokensCost = (prices: StreamPrices, usage: LlmUsage | undefined): bigint =>
  usage === undefined ? 0n : priced(usage.inputTokens, prices.perThousandInputTokensMsat, 1000n) + priced(usage.outputTokens, prices.perThousandOutputTokensMsat, 1000n);

/**
 * What a stream costs: its bytes at the price per KiB (1,024 bytes), rounded
 * up to a whole msat once, for the whole count, plus its tokens.
 */
export const streamCost = (prices: StreamPrices, bytes: number, usage: LlmUsage | undefined): bigint =>
  priced(bytes, prices.perKibMsat, 1024n) + tokensCost(prices, usage);

/**
 * The most bytes `budgetMsat` pays for: the largest n with
 * ceil(n × per KiB / 1024) ≤ budget, or Infinity when bytes are free, or -1
 * when the budget is below zero (not even an empty body fits).
 */
export function bytesCovered(prices: StreamPrices, budgetMsat: bigint): number {
  if (budgetMsat < 0n) return -1;
  const perKib = prices.perKibMsat ?? 0n;
  if (perKib === 0n) return Number.POSITIVE_INFINITY;
  const bytes = (budgetMsat * 1024n) / perKib;
  return bytes > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(bytes);
}

/** A price below zero (or not a bigint) is a configuration error: a RangeError before any byte passes. */
export function checkPrices(prices: StreamPrices): void {
  for (const [name, price] of Object.entries(prices) as [string, unknown][]) {
    if (price !== undefined && (typeof price !== "bigint" || price < 0n)) throw new RangeError(`${name} must be a bigint of at least 0`);
  }
}
