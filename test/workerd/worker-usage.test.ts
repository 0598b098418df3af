import { createExecutionContext, env, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { decodeMacaroon } from "../../src/macaroon/index.ts";
import { parseChallenge, toHex } from "../../src/l402/index.ts";
import { readInvoice } from "../../src/lightning/index.ts";
import { createWorkerApp } from "../../src/worker/app.ts";
import { invoicesWithMemo, originHits, originUrl, payChallenge, uniquePath, type PaidToken } from "./support/paywall-client.ts";

/**
 * Selling by usage through the Worker in workerd: request-aware prices, a
 * balance in the TokenBalance Durable Object, costs reported after the answer,
 * metered streams. The services are this file's own (L402_SERVICES); the
 * origin is the test origin (test/setup/origin.ts).
 */
const MEMO = `usage-${crypto.randomUUID()}`;
const services = () => [
  { name: "sized", match: ["/sized/*"], price_sats: 1, price_rules: [{ query: { size: "large" }, price_sats: 5 }], origin: { url: originUrl() } },
  { name: "credit", match: ["/credit/*"], price_msat: 1000, balance: { amounts_sats: [100, 20] }, cost_header: "X-L402-Cost", max_cost_sats: 5, origin: { url: originUrl() } },
  { name: "chat", match: ["/stream/chat/*"], price_msat: 500, balance: { amounts_sats: [50, 1] }, meter: { per_1k_input_tokens_msat: 1000, per_1k_output_tokens_msat: 4000 }, origin: { url: originUrl() } },
  { name: "chat_encoded", match: ["/stream/chat-encoded/*"], price_msat: 500, balance: { amounts_sats: [50] }, meter: { per_1k_input_tokens_msat: 1000, per_1k_output_tokens_msat: 4000 }, origin: { url: originUrl() } },
  // The operator's own Accept-Encoding toward the origin does not blind the meter either.
  { name: "chat_encoded_set", match: ["/stream/chat-encoded-set/*"], price_msat: 500, balance: { amounts_sats: [50] }, meter: { per_1k_input_tokens_msat: 1000, per_1k_output_tokens_msat: 4000 }, origin: { url: originUrl(), headers: { "Accept-Encoding": "deflate" } } },
  { name: "trickle", match: ["/stream/download-t/*"], price_msat: 40_000, balance: { amounts_sats: [100] }, meter: { per_kib_msat: 1024 }, origin: { url: originUrl() } },
  { name: "download", match: ["/stream/download/*"], price_msat: 100_000, balance: { amounts_sats: [1000] }, meter: { per_kib_msat: 1024 }, origin: { url: originUrl() } },
  // Priced by the body's stated length: 1 sat up to 100 bytes, else 50.
  { name: "upload", match: ["/stream/upload/*"], price_sats: 50, price_rules: [{ content_length: { max: 100 }, price_sats: 1 }], origin: { url: originUrl() } },
  { name: "quoted", match: ["/quoted/*"], price_sats: 1, pricer: { url: `${originUrl()}/pricer?answer=${encodeURIComponent('{"price_msat":"7000"}')}` }, origin: { url: originUrl() } },
  { name: "pricer_down", match: ["/pricer-down/*"], price_sats: 1, pricer: { url: "http://127.0.0.1:9/price" }, origin: { url: originUrl() } },
  { name: "pricer_zero", match: ["/pricer-zero/*"], price_sats: 1, pricer: { url: `${originUrl()}/pricer?answer=${encodeURIComponent('{"price_msat":"0"}')}` }, origin: { url: originUrl() } },
  { name: "pricer_negative", match: ["/pricer-negative/*"], price_sats: 1, pricer: { url: `${originUrl()}/pricer?answer=${encodeURIComponent('{"price_sats":-3}')}` }, origin: { url: originUrl() } },
];

let usageEnv: object | undefined;
const app = createWorkerApp();

/** A request to the Worker with this file's services; `settled` waits for its work after the answer (a debit, a release). */
async function open(path: string, init?: RequestInit): Promise<{ response: Response; settled: () => Promise<void> }> {
  usageEnv ??= { ...env, L402_SERVICES: JSON.stringify(services()), L402_MEMO: `${MEMO} {service}` };
  const ctx = createExecutionContext();
  const response = await app.fetch(new Request(`https://paywall.test${path}`, init), usageEnv, ctx);
  return { response, settled: () => waitOnExecutionContext(ctx) };
}

async function send(path: string, init?: RequestInit): Promise<Response> {
  const { response, settled } = await open(path, init);
  const body = await response.arrayBuffer();
  await settled();
  return new Response(body, response);
}

const withToken = (token: PaidToken, headers: Record<string, string> = {}): RequestInit => ({ headers: { Authorization: token.authorization, ...headers } });
const tokenIdOf = (token: PaidToken): string => toHex(decodeMacaroon(token.macaroon).identifier.subarray(34, 66));
const amountOf = (response: Response): bigint | undefined => {
  const parsed = parseChallenge(response.headers.get("www-authenticate") ?? "");
  if (!parsed.ok) throw new Error("no L402 challenge");
  const invoice = readInvoice(parsed.value.invoice);
  return invoice.ok ? invoice.value.amountMsat : undefined;
};

/** A token's balance as its Durable Object keeps it (msat). */
async function storedBalance(tokenId: string): Promise<bigint> {
  const namespace = env.L402_BALANCES as NonNullable<typeof env.L402_BALANCES>;
  return runInDurableObject(namespace.get(namespace.idFromName(tokenId)), async (_instance, state) => (await state.storage.get<bigint>("balance")) ?? 0n);
}

async function buy(path: string, headers: Record<string, string> = {}): Promise<PaidToken> {
  return payChallenge(await send(path, { headers }));
}

describe("request-aware prices", () => {
  it("a token bought for a cheap request is refused on an expensive one, with the reason and an invoice at its price", async () => {
    const token = await buy(uniquePath("/sized/a") + "?size=small");
    expect((await send("/sized/x?size=small", withToken(token))).status).toBe(200);
    const path = uniquePath("/sized/big");
    const refused = await send(`${path}?size=large`, withToken(token));
    expect(refused.status).toBe(402);
    expect(await refused.clone().json()).toMatchObject({ reason: "price_exceeds_token", paid_msat: "1000" });
    expect(amountOf(refused)).toBe(5000n);
    expect(await originHits(path)).toBe(0);
    // The dear token buys both.
    const dear = await payChallenge(refused);
    expect((await send(`${path}?size=large`, withToken(dear))).status).toBe(200);
    expect((await send("/sized/y?size=small", withToken(dear))).status).toBe(200);
  });

  it("a body longer than its Content-Length (a caller inside Workers: a Service Binding) is refused 400, never forwarded past what was priced", async () => {
    const upload = (id: string) => `/stream/upload/${id}?id=${id}`;
    const path = upload(crypto.randomUUID());
    const small = () => ({ method: "POST", body: "x".repeat(10), headers: { "Content-Length": "10" } });
    const cheap = await send(path, small());
    expect(amountOf(cheap)).toBe(1000n);
    const token = await payChallenge(cheap);
    const honest = await send(path, { ...small(), headers: { ...small().headers, Authorization: token.authorization } });
    expect(await honest.json()).toMatchObject({ bytes: 10 });
    // Ten bytes stated, 100,000 sent: workerd would send all of them, chunked, to the origin.
    const body = new ReadableStream<Uint8Array>({ start: (controller) => (controller.enqueue(new Uint8Array(100_000)), controller.close()) });
    const id = crypto.randomUUID();
    const lying = await send(upload(id), { method: "POST", body, headers: { Authorization: token.authorization, "Content-Length": "10" } });
    expect(lying.status).toBe(400);
    expect(await lying.json()).toMatchObject({ reason: "body_longer_than_stated", detail: "the request body is longer than its Content-Length" });
    // What the origin received of it (an upload's progress, as the test origin counts it): no more than stated.
    expect(await (await fetch(`${originUrl()}/_origin/progress?id=${id}`)).json()).toMatchObject({ bytes: expect.toSatisfy((bytes: number) => bytes <= 10) });
    // The same body stated as it is costs the dear price.
    const dear = await send(path, { method: "POST", body: new Uint8Array(100_000), headers: { "Content-Length": "100000", Authorization: token.authorization } });
    expect(dear.status).toBe(402);
    expect(await dear.json()).toMatchObject({ reason: "price_exceeds_token" });
  });

  it("a pricer's price is the invoice's, and is minted into the token", async () => {
    const response = await send(uniquePath("/quoted/a"));
    expect(response.status).toBe(402);
    expect(amountOf(response)).toBe(7000n);
    const token = await payChallenge(response);
    const caveats = decodeMacaroon(token.macaroon).caveats.map((caveat) => new TextDecoder().decode(caveat.id));
    expect(caveats).toContain("quoted_price_msat=7000");
    expect((await send("/quoted/b", withToken(token))).status).toBe(200);
  });

  it("a pricer that cannot answer: 503, no invoice, nothing reaches the origin, token or not", async () => {
    const path = uniquePath("/pricer-down/a");
    const before = await invoicesWithMemo(MEMO);
    const response = await send(path);
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).not.toBeNull();
    expect(response.headers.get("www-authenticate")).toBeNull();
    expect(await response.json()).toMatchObject({ reason: "pricer_unavailable" });
    expect(await invoicesWithMemo(MEMO)).toBe(before);
    expect(await originHits(path)).toBe(0);
  });

  it.each([
    ["zero", "/pricer-zero"],
    ["negative", "/pricer-negative"],
  ])("a pricer answering a %s price is a configuration error: 500, no invoice", async (_name, prefix) => {
    const before = await invoicesWithMemo(MEMO);
    const response = await send(uniquePath(prefix));
    expect(response.status).toBe(500);
    expect(response.headers.get("www-authenticate")).toBeNull();
    expect(await response.json()).toMatchObject({ reason: "pricer_invalid" });
    expect(await invoicesWithMemo(MEMO)).toBe(before);
  });
});

