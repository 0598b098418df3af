import { Agent, request } from "undici";
import { median } from "./measure.ts";

export interface LoadResult {
  readonly requests: number;
  readonly errors: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Count per HTTP status, to tell refusals from successes. */
  readonly statuses: Record<number, number>;
}

/**
 * Closed-loop load: `concurrency` clients each send a request, wait for the whole
 * answer, and send the next, for `durationMs`. Bounded in time and count.
 */
export async function runLoad(options: {
  url: string;
  headers?: Record<string, string>;
  concurrency: number;
  durationMs: number;
  expectStatus: number;
}): Promise<LoadResult> {
  const dispatcher = new Agent({ connections: options.concurrency, pipelining: 1 });
  const latencies: number[] = [];
  const statuses: Record<number, number> = {};
  let errors = 0;
  const deadline = performance.now() + options.durationMs;
  const worker = async () => {
    while (performance.now() < deadline) {
      const start = performance.now();
      try {
        const response = await request(options.url, { headers: options.headers ?? {}, dispatcher });
        await response.body.dump();
        statuses[response.statusCode] = (statuses[response.statusCode] ?? 0) + 1;
        if (response.statusCode !== options.expectStatus) errors++;
      } catch {
        errors++;
      }
      latencies.push(performance.now() - start);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const elapsed = performance.now() - started;
  await dispatcher.close();
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    errors,
    requestsPerSecond: (latencies.length * 1000) / elapsed,
    p50Ms: median(latencies),
    p99Ms: latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))] ?? NaN,
    statuses,
  };
}
