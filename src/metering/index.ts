/**
 * Metered streams: a response body counted as it passes (bytes, and the token
 * usage an LLM's event stream, NDJSON stream or whole JSON answer reports), priced, leased from a balance, and
 * settled once when it ends. Pure: web streams and bytes only, so it runs in a
 * Worker, in Node, anywhere.
 */
export { createSseDecoder, createSseFramer, MAX_EVENT_BYTES, type OnFrame, type SseDecoder, type SseEvent, type SseFramer, type SsePosition } from "./sse-decoder.ts";
export { createUsageReader, type LlmUsage, type UsageReader } from "./llm-usage.ts";
export { bytesCovered, pricesTokens, streamCost, tokensCost, type StreamPrices } from "./stream-prices.ts";
export { BalanceExhaustedError, isEventStream, meterStream, type MeterHooks, type MeterOutcome, type StreamEnd, type StreamFraming } from "./meter-stream.ts";
