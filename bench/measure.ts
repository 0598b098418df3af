/** Small timing helpers for the benchmarks: medians over rounds, never a single sample. */
export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

/** Microseconds per call of a synchronous or async function, median of `rounds`. */
export async function microsPerCall(fn: () => unknown, iterations: number, rounds = 7): Promise<number> {
  for (let i = 0; i < Math.min(iterations, 2000); i++) await fn();
  const samples: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const start = performance.now();
    for (let i = 0; i < iterations; i++) await fn();
    samples.push(((performance.now() - start) * 1000) / iterations);
  }
  return median(samples);
}

export const fmt = (micros: number): string => `${micros.toFixed(2).padStart(8)} µs`;
