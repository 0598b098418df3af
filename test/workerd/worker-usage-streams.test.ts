import { describe, expect, it } from "vitest";
import { originUrl, payChallenge, uniquePath } from "./support/paywall-client.ts";
import { storedBalance, tokenIdOf, usageClient, withToken } from "./support/usage-client.ts";
import { env } from "cloudflare:test";
import { encodeMacaroon, sha256 } from "../../src/macaroon/index.ts";
import { formatAuthorization, mint, parseMasterKeys, serviceCaveats, toBase64, toHex } from "../../src/l402/index.ts";

/**
 * Metered streams through the Worker in workerd: a balance debited by the
 * usage an LLM stream reports or by the bytes a download passes, a client
 * that leaves midway, a balance that runs out mid-stream. The services are
 * this file's own (L402_SERVICES); the origin is the test origin
 * (test/setup/origin.ts).
 */
const services = () => [
  { name: "chat", match: ["/stream/chat/*"], price_msat: 500, balance: { amounts_sats: [50, 1] }, meter: { per_1k_input_tokens_msat: 1000, per_1k_output_tokens_msat: 4000 }, origin: { url: originUrl() } },
  { name: "chat_encoded", match: ["/stream/chat-encoded/*"], price_msat: 500, balance: { amounts_sats: [50] }, meter: { per_1k_input_tokens_msat: 1000, per_1k_output_tokens_msat: 4000 }, origin: { url: originUrl() } },
  // The operator's own Accept-Encoding toward the origin does not blind the meter either.
  { name: "chat_encoded_set", match: ["/stream/chat-encoded-set/*"], price_msat: 500, balance: { amounts_sats: [50] }, meter: { per_1k_input_tokens_msat: 1000, per_1k_output_tokens_msat: 4000 }, origin: { url: originUrl(), headers: { "Accept-Encoding": "deflate" } } },
  // Reserves max_cost_sats (5,000 msat), ten times its price.
  // Its tokens expire sooner than a top-up's invoice (10 minutes) could be paid and sent.
  { name: "chat_brief", match: ["/stream/chat-brief/*"], price_msat: 500, timeout: 300, balance: { amounts_sats: [1] }, meter: { per_1k_input_tokens_msat: 1000, per_1k_output_tokens_msat: 4000 }, origin: { url: originUrl() } },
  { name: "chat_capped", match: ["/stream/chat-capped/*"], price_msat: 500, max_cost_sats: 5, balance: { amounts_sats: [50] }, meter: { per_1k_input_tokens_msat: 1000, per_1k_output_tokens_msat: 4000 }, origin: { url: originUrl() } },
  { name: "trickle", match: ["/stream/download-t/*"], price_msat: 40_000, balance: { amounts_sats: [100] }, meter: { per_kib_msat: 1024 }, origin: { url: originUrl() } },
  // Paused: sells nothing new; a token minted before the pause (minted here, with the stack's key) still passes.
  { name: "chat_paused", match: ["/stream/chat-paused/*"], mode: "paused", price_msat: 500, balance: { amounts_sats: [1] }, meter: { per_1k_input_tokens_msat: 1000, per_1k_output_tokens_msat: 4000 }, origin: { url: originUrl() } },
  { name: "download", match: ["/stream/download/*"], price_msat: 100_000, balance: { amounts_sats: [1000] }, meter: { per_kib_msat: 1024 }, origin: { url: originUrl() } },
  // An event stream priced by its bytes alone (a msat a byte): its leases run out between events.
  { name: "chat_bytes", match: ["/stream/chat-bytes/*"], price_msat: 500, balance: { amounts_sats: [1] }, meter: { per_kib_msat: 1024 }, origin: { url: originUrl() } },
];
const { open, send, buy } = usageClient(services, `usage-streams-${crypto.randomUUID()}`);