describe("prepaid balances", () => {
  it("the 402 sells the listed credit; X-L402-Credit picks another; the token's balance opens at its credit", async () => {
    const first = await send(uniquePath("/credit/a"));
    expect(first.status).toBe(402);
    expect(amountOf(first)).toBe(100_000n);
    expect(await first.clone().json()).toMatchObject({ credit_offers: [{ amount_sats: 100, credit_sats: 100 }, { amount_sats: 20, credit_sats: 20 }] });
    await first.body?.cancel();
    const chosen = await send(uniquePath("/credit/a"), { headers: { "X-L402-Credit": "20" } });
    expect(amountOf(chosen)).toBe(20_000n);
    await chosen.body?.cancel();
    const unknown = await send(uniquePath("/credit/a"), { headers: { "X-L402-Credit": "30" } });
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ reason: "unknown_credit_offer" });
    const token = await payChallenge(await send(uniquePath("/credit/a"), { headers: { "X-L402-Credit": "20" } }));
    const used = await send(`${uniquePath("/credit/b")}?answer_header=X-L402-Cost:1500`, withToken(token));
    expect(used.status).toBe(200);
    expect(used.headers.get("x-l402-balance")).toBe("18500");
    // The cost header is the origin's word to the paywall: stripped before the client.
    expect(used.headers.get("x-l402-cost")).toBeNull();
    expect(await storedBalance(tokenIdOf(token))).toBe(18_500n);
  });

  it("50 concurrent requests: debits add up to the costs reported, never past the balance", async () => {
    const token = await buy(uniquePath("/credit/a"));
    const path = uniquePath("/credit/race");
    // Costs of 1,000..5,900 msat reported by the origin: together more than the 100,000 msat credit, so some must be refused.
    const costs = Array.from({ length: 50 }, (_, i) => 1000 + (i % 50) * 100);
    const responses = await Promise.all(costs.map((cost) => send(`${path}?answer_header=X-L402-Cost:${cost}`, withToken(token))));
    const served = responses.flatMap((response, i) => (response.status === 200 ? [costs[i] as number] : []));
    const refused = responses.filter((response) => response.status === 402);
    expect(served.length + refused.length).toBe(50);
    expect(refused.length).toBeGreaterThan(0);
    for (const response of refused) expect(await response.json()).toMatchObject({ reason: "balance_short", topup_for: tokenIdOf(token) });
    const balance = await storedBalance(tokenIdOf(token));
    expect(balance).toBeGreaterThanOrEqual(0n);
    expect(100_000n - balance).toBe(BigInt(served.reduce((sum, cost) => sum + cost, 0)));
    expect(await originHits(path)).toBe(served.length);
  });

  it("a cost reported above the most a request may cost is charged at that most; a missing or garbled one at the price", async () => {
    const token = await buy(uniquePath("/credit/a"));
    expect((await send(`${uniquePath("/credit/b")}?answer_header=X-L402-Cost:999999`, withToken(token))).headers.get("x-l402-balance")).toBe("95000");
    expect((await send(uniquePath("/credit/b"), withToken(token))).headers.get("x-l402-balance")).toBe("94000");
    expect((await send(`${uniquePath("/credit/b")}?answer_header=X-L402-Cost:-5`, withToken(token))).headers.get("x-l402-balance")).toBe("93000");
  });

  it("charge on success: an origin's 500 costs nothing, a 404 costs as reported", async () => {
    const token = await buy(uniquePath("/credit/a"));
    const failed = await send(`${uniquePath("/credit/b")}?answer_status=500&answer_header=X-L402-Cost:3000`, withToken(token));
    expect(failed.status).toBe(500);
    expect(failed.headers.get("x-l402-balance")).toBe("100000");
    expect(await storedBalance(tokenIdOf(token))).toBe(100_000n);
    const missing = await send(`${uniquePath("/credit/b")}?answer_status=404&answer_header=X-L402-Cost:3000`, withToken(token));
    expect(missing.headers.get("x-l402-balance")).toBe("97000");
  });

  it("a top-up credits the same token exactly once; its replay is refused; the token goes on", async () => {
    const token = await buy(uniquePath("/credit/a"), { "X-L402-Credit": "20" });
    // 20,000 msat at up to 5,000 reserved each: the fifth request finds 0 left.
    for (let i = 0; i < 4; i++) expect((await send(`${uniquePath("/credit/b")}?answer_header=X-L402-Cost:5000`, withToken(token))).status).toBe(200);
    const short = await send(uniquePath("/credit/c"), withToken(token));
    expect(short.status).toBe(402);
    expect(short.headers.get("x-l402-balance")).toBe("0");
    expect(await short.clone().json()).toMatchObject({ reason: "balance_short", balance_msat: "0", required_msat: "5000", topup_for: tokenIdOf(token) });
    // The smallest offer covering what is lacking.
    expect(amountOf(short)).toBe(20_000n);
    const topup = await payChallenge(short);
    const caveats = decodeMacaroon(topup.macaroon).caveats.map((caveat) => new TextDecoder().decode(caveat.id));
    expect(caveats).toContain(`credit_topup=${tokenIdOf(token)}`);
    const credited = await send(`${uniquePath("/credit/d")}?answer_header=X-L402-Cost:2000`, withToken(topup));
    expect(credited.status).toBe(200);
    expect(credited.headers.get("x-l402-balance")).toBe("18000");
    const replayed = await send(uniquePath("/credit/e"), withToken(topup));
    expect(replayed.status).toBe(402);
    expect(await replayed.json()).toMatchObject({ reason: "topup_spent", topup_for: tokenIdOf(token) });
    expect(await storedBalance(tokenIdOf(token))).toBe(18_000n);
    // The original token draws on the topped-up balance.
    expect((await send(`${uniquePath("/credit/f")}?answer_header=X-L402-Cost:1000`, withToken(token))).headers.get("x-l402-balance")).toBe("17000");
  });
});

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
  });
});
