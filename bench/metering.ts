import { MAX_READ_BYTES } from "../src/metering/body-reader.ts";
import { meterStream, type MeterHooks, type StreamPrices } from "../src/metering/index.ts";
import { median } from "./measure.ts";
import { openAiCompletion } from "./completion.ts";

const ROUNDS = 7;
const BYTES = 32 * 1024 * 1024;

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

/** A lease granted in steps of 1,000 sats, as the balance object would: a lease call every so often, not never. */
const hooks: MeterHooks = {
  lease: async (costSoFar) => costSoFar + 1_000_000n,
  settle: () => {},
  exhaustedEvent: () => "",
};

/** Milliseconds of CPU (this process's, user and system) to read `chunks` through meterStream: the median of the rounds after a warm-up. */
async function cpuMs(chunks: readonly Uint8Array[], contentType: string, prices: StreamPrices): Promise<number> {
  const samples: number[] = [];
  for (let round = 0; round <= ROUNDS; round++) {
    const start = process.cpuUsage();
    for await (const _chunk of meterStream(bodyOf(chunks), contentType, prices, 1_000_000n, hooks));
    const used = process.cpuUsage(start);
    if (round > 0) samples.push((used.user + used.system) / 1000);
  }
  return median(samples);
}

/**
 * What metering costs on its own, in Node's web streams with no sockets: 32
 * MiB in chunks of MAX_READ_BYTES (as meterStream reads a fast fetched body), bytes
 * priced per KiB, and a streamed OpenAI completion (about 180,000 events)
 * decoded and priced per token. CPU time, so that other work on the machine
 * does not count; the figure to weigh is per chunk and per event (a Worker's
 * CPU time is what Cloudflare bills). No ratio: a stream that does nothing in
 * memory is no baseline (bench/metered-streams.ts compares bodies through workerd).
 */
export async function benchMetering(): Promise<void> {
  const bytes = Array.from({ length: BYTES / MAX_READ_BYTES }, (_, i) => new Uint8Array(MAX_READ_BYTES).fill(i % 251));
  const text = new TextEncoder().encode(openAiCompletion(Math.floor(BYTES / 186)));
  const events = text.reduce((count, byte, i) => (byte === 0x0a && text[i - 1] === 0x0a ? count + 1 : count), 0);
  const completion = Array.from({ length: Math.ceil(text.length / MAX_READ_BYTES) }, (_, i) => text.subarray(i * MAX_READ_BYTES, (i + 1) * MAX_READ_BYTES));
  const bytesMs = await cpuMs(bytes, "application/octet-stream", { perKibMsat: 50n });
  const completionMs = await cpuMs(completion, "text/event-stream", { perThousandInputTokensMsat: 3000n, perThousandOutputTokensMsat: 15000n });
  console.log(`\nMetering on its own (Node web streams in memory, no sockets; CPU time, median of ${ROUNDS} rounds)`);
  console.log(`  download, per KiB         ${((BYTES / 1e3 / bytesMs) | 0).toString().padStart(6)} MB/s   ${((bytesMs * 1000) / bytes.length).toFixed(1).padStart(6)} µs per ${MAX_READ_BYTES / 1024} KiB chunk`);
  console.log(`  completion, per token     ${((text.length / 1e3 / completionMs) | 0).toString().padStart(6)} MB/s   ${((completionMs * 1e6) / events).toFixed(0).padStart(6)} ns per event (${events} events)`);
}