describe("metered streams", () => {
  it("a streamed completion is debited by the usage it reports", async () => {
    const token = await buy(uniquePath("/stream/chat/a"));
    const { response, settled } = await open(`${uniquePath("/stream/chat/b")}?tokens=250&prompt=3000`, withToken(token));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const text = await response.text();
    await settled();
    expect(text).toContain('"completion_tokens":250');
    expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);
    // 3,000 input tokens at 1,000 msat per 1,000, 250 output at 4,000: 4,000 msat.
    expect(await storedBalance(tokenIdOf(token))).toBe(50_000n - 4000n);
  });

  it("a completion streamed by OpenAI's Responses API is debited by the usage its response.completed reports", async () => {
    const token = await buy(uniquePath("/stream/chat/a"));
    const { response, settled } = await open(`${uniquePath("/stream/chat/b")}?format=responses&tokens=500&prompt=7000`, withToken(token));
    expect(response.status).toBe(200);
    const text = await response.text();
    await settled();
    expect(text.trimEnd().endsWith("}")).toBe(true);
    expect(text).toContain("event: response.completed");
    // 7,000 input tokens at 1,000 msat per 1,000, 500 output at 4,000: 9,000 msat.
    expect(await storedBalance(tokenIdOf(token))).toBe(50_000n - 9000n);
  });

  it("an Anthropic stream is debited by the output its message_delta reports, past the one token message_start states", async () => {
    const token = await buy(uniquePath("/stream/chat/a"));
    const { response, settled } = await open(`${uniquePath("/stream/chat/b")}?format=anthropic&tokens=250&prompt=3000`, withToken(token));
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("event: message_stop");
    await settled();
    // 3,000 input tokens at 1,000 msat per 1,000, 250 output at 4,000: 4,000 msat.
    expect(await storedBalance(tokenIdOf(token))).toBe(50_000n - 4000n);
  });

  it.each([
    // 10 input tokens and the 1 output token message_start states: 14 msat; with the first reservation (the price, 500) for the output.
    [10, 14n + 500n],
    // 3,000 input tokens (3,000 msat, past the first reservation): the output is not free either.
    [3000, 3004n + 500n],
  ])("a client that leaves an Anthropic stream before its output is counted pays its input and the first reservation for the output (prompt %i)", async (prompt, debit) => {
    const token = await buy(uniquePath("/stream/chat/a"));
    const id = crypto.randomUUID();
    const { response, settled } = await open(`${uniquePath("/stream/chat/b")}?format=anthropic&tokens=250&prompt=${prompt}&id=${id}`, withToken(token));
    expect(response.status).toBe(200);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toContain(`"input_tokens":${prompt},"output_tokens":1`);
    await reader.cancel("client gone");
    await settled();
    expect(await storedBalance(tokenIdOf(token))).toBe(50_000n - debit);
    await fetch(`${originUrl()}/_origin/release?id=${id}`, { method: "POST" });
  });

  it.each([
    // 10 input tokens: 10 msat; with the first reservation (the price, 500) for the output.
    [10, 510n],
    [3000, 3500n],
  ])("a client that leaves a Gemini stream whose chunks count the prompt alone pays its input and the first reservation for the output (prompt %i)", async (prompt, debit) => {
    const token = await buy(uniquePath("/stream/chat/a"));
    const id = crypto.randomUUID();
    const { response, settled } = await open(`${uniquePath("/stream/chat/b")}?format=gemini-prompt-first&tokens=250&prompt=${prompt}&id=${id}`, withToken(token));
    expect(response.status).toBe(200);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain(`"usageMetadata":{"promptTokenCount":${prompt},"totalTokenCount":${prompt}}`);
    await reader.cancel("client gone");
    await settled();
    expect(await storedBalance(tokenIdOf(token))).toBe(50_000n - debit);
    await fetch(`${originUrl()}/_origin/release?id=${id}`, { method: "POST" });
  });

  it("a Gemini stream whose chunks count the prompt alone, read to its end, is debited by the counts of its last", async () => {
    const token = await buy(uniquePath("/stream/chat/a"));
    const { response, settled } = await open(`${uniquePath("/stream/chat/b")}?format=gemini-prompt-first&tokens=250&prompt=3000`, withToken(token));
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('"finishReason":"STOP"');
    await settled();
    // 3,000 input tokens at 1,000 msat per 1,000, 250 output at 4,000: 4,000 msat.
    expect(await storedBalance(tokenIdOf(token))).toBe(50_000n - 4000n);
  });

  it("an Anthropic stream whose origin breaks off after message_start (as a client leaving may look) pays its input and the first reservation for the output", async () => {
    const token = await buy(uniquePath("/stream/chat/a"));
    const id = crypto.randomUUID();
    const { response, settled } = await open(`${uniquePath("/stream/chat/b")}?format=anthropic&tokens=250&prompt=10&then=reset&id=${id}`, withToken(token));
    expect(response.status).toBe(200);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain('"output_tokens":1');
    await fetch(`${originUrl()}/_origin/release?id=${id}`, { method: "POST" });
    await reader.read().then(() => reader.read()).catch(() => undefined);
    await settled();
    // 10 input tokens and the 1 output token message_start states: 14 msat; with the first reservation (the price, 500).
    expect(await storedBalance(tokenIdOf(token))).toBe(50_000n - 514n);
  });

  it("a client that leaves before the first byte of a completion pays the first reservation: the origin has its prompt", async () => {
    const token = await buy(uniquePath("/stream/chat/a"));
    const id = crypto.randomUUID();
    const { response, settled } = await open(`${uniquePath("/stream/chat/b")}?tokens=250&prompt=3000&first=held&id=${id}`, withToken(token));
    expect(response.status).toBe(200);
    await response.body?.cancel("client gone");
    await settled();
    expect(await storedBalance(tokenIdOf(token))).toBe(50_000n - 500n);
    await fetch(`${originUrl()}/_origin/release?id=${id}`, { method: "POST" });
  });

  it("an Anthropic stream the API breaks off with an error event (its output never counted) costs what it counted", async () => {
    const token = await buy(uniquePath("/stream/chat/a"));
    const { response, settled } = await open(`${uniquePath("/stream/chat/b")}?format=anthropic-overloaded&tokens=5&prompt=2000`, withToken(token));
    expect(await response.text()).toContain("overloaded_error");
    await settled();
    // 2,000 input tokens at 1,000 msat per 1,000 and the 1 output token message_start states: 2,004 msat.
    expect(await storedBalance(tokenIdOf(token))).toBe(50_000n - 2004n);
  });

  it("a Gemini stream is debited by the counts its last chunk reports", async () => {
    const token = await buy(uniquePath("/stream/chat/a"));
    const { response, settled } = await open(`${uniquePath("/stream/chat/b")}?format=gemini&tokens=300&prompt=2000`, withToken(token));
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('"candidatesTokenCount":300,');
    await settled();
    // 2,000 input tokens at 1,000 msat per 1,000, 300 output at 4,000: 3,200 msat.
    expect(await storedBalance(tokenIdOf(token))).toBe(50_000n - 3200n);
  });

  it("a completion not streamed (one JSON answer) is debited by the usage it reports, not let go at the first reservation", async () => {
    const token = await buy(uniquePath("/stream/chat/a"));
    const { response, settled } = await open(`${uniquePath("/stream/chat/b")}?format=whole&tokens=250&prompt=3000`, withToken(token));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ object: "chat.completion", usage: { completion_tokens: 250 } });
    await settled();
    // 3,000 input tokens at 1,000 msat per 1,000, 250 output at 4,000: 4,000 msat (its first reservation: 500).
    expect(await storedBalance(tokenIdOf(token))).toBe(50_000n - 4000n);
  });

  it("an error the LLM API answers (a 4xx reporting no usage) costs the request's price, not its first reservation", async () => {
    const token = await buy(uniquePath("/stream/chat-capped/a"));
    const { response, settled } = await open(`${uniquePath("/stream/chat-capped/b")}?format=bogus`, withToken(token));
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("format is");
    await settled();
    // Reserved 5,000 msat (max_cost_sats); debited 500, the price.
    expect(await storedBalance(tokenIdOf(token))).toBe(50_000n - 500n);
  });

  it("a HEAD the origin answers 2xx costs the first reservation: its GET's work was done, and the usage that would say what it cost never sent", async () => {
    const token = await buy(uniquePath("/stream/chat-capped/a"));
    const { response, settled } = await open(`${uniquePath("/stream/chat-capped/b")}?tokens=250&prompt=3000`, { method: "HEAD", ...withToken(token) });
    expect([response.status, response.headers.get("x-l402-balance"), await response.text()]).toEqual([200, "45000", ""]);
    await settled();
    // Reserved 5,000 msat (max_cost_sats), all debited; a GET would have cost 4,000 by its usage.
    expect(await storedBalance(tokenIdOf(token))).toBe(50_000n - 5000n);
  });

  it("an Ollama chat streamed as NDJSON is debited by the counts its last line reports", async () => {
    const token = await buy(uniquePath("/stream/chat/a"));
    const { response, settled } = await open(`${uniquePath("/stream/chat/b")}?format=ollama&tokens=250&prompt=3000`, withToken(token));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/x-ndjson");
    const lines = (await response.text()).trimEnd().split("\n");
    await settled();
    expect(lines).toHaveLength(251);
    expect(JSON.parse(lines.at(-1) as string)).toMatchObject({ done: true, prompt_eval_count: 3000, eval_count: 250 });
    // 3,000 input tokens at 1,000 msat per 1,000, 250 output at 4,000: 4,000 msat (unread, it would cost its first reservation: 500).
    expect(await storedBalance(tokenIdOf(token))).toBe(50_000n - 4000n);
  });

  it("an Ollama chat whose last line comes without its LF is debited by the counts it reports (its clients read it)", async () => {
    const token = await buy(uniquePath("/stream/chat/a"));
    const { response, settled } = await open(`${uniquePath("/stream/chat/b")}?format=ollama&tokens=250&prompt=3000&last=unended`, withToken(token));
    const text = await response.text();
    await settled();
    expect(text.endsWith("}")).toBe(true);
    expect(await storedBalance(tokenIdOf(token))).toBe(50_000n - 4000n);
  });

  it("an Ollama chat that runs out of balance ends with a line that says so, as Ollama writes its errors, with the top-up offer", async () => {
    const token = await buy(uniquePath("/stream/chat/a"), { "X-L402-Credit": "1" });
    // 1,000 msat of credit, 500 leased at first; 2,000 output tokens would cost 8,000 (told in the last line).
    const { response, settled } = await open(`${uniquePath("/stream/chat/b")}?format=ollama&tokens=2000&prompt=10`, withToken(token));
    expect(response.status).toBe(200);
    const lines = (await response.text()).split("\n");
    await settled();
    expect(lines.pop()).toBe("");
    const last = JSON.parse(lines.pop() as string) as { error: string; l402: { reason: string; topup_for: string; invoice: string } };
    expect(typeof last.error).toBe("string");
    expect(last.error).toContain("the balance ran out");
    expect(last.l402).toMatchObject({ reason: "balance_exhausted", topup_for: tokenIdOf(token) });
    expect(last.l402.invoice).toMatch(/^lnbcrt/);
    // Every line before it is a whole token line; none says done.
    expect(lines).toHaveLength(2000);
    for (const line of lines) expect(JSON.parse(line)).toMatchObject({ done: false });
    expect(await storedBalance(tokenIdOf(token))).toBeGreaterThanOrEqual(0n);
  });

  it("an Ollama chat not streamed (one JSON answer) is debited by the counts it reports", async () => {
    const token = await buy(uniquePath("/stream/chat/a"));
    const { response, settled } = await open(`${uniquePath("/stream/chat/b")}?format=ollama-whole&tokens=250&prompt=3000`, withToken(token));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ done: true, eval_count: 250 });
    await settled();
    expect(await storedBalance(tokenIdOf(token))).toBe(50_000n - 4000n);
  });

  it.each(["deflate", "zstd, deflate", "gzip", "identity"])("a client asking for the content coding %s is debited by the usage all the same: the origin is asked for the answer uncoded", async (coding) => {
    const token = await buy(uniquePath("/stream/chat-encoded/a"));
    const { response, settled } = await open(`${uniquePath("/stream/chat-encoded/b")}?tokens=250&prompt=3000`, withToken(token, { "Accept-Encoding": coding }));
    expect(response.status).toBe(200);
    const body = await response.arrayBuffer();
    await settled();
    // 3,000 input tokens at 1,000 msat per 1,000, 250 output at 4,000: 4,000 msat (a deflated body, unread, would cost its first lease: 500).
    expect(await storedBalance(tokenIdOf(token))).toBe(50_000n - 4000n);
    expect(response.headers.get("content-encoding")).toBeNull();
    expect(new TextDecoder().decode(body)).toContain('"completion_tokens":250');
  });

  it("a service whose origin.headers ask for a coding is still answered uncoded on a metered request", async () => {
    const token = await buy(uniquePath("/stream/chat-encoded-set/a"));
    const { response, settled } = await open(`${uniquePath("/stream/chat-encoded-set/b")}?tokens=250&prompt=3000`, withToken(token));
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('"completion_tokens":250');
    await settled();
    expect(await storedBalance(tokenIdOf(token))).toBe(50_000n - 4000n);
  });

  it("a client that leaves midway is debited for what it received", async () => {
    const token = await buy(uniquePath("/stream/download/a"));
    const id = crypto.randomUUID();
    const { response, settled } = await open(`${uniquePath("/stream/download/b")}?id=${id}&chunks=16&size=65536`, withToken(token));
    expect(response.status).toBe(200);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    let received = 0;
    while (received < 65536) received += (await reader.read()).value?.length ?? 0;
    await reader.cancel("client gone");
    await settled();
    // 1,024 msat per KiB: a msat a byte, for the bytes received and nothing more.
    expect(received).toBe(65536);
    expect(await storedBalance(tokenIdOf(token))).toBe(1_000_000n - 65_536n);
    await fetch(`${originUrl()}/_origin/release?id=${id}`, { method: "POST" });
  });

  it("a body outrunning its balance goes on as far as the balance pays, then breaks off", async () => {
    const token = await buy(uniquePath("/stream/download-t/a"));
    const id = crypto.randomUUID();
    await fetch(`${originUrl()}/_origin/release?id=${id}`, { method: "POST" });
    const { response, settled } = await open(`${uniquePath("/stream/download-t/b")}?id=${id}&chunks=20&size=8192`, withToken(token));
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    let received = 0;
    let failed: unknown;
    for (;;) {
      const next = await reader.read().catch((error: unknown) => ((failed = error), { done: true as const, value: undefined }));
      if (next.done) break;
      received += next.value.length;
    }
    await settled();
    // 100,000 msat at a msat a byte: leases of 40,000, 40,000, then the 20,000 left: twelve 8 KiB chunks, not a thirteenth.
    expect(failed).toBeDefined();
    expect(received).toBe(12 * 8192);
    expect(await storedBalance(tokenIdOf(token))).toBe(100_000n - BigInt(12 * 8192));
  });

  it("a stream that runs out of balance ends with an event that says so, with the top-up offer", async () => {
    const token = await buy(uniquePath("/stream/chat/a"), { "X-L402-Credit": "1" });
    // 1,000 msat of credit, 500 leased at first; 2,000 output tokens would cost 8,000 (told in the last chunk).
    const { response, settled } = await open(`${uniquePath("/stream/chat/b")}?tokens=2000&prompt=10`, withToken(token));
    expect(response.status).toBe(200);
    const text = await response.text();
    await settled();
    const events = text.split(/\r?\n\r?\n/).filter((event) => event.trim() !== "");
    const last = events.at(-1) as string;
    expect(last.startsWith("event: error\ndata: ")).toBe(true);
    const data = JSON.parse(last.slice("event: error\ndata: ".length)) as { error: { type: string }; l402: { reason: string; topup_for: string; invoice: string; macaroon: string } };
    expect(data.error.type).toBe("balance_exhausted");
    expect(data.l402).toMatchObject({ reason: "balance_exhausted", topup_for: tokenIdOf(token) });
    expect(data.l402.invoice).toMatch(/^lnbcrt/);
    // Every event before it is whole, and no [DONE]: the completion did not end.
    expect(text).not.toContain("[DONE]");
    for (const event of events.slice(0, -1)) expect(() => JSON.parse(event.replace(/^data: /, ""))).not.toThrow();
    expect(await storedBalance(tokenIdOf(token))).toBeGreaterThanOrEqual(0n);
    expect(BigInt((data.l402 as { balance_msat?: string }).balance_msat ?? "-1")).toBe(await storedBalance(tokenIdOf(token)));
  });

  it("a stream priced by its bytes that runs out of balance says what the balance holds once it is settled: what its last lease did not pay for is given back", async () => {
    const token = await buy(uniquePath("/stream/chat-bytes/a"));
    const { response, settled } = await open(`${uniquePath("/stream/chat-bytes/b")}?tokens=2000&prompt=10`, withToken(token));
    expect(response.status).toBe(200);
    const text = await response.text();
    await settled();
    const events = text.split(/\r?\n\r?\n/).filter((event) => event.trim() !== "");
    const data = JSON.parse((events.at(-1) as string).slice("event: error\ndata: ".length)) as { l402: { reason: string; balance_msat: string } };
    expect(data.l402.reason).toBe("balance_exhausted");
    // A msat a byte: what passed before the event cost what it is long; the rest of the 1,000 msat is the balance, and the event says so.
    const passed = new TextEncoder().encode(text.slice(0, text.lastIndexOf("event: error"))).length;
    expect(await storedBalance(tokenIdOf(token))).toBe(1000n - BigInt(passed));
    expect(data.l402.balance_msat).toBe(String(1000 - passed));
    expect(1000 - passed).toBeGreaterThan(0);
  });

  it("on a paused service, a stream that runs out of balance ends saying so, with no top-up offered (nothing new is sold)", async () => {
    const keyring = parseMasterKeys((env as { L402_MASTER_KEYS?: string }).L402_MASTER_KEYS);
    if (!keyring.ok) throw new Error(keyring.detail);
    const preimage = crypto.getRandomValues(new Uint8Array(32));
    const minted = mint({ keyring: keyring.value, paymentHash: sha256(preimage), caveats: serviceCaveats({ service: "chat_paused", validUntil: Math.floor(Date.now() / 1000) + 3600, creditMsat: 1000n }) });
    const bytes = encodeMacaroon(minted.macaroon);
    const token = { macaroon: bytes, macaroonBase64: toBase64(bytes), preimageHex: toHex(preimage), authorization: formatAuthorization(toBase64(bytes), toHex(preimage)) };
    const { response, settled } = await open(`${uniquePath("/stream/chat-paused/b")}?tokens=2000&prompt=10`, withToken(token));
    expect(response.status).toBe(200);
    const text = await response.text();
    await settled();
    const last = text.split(/\r?\n\r?\n/).filter((event) => event.trim() !== "").at(-1) as string;
    const data = JSON.parse(last.slice("event: error\ndata: ".length)) as { error: { message: string }; l402: Record<string, unknown> };
    expect(data.error.message).toBe("the balance ran out, and this service sells nothing now (paused): no top-up is offered until it sells again");
    expect(data.l402).toEqual({ reason: "balance_exhausted", balance_msat: expect.any(String), service_paused: true });
  });

  it("a token expiring before a top-up could be paid and sent is offered none: its stream ends saying to buy a new token, and its next request's 402 sells one", async () => {
    const token = await buy(uniquePath("/stream/chat-brief/a"));
    const { response, settled } = await open(`${uniquePath("/stream/chat-brief/b")}?tokens=2000&prompt=10`, withToken(token));
    const text = await response.text();
    await settled();
    const last = text.split(/\r?\n\r?\n/).filter((event) => event.trim() !== "").at(-1) as string;
    const data = JSON.parse(last.slice("event: error\ndata: ".length)) as { error: { message: string }; l402: Record<string, unknown> };
    expect(data.error.message).toBe("the balance ran out, and this token expires too soon for a top-up: buy a new token");
    expect(data.l402).toEqual({ reason: "balance_exhausted", balance_msat: expect.any(String) });
    const next = await send(uniquePath("/stream/chat-brief/c"), withToken(token));
    expect(next.status).toBe(402);
    const refusal = (await next.clone().json()) as Record<string, unknown>;
    expect(refusal).toMatchObject({ reason: "balance_short", detail: expect.stringContaining("buy a new token") });
    expect(refusal["topup_for"]).toBeUndefined();
    // What the 402 sells is a token of its own: paid, it opens a balance of its own.
    const fresh = payChallenge(next);
    expect(tokenIdOf(await fresh)).not.toBe(tokenIdOf(token));
  });
});
