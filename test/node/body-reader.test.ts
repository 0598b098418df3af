import { describe, expect, it } from "vitest";
import { READ_BYTES, readBody } from "../../src/metering/body-reader.ts";

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
  it("a byte stream is read READ_BYTES at a time at most, bytes unchanged", async () => {
    const body = Uint8Array.from({ length: 2 * READ_BYTES + 5 }, (_, i) => i % 251);
    const chunks = await readAll(byteBody([body]).stream);
    expect(chunks.map((chunk) => chunk.length)).toEqual([READ_BYTES, READ_BYTES, 5]);
    expect(Buffer.concat(chunks)).toEqual(Buffer.from(body));
  });

  it("a chunk handed on is never written over by a later read, small (copied out of a kept buffer) or large", async () => {
    const sent = [filled(10, 1), filled(READ_BYTES, 2), filled(100, 3), filled(READ_BYTES / 2, 4), filled(1, 5), filled(10, 6)];
    const chunks = await readAll(byteBody(sent).stream);
    expect(chunks).toEqual(sent);
  });

  it("any other stream's chunks are handed on themselves, whatever their size", async () => {
    const sent = [filled(3 * READ_BYTES, 1), filled(7, 2)];
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
});
