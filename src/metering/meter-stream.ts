import { utf8 } from "../bytes.ts";
import { readBody } from "./body-reader.ts";
import { createUsageReader, oversizedUsageEvent, type LlmUsage } from "./llm-usage.ts";
import { eventsMayCarryUsage } from "./usage-key.ts";
import { bytesCovered, checkPrices, pricesTokens, streamCost, tokensCost, type StreamPrices } from "./stream-prices.ts";
import { createSseFramer, framedEventEnds, type SsePosition, type SseSkip } from "./sse-decoder.ts";
import { mediaType } from "./media-type.ts";
import { createNdjsonFramer, isNdjson } from "./ndjson-framer.ts";
import { oversizedOllamaLine, usageOfOllamaLine } from "./ollama-usage.ts";
import { isJson, readWholeAnswer } from "./whole-answer.ts";

/** Why a metered body ended: its origin finished, the client left, the balance ran out, or the origin (or a hook) failed. */
export type StreamEnd = "complete" | "cancelled" | "exhausted" | "errored";

export interface MeterOutcome {
  /** What the body cost: the bytes passed to the client, and the last usage the origin reported. */
  readonly costMsat: bigint;
  readonly bytes: number;
  readonly usage: LlmUsage | undefined;
  /** Whether that usage is a first report whose output count was still to come (Anthropic's `message_start`, a Gemini chunk counting the prompt alone): the body ended before its output was counted. */
  readonly provisional: boolean;
  readonly ended: StreamEnd;
}

export interface MeterHooks {
  /**
   * More of the balance is needed: the cost so far would pass the lease.
   * Resolves with the new lease (what the body may cost in all), or undefined
   * when the balance cannot cover it. A lease short of the cost is used as far
   * as it goes. A rejection errors the body.
   */
  lease(costSoFarMsat: bigint): Promise<bigint | undefined>;
  /**
   * Once, when the body ends for any reason, after the client's stream has
   * ended. It must not throw (nothing downstream would see it): what it starts
   * (a debit) it hands to the platform (`waitUntil`).
   */
  settle(outcome: MeterOutcome): void;
  /** For a stream of events (text/event-stream) or of JSON lines (NDJSON): the last event, or line, written when the balance runs out (why, and the top-up offer), given the outcome the body is about to settle with. */
  readonly exhaustedEvent: (framing: StreamFraming, outcome: MeterOutcome) => string;
}

/** How a metered body is framed, where it can end cleanly: events (text/event-stream) or JSON lines (application/x-ndjson). */
export type StreamFraming = "event-stream" | "ndjson";

/** What a body other than an event stream errors with when the balance runs out: a client sees a broken body, never one that looks complete. */
export class BalanceExhaustedError extends Error {
  readonly reason = "balance_exhausted";
  constructor() {
    super("the balance ran out before the body ended");
    this.name = "BalanceExhaustedError";
  }
}

/** Whether a Content-Type is text/event-stream (parameters and case aside). */
export const isEventStream = (contentType: string | null): boolean => mediaType(contentType) === "text/event-stream";

/** What ends the event the client was reading when the balance runs out, so that the exhausted event stands alone. CRLF, since the body may have ended in a CR. */
const CLOSE_FROM: Record<SsePosition, string> = { "between-events": "", "in-event": "\r\n", "in-line": "\r\n\r\n" };
/** What ends the JSON line the client was reading: the exhausted line is a line of its own (the one cut short does not parse, and a client skips or fails on it). */
const CLOSE_LINE = "\n";

const ignore = (): void => {};

