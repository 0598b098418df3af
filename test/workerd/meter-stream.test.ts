import { describe, expect, it } from "vitest";
import { meterStream } from "../../src/metering/index.ts";
import { eventsMayCarryUsage, eventsMayCarryUsageInText } from "../../src/metering/usage-key.ts";
import { meterStreamContract, readAll, recordingHooks } from "../fixtures/meter-stream-contract.ts";
import { originUrl } from "./support/paywall-client.ts";

describe("meterStream inside workerd", () => meterStreamContract());

it("in workerd, whole events are searched for usage keys as text (a native decode and indexOf: about half the byte search's CPU)", () => {
  expect(eventsMayCarryUsage).toBe(eventsMayCarryUsageInText);
});

const KiB64 = 64 * 1024;

async function closedEarly(id: string): Promise<boolean> {
  for (let attempt = 0; attempt < 400; attempt++) {
    const { closedEarly } = (await (await fetch(`${originUrl()}/_origin/download?id=${id}`)).json()) as { closedEarly: boolean };
    if (closedEarly) return true;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return false;
}

/**
 * The origin's body as a Worker gets it (a fetch over a loopback socket), and
 * the metered body as it hands it back (a Response): what matters in workerd
 * is that a client leaving reaches the origin, and an origin failing reaches
 * the client.
 */
describe("a metered origin body inside workerd, over a real socket", { timeout: 30_000 }, () => {
  it("the origin's body is read in the chunks that have arrived, not workerd's 4 KiB at a time", async () => {
    const id = crypto.randomUUID();
    await fetch(`${originUrl()}/_origin/release?id=${id}`, { method: "POST" });
    const upstream = await fetch(`${originUrl()}/stream/download?id=${id}&chunks=16&size=${KiB64}`);
    const { hooks, settled } = recordingHooks();
    const { chunks } = await readAll(new Response(meterStream(upstream.body as ReadableStream<Uint8Array>, null, { perKibMsat: 1n }, 10n ** 9n, hooks)).body as ReadableStream<Uint8Array>);
    expect(chunks.reduce((sum, chunk) => sum + chunk.length, 0)).toBe(16 * KiB64);
    // The origin writes 64 KiB at a time: a reader that takes what has arrived gets more than 4 KiB in a read.
    expect(Math.max(...chunks.map((chunk) => chunk.length))).toBeGreaterThan(4096);
    expect(settled).toMatchObject([{ bytes: 16 * KiB64, ended: "complete" }]);
  });

  it("a client that leaves tears down the origin's fetch, and is settled as cancelled for what it received", async () => {
    const id = crypto.randomUUID();
    const upstream = await fetch(`${originUrl()}/stream/download?id=${id}&chunks=16&size=${KiB64}`);
    const { hooks, settled } = recordingHooks();
    const response = new Response(meterStream(upstream.body as ReadableStream<Uint8Array>, upstream.headers.get("content-type"), { perKibMsat: 1024n }, 10n ** 9n, hooks));
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    let received = 0;
    while (received < KiB64) received += (await reader.read()).value?.length ?? 0;
    await reader.cancel("client gone");
    expect(await closedEarly(id)).toBe(true);
    expect(settled).toEqual([{ costMsat: BigInt(received), bytes: received, usage: undefined, provisional: false, ended: "cancelled" }]);
  });

  it("an origin that resets mid-body fails the client's body (it never looks complete), settled as errored", async () => {
    const id = crypto.randomUUID();
    const upstream = await fetch(`${originUrl()}/stream/download?id=${id}&chunks=16&size=${KiB64}&then=reset`);
    const { hooks, settled } = recordingHooks();
    const metered = new Response(meterStream(upstream.body as ReadableStream<Uint8Array>, null, { perKibMsat: 1024n }, 10n ** 9n, hooks)).body as ReadableStream<Uint8Array>;
    const reader = metered.getReader();
    let received = 0;
    while (received < KiB64) received += (await reader.read()).value?.length ?? 0;
    reader.releaseLock();
    await fetch(`${originUrl()}/_origin/release?id=${id}`, { method: "POST" });
    const rest = await readAll(metered);
    expect(rest.error).toBeDefined();
    expect(received + rest.chunks.reduce((sum, chunk) => sum + chunk.length, 0)).toBe(KiB64);
    expect(settled).toEqual([{ costMsat: BigInt(KiB64), bytes: KiB64, usage: undefined, provisional: false, ended: "errored" }]);
  });

  it("a body that runs out of balance fails the client's body at what the lease covers, settled as exhausted", async () => {
    const id = crypto.randomUUID();
    // 32 MiB: more than the sockets between hold, so the origin is still sending when the balance runs out.
    const upstream = await fetch(`${originUrl()}/stream/download?id=${id}&chunks=512&size=${KiB64}`);
    const { hooks, settled } = recordingHooks([undefined]);
    const metered = new Response(meterStream(upstream.body as ReadableStream<Uint8Array>, null, { perKibMsat: 1024n }, BigInt(KiB64), hooks)).body as ReadableStream<Uint8Array>;
    const reading = readAll(metered);
    await fetch(`${originUrl()}/_origin/release?id=${id}`, { method: "POST" });
    const { chunks, error } = await reading;
    expect(error).toMatchObject({ reason: "balance_exhausted" });
    expect(chunks.reduce((sum, chunk) => sum + chunk.length, 0)).toBeLessThanOrEqual(KiB64);
    expect(settled).toMatchObject([{ ended: "exhausted", bytes: KiB64 }]);
  });
});
