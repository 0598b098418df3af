import { median } from "../bench/measure.ts";
import { verifyOurs, sha256OneBlock, sha256ManyBlocks, coldVerifyCompressions } from "../bench/verify-cases.ts";
const time = (fn: () => unknown, n: number) => { const s = performance.now(); for (let i = 0; i < n; i++) fn(); return ((performance.now() - s) * 1000) / n; };
const N = 5000;
for (let i = 0; i < 3; i++) { time(verifyOurs, N); time(sha256OneBlock, N); time(sha256ManyBlocks, N / 10); }
const C = coldVerifyCompressions();
for (let rep = 0; rep < 4; rep++) {
  const ratios: number[] = [], colds: number[] = [], floors: number[] = [];
  for (let r = 0; r < 15; r++) {
    const cold = time(verifyOurs, N);
    const one = time(sha256OneBlock, N * 4), many = time(sha256ManyBlocks, N / 4);
    const floor = C * (many - one) / 64;
    ratios.push(cold / floor); colds.push(cold); floors.push(floor);
  }
  console.log(`cold ${median(colds).toFixed(2)} floor ${median(floors).toFixed(2)} ratio(median of rounds) ${median(ratios).toFixed(3)} min ${Math.min(...ratios).toFixed(2)} max ${Math.max(...ratios).toFixed(2)}`);
}