/**
 * The body, metered as it passes: each chunk read from the origin's body (a
 * byte stream, as a fetched body is, in chunks of what has arrived: see
 * body-reader.ts) is counted (bytes at the price per KiB; for
 * text/event-stream, the usage its events report, priced per 1,000 tokens;
 * for NDJSON (an Ollama stream), the counts its lines report: ollama-usage.ts;
 * a JSON answer priced by tokens, the usage it reports, read whole before
 * any of it passes, or past MAX_HELD_ANSWER_BYTES a chunk behind the origin:
 * whole-answer.ts) and handed on unchanged before the next is read. A chunk
 * that would take the cost past the lease waits for `lease`;
 * when the balance cannot cover it, an event stream gets as many whole events
 * (an NDJSON stream whole lines) as the lease covers, then
 * `exhaustedEvent(framing, outcome)`, and ends; any other body
 * errors (BalanceExhaustedError). The origin's body is cancelled when the
 * client leaves or the balance runs out. `settle` is told the outcome once.
 */
export function meterStream(
  body: ReadableStream<Uint8Array>,
  contentType: string | null,
  prices: StreamPrices,
  initialLeaseMsat: bigint,
  hooks: MeterHooks,
): ReadableStream<Uint8Array> {
  checkPrices(prices);
  if (initialLeaseMsat < 0n) throw new RangeError("initialLeaseMsat must be at least 0");
  const sse = isEventStream(contentType) ? createSseFramer(true, oversizedUsageEvent) : undefined;
  const lines = sse === undefined && isNdjson(contentType) ? createNdjsonFramer(oversizedOllamaLine) : undefined;
  // A JSON answer on a token-priced body is held, its usage priced before any of it (or, past the most held, its end) passes: whole-answer.ts.
  const answer = sse === undefined && lines === undefined && pricesTokens(prices) && isJson(contentType) ? readWholeAnswer(readBody(body)) : undefined;
  const source = answer ?? readBody(body);
  const usage = createUsageReader();
  let lineUsage: LlmUsage | undefined;
  /** The usage reported so far: by the event stream's events, the NDJSON stream's lines, or the whole answer. */
  const reported = (): LlmUsage | undefined => answer?.usage ?? lineUsage ?? usage.usage;
  let leased = initialLeaseMsat;
  let bytes = 0;
  let ended: StreamEnd | undefined;
  // The byte count the lease covers at the usage reported so far: the per-chunk check is one comparison.
  let covered = bytesCovered(prices, leased);
  const recomputeCovered = (): void => {
    covered = bytesCovered(prices, leased - tokensCost(prices, reported()));
  };

  // The events the current chunk completes: where each ends in it, and the usage as of then.
  const eventEnds: number[] = [];
  const usageAtEnds: (LlmUsage | undefined)[] = [];
  let usageChanged = false;
  // The usage reported before the current chunk.
  let usageBefore: LlmUsage | undefined;
  const onEvent = (type: string, bytes: Uint8Array, from: number, to: number, end: number): void => {
    if (usage.readBytes(type, bytes, from, to)) usageChanged = true;
    eventEnds.push(end);
    usageAtEnds.push(usage.usage);
  };
  // The whole events of the current chunk passed over unread (none may report usage): where they lie, and how many events ended before them.
  let skippedFrom = 0;
  let skippedTo = 0;
  let endsBeforeSkipped = 0;
  const skip: SseSkip = {
    mayMatter: eventsMayCarryUsage,
    onSkip(from, to) {
      skippedFrom = from;
      skippedTo = to;
      endsBeforeSkipped = eventEnds.length;
    },
  };
  const onLine = (bytes: Uint8Array, from: number, to: number, end: number): void => {
    const counts = usageOfOllamaLine(bytes, from, to);
    if (counts !== undefined) {
      lineUsage = counts;
      usageChanged = true;
    }
    eventEnds.push(end);
    usageAtEnds.push(lineUsage);
  };

  const outcomeOf = (how: StreamEnd): MeterOutcome => ({ costMsat: streamCost(prices, bytes, reported()), bytes, usage: reported(), provisional: sse !== undefined && usage.provisional, ended: how });
  /** Settles, once: called right after the client's stream has closed or failed (or been cancelled). */
  const end = (how: StreamEnd, outcome = outcomeOf(how)): void => {
    ended = how;
    hooks.settle(outcome);
  };

  /** The balance is spent: an event (or NDJSON) stream closes after the whole events (lines) the lease covers and the exhausted event (line); `closing` ends what the client was reading before this chunk. */
  const exhaust = (controller: ReadableStreamDefaultController<Uint8Array>, chunk: Uint8Array, closing: string): void => {
    if (sse === undefined && lines === undefined) {
      const error = new BalanceExhaustedError();
      controller.error(error);
      source.cancel(error).catch(ignore);
      return end("exhausted");
    }
    let ends: readonly number[] = eventEnds;
    let usages: readonly (LlmUsage | undefined)[] = usageAtEnds;
    if (skippedTo > 0) {
      // The events passed over are framed now, once, to cut among them as if they had been framed: the usage is as it was before them.
      const skipped = framedEventEnds(chunk, skippedFrom, skippedTo);
      const usageThen = endsBeforeSkipped > 0 ? usageAtEnds[endsBeforeSkipped - 1] : usageBefore;
      ends = eventEnds.slice(0, endsBeforeSkipped).concat(skipped, eventEnds.slice(endsBeforeSkipped));
      usages = usageAtEnds.slice(0, endsBeforeSkipped).concat(skipped.map(() => usageThen), usageAtEnds.slice(endsBeforeSkipped));
    }
    let cut = 0;
    for (let i = ends.length - 1; i >= 0; i--) {
      const at = ends[i] as number;
      if (bytes + at <= bytesCovered(prices, leased - tokensCost(prices, usages[i]))) {
        cut = at;
        break;
      }
    }
    if (cut > 0) {
      bytes += cut;
      controller.enqueue(chunk.subarray(0, cut));
    }
    // What the body settles with, known before its last event, which says what the balance holds after it.
    const outcome = outcomeOf("exhausted");
    controller.enqueue(utf8((cut > 0 ? "" : closing) + hooks.exhaustedEvent(sse === undefined ? "ndjson" : "event-stream", outcome)));
    controller.close();
    source.cancel("the balance ran out").catch(ignore);
    end("exhausted", outcome);
  };

  const step = async (controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> => {
    const next = await source.read();
    if (ended !== undefined) return;
    if (next.done) {
      lines?.finish(onLine);
      controller.close();
      return end("complete");
    }
    const chunk: unknown = next.value;
    if (!(chunk instanceof Uint8Array)) throw new TypeError("a metered body's chunks must be Uint8Array");
    let closing = "";
    if (sse !== undefined || lines !== undefined) {
      eventEnds.length = 0;
      usageAtEnds.length = 0;
      usageChanged = false;
      skippedTo = 0;
      usageBefore = reported();
      if (sse !== undefined) {
        closing = CLOSE_FROM[sse.position];
        sse.push(chunk, onEvent, skip);
      } else if (lines !== undefined) {
        if (lines.position === "in-line") closing = CLOSE_LINE;
        lines.push(chunk, onLine);
      }
      if (usageChanged) recomputeCovered();
    } else if (answer?.usage !== undefined) recomputeCovered();
    const total = bytes + chunk.length;
    if (total > covered) {
      const granted = await hooks.lease(streamCost(prices, total, reported()));
      if (ended !== undefined) return;
      if (granted !== undefined && granted > leased) {
        leased = granted;
        recomputeCovered();
      }
      if (total > covered) return exhaust(controller, chunk, closing);
    }
    bytes = total;
    controller.enqueue(chunk);
  };

  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          await step(controller);
        } catch (error) {
          // The origin's body failed, or a hook did: the client's body fails too, never looking complete.
          if (ended !== undefined) return;
          controller.error(error);
          source.cancel(error).catch(ignore);
          end("errored");
        }
      },
      cancel(reason) {
        const cancelled = source.cancel(reason);
        if (ended === undefined) end("cancelled");
        return cancelled;
      },
    },
    // Nothing read ahead: a chunk is read from the origin only when the client asks for one.
    { highWaterMark: 0 },
  );
}
