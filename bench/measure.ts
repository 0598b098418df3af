/** Small timing helpers for the benchmarks: medians over rounds, never a single sample. */
export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

/**
 * Microseconds per call of a synchronous or async function, median of `rounds`.
 * A synchronous one is not awaited: a microtask per call would distort sub-µs work.
 */
export async function microsPerCall(fn: () => unknown, iterations: number, rounds = 7): Promise<number> {
  const isAsync = fn() instanceof Promise;
  const run = isAsync
    ? async () => {
        for (let i = 0; i < iterations; i++) await fn();
      }
    : async () => {
        for (let i = 0; i < iterations; i++) fn();
      };
  await run();
  const samples: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const start = performance.now();
    await run();
    samples.push(((performance.now() - start) * 1000) / iterations);
  }
  return median(samples);
}

export const fmt = (micros: number): string => `${micros.toFixed(2).padStart(8)} µs`;
