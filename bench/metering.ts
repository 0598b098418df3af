import { meterStream, type MeterHooks } from "../src/metering/index.ts";
import { median } from "./measure.ts";

const ROUNDS = 7;
const CHUNK = 16 * 1024;
const BYTES = 32 * 1024 * 1024;

/** A streamed OpenAI chat completion of `tokens` chunks, a token each, with its usage chunk last (stream_options.include_usage). */
const openAiCompletion = (tokens: number): string => {
  const chunk = (delta: string, usage: string) => `data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1764633600,"model":"gpt-4o-mini","choices":[${delta}],"usage":${usage}}\n\n`;
  const words = Array.from({ length: tokens }, (_, i) => chunk(`{"index":0,"delta":{"content":" word${i % 97}"},"finish_reason":null}`, "null"));
  return words.join("") + chunk("", `{"prompt_tokens":120,"completion_tokens":${tokens},"total_tokens":${tokens + 120}}`) + "data: [DONE]\n\n";
};

/** A body of `chunks`, handed out one per pull, as an origin's socket would. */
const bodyOf = (chunks: readonly Uint8Array[]): ReadableStream<Uint8Array> => {
  let next = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      const chunk = chunks[next++];
      if (chunk === undefined) controller.close();
      else controller.enqueue(chunk);
    },
  });
};

async function drain(stream: ReadableStream<Uint8Array>): Promise<number> {
  let bytes = 0;
  for await (const chunk of stream) bytes += chunk.length;
  return bytes;
}

/** A lease granted in steps of 1,000 sats, as the balance object would: a lease call every so often, not never. */
const hooks: MeterHooks = {
  lease: async (costSoFar) => costSoFar + 1_000_000n,
  settle: () => {},
  exhaustedEvent: () => "",
};

/** MB/s reading the chunks straight, and through meterStream, alternating rounds. */
async function compare(chunks: readonly Uint8Array[], contentType: string, prices: Parameters<typeof meterStream>[2]): Promise<{ plain: number; metered: number }> {
  const total = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  const plain: number[] = [];
  const metered: number[] = [];
  for (let round = 0; round <= ROUNDS; round++) {
    let start = performance.now();
    await drain(bodyOf(chunks));
    const plainMs = performance.now() - start;
    start = performance.now();
    await drain(meterStream(bodyOf(chunks), contentType, prices, 1_000_000n, hooks));
    const meteredMs = performance.now() - start;
    if (round === 0) continue; // warm-up
    plain.push(total / 1e3 / plainMs);
    metered.push(total / 1e3 / meteredMs);
  }
  return { plain: median(plain), metered: median(metered) };
}

/**
 * Throughput of a metered body against the same body read straight (both in
 * Node's web streams, no sockets): 32 MiB of bytes priced per KiB, and the
 * a streamed OpenAI completion repeated to 32 MiB, decoded and priced per token.
 */
export async function benchMetering(): Promise<void> {
  const bytes = Array.from({ length: BYTES / CHUNK }, (_, i) => new Uint8Array(CHUNK).fill(i % 251));
  const text = new TextEncoder().encode(openAiCompletion(2000));
  const events: Uint8Array[] = [];
  for (let at = 0; events.length * CHUNK < BYTES; at = (at + CHUNK) % text.length) events.push(text.subarray(at, Math.min(at + CHUNK, text.length)));
  const rows = [
    ["bytes, per KiB", await compare(bytes, "application/octet-stream", { perKibMsat: 10n })],
    ["LLM event stream, per token", await compare(events, "text/event-stream", { perThousandInputTokensMsat: 100n, perThousandOutputTokensMsat: 300n })],
  ] as const;
  console.log("\nmetered bodies (Node web streams, 32 MiB in 16 KiB chunks; median of 7 rounds)");
  for (const [name, { plain, metered }] of rows) {
    console.log(`  ${name.padEnd(30)} plain ${plain.toFixed(0).padStart(6)} MB/s   metered ${metered.toFixed(0).padStart(6)} MB/s   ratio ${(metered / plain).toFixed(2)}`);
  }
}
