import { describe, expect, it } from "vitest";
import { GROWTH_BUDGET_BYTES, HALVE_AFTER_SMALL_READS, MAX_READ_BYTES, MIN_READ_BYTES, readBody, readBuffersGrownBytes } from "../../src/metering/body-reader.ts";

/** A byte stream (as a fetch body is) that hands out `chunks` one per pull, recording its cancellation. */
function byteBody(chunks: readonly Uint8Array[]) {
  let next = 0;
  let cancelled: unknown;
  const stream = new ReadableStream({
    type: "bytes",
    pull(controller: ReadableByteStreamController) {
      const chunk = chunks[next++];
      if (chunk === undefined) {
        // A byte stream closed while a BYOB read waits answers that read with no bytes (WHATWG Streams).
        controller.close();
        controller.byobRequest?.respond(0);
      } else controller.enqueue(chunk.slice());
    },
    cancel(reason) {
      cancelled = reason;
    },
  });
  return { stream, cancelled: () => cancelled };
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array[]> {
  const reader = readBody(stream);
  const chunks: Uint8Array[] = [];
  for (let next = await reader.read(); !next.done; next = await reader.read()) chunks.push(next.value);
  return chunks;
}

const filled = (length: number, value: number) => new Uint8Array(length).fill(value);

describe("a body read in chunks as large as what has arrived", () => {
  it("a byte stream is read into a buffer that doubles while reads fill it, up to MAX_READ_BYTES, bytes unchanged", async () => {
    const body = Uint8Array.from({ length: 4 * MAX_READ_BYTES + 5 }, (_, i) => i % 251);
    const chunks = await readAll(byteBody([body]).stream);
    const KiB = 1024;
    expect(MIN_READ_BYTES).toBe(64 * KiB);
    expect(chunks.map((chunk) => chunk.length)).toEqual([64 * KiB, 128 * KiB, 256 * KiB, 512 * KiB, MAX_READ_BYTES, MAX_READ_BYTES, MAX_READ_BYTES, 64 * KiB + 5]);
    expect(Buffer.concat(chunks)).toEqual(Buffer.from(body));
  });

  it("reads under a quarter of the buffer, HALVE_AFTER_SMALL_READS in a row, halve it, down to MIN_READ_BYTES: a slow stream does not hold a large one", async () => {
    const KiB = 1024;
    const MiB = () => filled(MAX_READ_BYTES, 9);
    const small = (count: number) => Array.from({ length: count }, (_, i) => filled(10, 100 + i));
    const tens = (count: number) => Array.from({ length: count }, () => 10);
    expect(HALVE_AFTER_SMALL_READS).toBe(4);
    const alternating = [1, 2, 3, 4].flatMap(() => [...small(1), MiB()]);
    const sent = [filled(2 * MAX_READ_BYTES, 1), MiB(), ...small(3), MiB(), ...alternating, ...small(4), MiB(), ...small(5), MiB(), ...small(16), MiB()];
    const chunks = await readAll(byteBody(sent).stream);
    expect(chunks.map((chunk) => chunk.length)).toEqual([
      // 2 MiB: 64 KiB doubling to 1 MiB, then the last 64 KiB (under a quarter: the 1 MiB buffer kept), so the next 1 MiB comes in one read
      ...[64, 128, 256, 512, 1024, 64, 1024].map((k) => k * KiB),
      // three small reads in a row (with the 64 KiB before the large read: not counted): the buffer kept
      ...tens(3),
      1024 * KiB,
      // small and large reads alternating: never four small in a row, never halved
      ...[1, 2, 3, 4].flatMap(() => [10, 1024 * KiB]),
      // four in a row: halved to 512 KiB, the next 1 MiB read as 512 KiB (filled: doubled) and the rest
      ...tens(4),
      ...[512, 512].map((k) => k * KiB),
      // five: halved once (the count starts again after halving), so 512 KiB again
      ...tens(5),
      ...[512, 512].map((k) => k * KiB),
      // sixteen: halved four times, to 64 KiB, from where the next 1 MiB doubles again, the last 64 KiB under a quarter
      ...tens(16),
      ...[64, 128, 256, 512, 64].map((k) => k * KiB),
    ]);
    expect(Buffer.concat(chunks)).toEqual(Buffer.concat(sent));
    // Each halving gave its share of GROWTH_BUDGET_BYTES back, and the end the rest.
    expect(readBuffersGrownBytes()).toBe(0);
  });

  it("a chunk handed on is never written over by a later read, small (copied out of a kept buffer) or large", async () => {
    const sent = [filled(10, 1), filled(MIN_READ_BYTES, 2), filled(100, 3), filled(MIN_READ_BYTES / 2, 4), filled(1, 5), filled(MAX_READ_BYTES, 6), filled(10, 7), filled(10, 8)];
    const chunks = await readAll(byteBody(sent).stream);
    expect(Buffer.concat(chunks)).toEqual(Buffer.concat(sent));
    expect(chunks.slice(0, 5)).toEqual(sent.slice(0, 5));
  });

  it("any other stream's chunks are handed on themselves, whatever their size", async () => {
    const sent = [filled(3 * MAX_READ_BYTES, 1), filled(7, 2)];
    let next = 0;
    const stream = new ReadableStream<Uint8Array>({ pull: (controller) => (next < sent.length ? controller.enqueue(sent[next++] as Uint8Array) : controller.close()) });
    const chunks = await readAll(stream);
    expect(chunks).toHaveLength(2);
    expect(chunks[0]).toBe(sent[0]);
    expect(chunks[1]).toBe(sent[1]);
  });

  it("cancelling reaches the body with its reason", async () => {
    const body = byteBody([filled(10, 1), filled(10, 2)]);
    const reader = readBody(body.stream);
    await reader.read();
    await reader.cancel("client gone");
    expect(body.cancelled()).toBe("client gone");
  });

  it("the buffers of bodies read at once grow within GROWTH_BUDGET_BYTES together, and give it back when their bodies end, fail or are cancelled", async () => {
    const KiB = 1024;
    expect(GROWTH_BUDGET_BYTES).toBe(16 * MAX_READ_BYTES);
    // Bodies as fast as can be (each read fills its buffer), and a way to make one fail.
    const endless = () => {
      let fail = (): void => {};
      const stream = new ReadableStream({
        type: "bytes",
        start(controller: ReadableByteStreamController) {
          fail = () => controller.error(new Error("origin gone"));
        },
        pull(controller: ReadableByteStreamController) {
          controller.enqueue(filled(4 * MAX_READ_BYTES, 7));
        },
      });
      return { stream, fail: () => fail() };
    };
    const bodies = Array.from({ length: 24 }, endless);
    const readers = bodies.map((body) => readBody(body.stream));
    const sizes: number[][] = readers.map(() => []);
    const readRound = async (which: readonly number[]) => {
      for (const i of which) {
        const next = await (readers[i] as ReturnType<typeof readBody>).read();
        if (!next.done) (sizes[i] as number[]).push(next.value.length);
        expect(readBuffersGrownBytes()).toBeLessThanOrEqual(GROWTH_BUDGET_BYTES);
      }
    };
    const all = readers.map((_, i) => i);
    for (let round = 0; round < 5; round++) await readRound(all);
    // In turn, each doubles its 64 KiB: 24 × (64 + 128 + 256) KiB grown, then 512 KiB more for the first 11 to reach 1 MiB (16 MiB in all); the rest stay at 512 KiB.
    expect(sizes.map((read) => read.at(-1))).toEqual([...Array.from({ length: 11 }, () => MAX_READ_BYTES), ...Array.from({ length: 13 }, () => 512 * KiB)]);
    expect(readBuffersGrownBytes()).toBe(GROWTH_BUDGET_BYTES);
    // Four bodies fail and four are cancelled (1 MiB each): their 8 × 960 KiB come back, and the bodies still read grow into it.
    for (const i of [0, 1, 2, 3]) {
      bodies[i]?.fail();
      await expect((readers[i] as ReturnType<typeof readBody>).read()).rejects.toThrow("origin gone");
    }
    for (const i of [4, 5, 6, 7]) await (readers[i] as ReturnType<typeof readBody>).cancel("client gone");
    expect(readBuffersGrownBytes()).toBe(GROWTH_BUDGET_BYTES - 8 * 960 * KiB);
    const reading = all.slice(8);
    await readRound(reading);
    await readRound(reading);
    // 7.5 MiB back, room for fifteen to double from 512 KiB: the thirteen left there all reach 1 MiB.
    expect(reading.map((i) => (sizes[i] as number[]).at(-1))).toEqual(reading.map(() => MAX_READ_BYTES));
    expect(readBuffersGrownBytes()).toBe(16 * 960 * KiB);
    for (const i of reading) await (readers[i] as ReturnType<typeof readBody>).cancel("done");
    expect(readBuffersGrownBytes()).toBe(0);
  });

  it("a read that came back before a cancel, returning after it, does not grow the buffer again", async () => {
    const body = byteBody([filled(4 * MAX_READ_BYTES, 2)]);
    const reader = readBody(body.stream);
    await reader.read();
    expect(readBuffersGrownBytes()).toBe(MIN_READ_BYTES);
    // The 128 KiB read is answered at once (the data is there), but read() goes on only after the cancel.
    const pending = reader.read();
    await reader.cancel("client gone");
    expect((await pending).done).toBe(false);
    expect(readBuffersGrownBytes()).toBe(0);
  });

  it("a body read to its end gives its buffer's share back", async () => {
    const chunks = await readAll(byteBody([filled(4 * MAX_READ_BYTES, 3)]).stream);
    expect(chunks.at(-2)?.length).toBe(MAX_READ_BYTES);
    expect(readBuffersGrownBytes()).toBe(0);
  });
});
