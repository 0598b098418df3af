import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDemoOrigin } from "../../dev/demo-origin.ts";
import { USAGE_ROUTES, usageServices } from "../../dev/demo-usage.ts";
import { createSseDecoder, createUsageReader, streamCost, type SseEvent } from "../../src/metering/index.ts";
import { freePort } from "../../dev/ports.ts";

/** The demo origin's endpoints sold by usage, over a real socket, read as the paywall's meter reads them. */
const SECRET = "demo-origin-test-secret";
let origin: { url: string; close(): Promise<void> };
beforeAll(async () => {
  origin = await startDemoOrigin(await freePort(), SECRET);
});
afterAll(() => origin.close());

const call = (path: string, init: RequestInit = {}) => fetch(`${origin.url}${path}`, { ...init, headers: { "X-L402-Origin-Auth": SECRET, ...init.headers } });

/** Every event of a body, decoded with the paywall's own SSE decoder, chunk by chunk as it arrives. */
async function events(body: ReadableStream<Uint8Array>): Promise<{ events: SseEvent[]; chunks: number }> {
  const decoder = createSseDecoder();
  const read: SseEvent[] = [];
  let chunks = 0;
  for await (const chunk of body) {
    chunks++;
    decoder.push(chunk, (event) => read.push(event));
  }
  return { events: read, chunks };
}

const chatMeter = () => {
  const meter = usageServices({ url: origin.url }).find((service) => service.name === "chat")?.meter;
  return { perThousandInputTokensMsat: BigInt(meter?.per_1k_input_tokens_msat ?? 0), perThousandOutputTokensMsat: BigInt(meter?.per_1k_output_tokens_msat ?? 0) };
};

describe("the demo origin's usage endpoints", () => {
  it("streams a chat completion in the OpenAI shape: usage null in every chunk but the last, then [DONE]; the meter reads its usage", async () => {
    const response = await call(USAGE_ROUTES.chat, { method: "POST", body: JSON.stringify({ messages: [{ role: "user", content: "What is Lightning?" }] }) });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const { events: read, chunks } = await events(response.body as ReadableStream<Uint8Array>);
    // Written a token at a time, not in one piece.
    expect(chunks).toBeGreaterThan(10);
    expect(read.at(-1)?.data).toBe("[DONE]");
    const parsed = read.slice(0, -1).map((event) => JSON.parse(event.data) as { choices: { delta?: { content?: string } }[]; usage: { prompt_tokens: number; completion_tokens: number } | null });
    expect(parsed.slice(0, -1).every((chunk) => chunk.usage === null)).toBe(true);
    const text = parsed.map((chunk) => chunk.choices[0]?.delta?.content ?? "").join("");
    expect(text).toMatch(/^Lightning is a network of payment channels/);
    expect(parsed.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 6, completion_tokens: 50, total_tokens: 56 } });
    const usage = createUsageReader();
    for (const event of read) usage.read(event);
    expect(usage.usage).toEqual({ inputTokens: 6, outputTokens: 50 });
    // What the walkthrough's completion costs at the demo's prices: 6 × 30 + 50 × 60 msat.
    expect(streamCost(chatMeter(), 0, usage.usage)).toBe(3180n);
  });

  it("max_tokens cuts the completion short (finish_reason length), and its usage says so", async () => {
    const response = await call(USAGE_ROUTES.chat, { method: "POST", body: JSON.stringify({ max_tokens: 3, messages: [{ role: "user", content: "Briefly" }] }) });
    const { events: read } = await events(response.body as ReadableStream<Uint8Array>);
    const chunks = read.slice(0, -1).map((event) => JSON.parse(event.data) as { choices: { finish_reason: string | null }[]; usage: unknown });
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe("length");
    expect(chunks.at(-1)?.usage).toEqual({ prompt_tokens: 4, completion_tokens: 3, total_tokens: 7 });
  });

  it("an image's size is its query's; a file is as many KiB as its path says", async () => {
    expect(await (await call(`${USAGE_ROUTES.images}?size=large`)).json()).toMatchObject({ size: "large", pixels: "2048x2048" });
    expect(await (await call(USAGE_ROUTES.images)).json()).toMatchObject({ size: "small" });
    const file = await call(`${USAGE_ROUTES.files}48`);
    expect(file.headers.get("content-type")).toBe("application/octet-stream");
    expect((await file.arrayBuffer()).byteLength).toBe(48 * 1024);
    // Beyond 1 MiB, or not a number: not a file (the origin's echo of what reached it).
    expect(await (await call(`${USAGE_ROUTES.files}2048`)).json()).toMatchObject({ path: `${USAGE_ROUTES.files}2048` });
  });

  it("refuses requests that skip the paywall", async () => {
    const response = await fetch(`${origin.url}${USAGE_ROUTES.chat}`, { method: "POST", body: "{}" });
    expect(response.status).toBe(403);
  });
});
