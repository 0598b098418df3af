import { createExecutionContext, env, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { describe, expect, it, vi } from "vitest";
import { payInvoice } from "../../dev/lnd-sim/payer.ts";
import { fromBase64Lenient, parseChallenge, toHex } from "../../src/l402/index.ts";
import { decodeMacaroon } from "../../src/macaroon/index.ts";
import { formatPaymentCredential, parsePaymentChallenges } from "../../src/payment/index.ts";
import { createWorkerApp } from "../../src/worker/app.ts";
import { invoicesWithMemo, originHits, originUrl, sim } from "./support/paywall-client.ts";

/**
 * Paid MCP tools through the template Worker in workerd, driven by the MCP
 * SDK's own client over Streamable HTTP: a call without a credential is a
 * payment-required result carrying the 402's offers and never reaches the
 * origin; paid through the simulator, the credential in the call's `_meta`
 * runs the tool as a paid request (uses counted, balances debited). The
 * services are this file's own; the origin is the test origin, which echoes.
 */
const MEMO = `mcp-${crypto.randomUUID()}`;
const symbol = { type: "object", properties: { symbol: { type: "string" }, answer_header: { type: "string" } }, required: ["symbol"], additionalProperties: false };
const services = () => [
  { name: "quotes", match: ["/mcp-quotes/*"], price_sats: 2, timeout: 3600, description: "Stock quotes", mcp: { tool: "get_quote", input_schema: symbol, method: "GET", path: "/mcp-quotes/quote" }, origin: { url: originUrl() } },
  { name: "orders", match: ["/mcp-orders/*"], price_sats: 1, uses: 2, mcp: { tool: "place_order", description: "Places an order", input_schema: { type: "object", properties: { item: { type: "string" }, quantity: { type: "integer" } } }, method: "POST", path: "/mcp-orders/order" }, origin: { url: originUrl() } },
  { name: "credit", match: ["/mcp-credit/*"], price_msat: 1000, balance: { amounts_sats: [20] }, cost_header: "X-L402-Cost", max_cost_sats: 5, mcp: { tool: "lookup", input_schema: symbol, path: "/mcp-credit/lookup" }, origin: { url: originUrl() } },
  { name: "charge", match: ["/mcp-charge/*"], price_sats: 3, schemes: ["mpp"], mcp: { tool: "charged", input_schema: symbol, path: "/mcp-charge/once" }, origin: { url: originUrl() } },
  { name: "trial", match: ["/mcp-trial/*"], price_sats: 1, freebies: 1, mcp: { tool: "trial", input_schema: symbol, path: "/mcp-trial/try" }, origin: { url: originUrl() } },
  { name: "elsewhere", match: ["other.example/mcp-elsewhere/*"], price_sats: 1, mcp: { tool: "elsewhere", path: "/mcp-elsewhere/x" }, origin: { url: originUrl() } },
  { name: "sized", match: ["/mcp-sized/*"], price_sats: 1, price_rules: [{ query: { size: "large" }, price_sats: 5 }], mcp: { tool: "sized", input_schema: { type: "object", properties: { size: { enum: ["small", "large"] }, marker: { type: "string" } } }, path: "/mcp-sized/x" }, origin: { url: originUrl() } },
  // Priced by the body's stated length, as an upload is over HTTP: 1 sat up to 100 bytes, else 50.
  { name: "posted", match: ["/mcp-posted/*"], price_sats: 50, price_rules: [{ content_length: { max: 100 }, price_sats: 1 }], mcp: { tool: "post_note", input_schema: { type: "object", properties: { note: { type: "string" } } }, method: "POST", path: "/mcp-posted/note" }, origin: { url: originUrl() } },
  { name: "bound", match: ["/mcp-bound/*"], price_sats: 4, bind_request: true, mcp: { tool: "bound", path: "/mcp-bound/x" }, origin: { url: originUrl() } },
  { name: "big", match: ["/stream/download/*"], price_sats: 1, timeout: 3600, mcp: { tool: "download", input_schema: { type: "object", properties: { size: { type: "integer" }, chunks: { type: "integer" }, id: { type: "string" } } }, path: "/stream/download/mcp" }, origin: { url: originUrl() } },
  { name: "gratis", match: ["/mcp-gratis/*"], auth: false, mcp: { tool: "gratis", description: "Free for all", path: "/mcp-gratis/x" }, origin: { url: originUrl() } },
  { name: "trying", match: ["/mcp-trying/*"], price_sats: 6, mode: "shadow", mcp: { tool: "trying", path: "/mcp-trying/x" }, origin: { url: originUrl() } },
];

const TOOL_NAMES = ["get_quote", "place_order", "lookup", "charged", "trial", "elsewhere", "sized", "post_note", "bound", "download", "gratis", "trying"];
const app = createWorkerApp();
const mcpEnv = (extra: Record<string, string> = {}) => ({ ...env, L402_SERVICES: JSON.stringify(services()), L402_MEMO: `${MEMO} {service}`, ...extra });

/** The Worker's fetch, as the client's transport calls it: each request run to its end (debits, releases) before the answer is read; `cf`, where Cloudflare says it was answered. */
function workerFetch(workerEnv: object, headers: Record<string, string> = {}, cf?: Record<string, string>) {
  return async (url: string | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(url, { ...init, ...(cf === undefined ? {} : { cf }) } as RequestInit);
    for (const [name, value] of Object.entries(headers)) request.headers.set(name, value);
    const ctx = createExecutionContext();
    const response = await app.fetch(request, workerEnv, ctx);
    const body = await response.arrayBuffer();
    await waitOnExecutionContext(ctx);
    return new Response(body.byteLength === 0 && response.status !== 200 ? null : body, response);
  };
}

async function connect(options: { env?: object; path?: string; headers?: Record<string, string>; cf?: Record<string, string> } = {}): Promise<Client> {
  const client = new Client({ name: "worker-mcp-test", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(`https://paywall.test${options.path ?? "/mcp"}`), { fetch: workerFetch(options.env ?? mcpEnv(), options.headers, options.cf) });
  await client.connect(transport);
  return client;
}

type ToolResult = Awaited<ReturnType<Client["callTool"]>> & { structuredContent?: Record<string, unknown>; _meta?: Record<string, unknown> };
const callTool = async (client: Client, name: string, args: Record<string, unknown>, meta?: Record<string, unknown>): Promise<ToolResult> =>
  (await client.callTool({ name, arguments: args, ...(meta === undefined ? {} : { _meta: meta }) })) as ToolResult;

const textOf = (result: ToolResult): string => {
  const [first] = result.content as { type: string; text?: string }[];
  if (first?.type !== "text" || first.text === undefined) throw new Error("no text content");
  return first.text;
};

/** A payment-required result's L402 offer, paid through the simulator: the credential for `_meta`. */
async function payL402(result: ToolResult): Promise<string> {
  const required = result.structuredContent as { www_authenticate: string };
  const challenge = parseChallenge(required.www_authenticate);
  if (!challenge.ok) throw new Error(challenge.detail);
  const paid = await payInvoice({ url: sim().url, macaroonHex: sim().adminMacaroonHex }, challenge.value.invoice);
  expect(paid.status).toBe("SUCCEEDED");
  return `L402 ${String((result.structuredContent as { macaroon: string }).macaroon)}:${String(paid.preimageHex)}`;
}

const marker = () => crypto.randomUUID();

describe("paid MCP tools", () => {
  it("lists the tools: name, description (the price said in it, which a model reads), input schema, and the price in _meta", async () => {
    const client = await connect();
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(TOOL_NAMES);
    expect(tools[0]).toEqual({ name: "get_quote", description: "Stock quotes. Paid over Lightning: 2 sats. Access for 1 hour.", inputSchema: symbol, _meta: { "l402/service": "quotes", "l402/pricing": "static", "l402/price_msat": "2000" } });
    expect(tools.find((tool) => tool.name === "lookup")?.description).toBe("Paid over Lightning from prepaid credit, each call debited (its 402 sells the credit).");
    // Sold by the Payment scheme alone: what one charge buys, not a token's terms.
    expect(tools.find((tool) => tool.name === "charged")?.description).toBe("Paid over Lightning: 3 sats. One request per payment.");
    // A free service's tool is free, its description its own; one in shadow says it is not charged yet.
    expect(tools.find((tool) => tool.name === "gratis")).toMatchObject({ description: "Free for all", _meta: { "l402/service": "gratis", "l402/pricing": "free" } });
    expect(tools.find((tool) => tool.name === "trying")).toMatchObject({ description: "Paid over Lightning: 6 sats. Access without expiry. Not charged yet.", _meta: { "l402/pricing": "static", "l402/price_msat": "6000", "l402/mode": "shadow" } });
    // A price only the 402 tells (its arguments decide it; the first payment buys credit): no flat figure.
    expect(tools.find((tool) => tool.name === "sized")?._meta).toEqual({ "l402/service": "sized", "l402/pricing": "dynamic" });
    expect(tools.find((tool) => tool.name === "lookup")?._meta).toEqual({ "l402/service": "credit", "l402/pricing": "balance" });
    // Bound to its request at one price: a call costs that price.
    expect(tools.find((tool) => tool.name === "bound")?._meta).toEqual({ "l402/service": "bound", "l402/pricing": "static", "l402/price_msat": "4000" });
    expect(tools[1]).toMatchObject({ name: "place_order", description: "Places an order. Paid over Lightning: 1 sat. 2 requests.", inputSchema: { type: "object", properties: { quantity: { type: "integer" } } } });
    expect(tools[2]?.inputSchema).toEqual(symbol);
    expect(client.getServerVersion()).toMatchObject({ name: "l402-edge" });
    await client.close();
  });

  it("a call is logged and counted as where it was answered: its line carries the MCP request's ray id, its data point the colo and country", async () => {
    const points: { blobs?: unknown[] }[] = [];
    const logs = vi.spyOn(console, "log").mockImplementation(() => {});
    let lines: { requestId?: string; outcome?: string; service?: string }[];
    try {
      const client = await connect({ env: { ...mcpEnv(), L402_ANALYTICS: { writeDataPoint: (point: { blobs?: unknown[] }) => void points.push(point) } }, headers: { "CF-Ray": "8f0c0ffee-AKL" }, cf: { country: "NZ", colo: "AKL" } });
      const result = await callTool(client, "get_quote", { symbol: marker() });
      expect(result.isError).toBe(true);
      await client.close();
      lines = logs.mock.calls.map(([line]) => JSON.parse(String(line)) as { requestId?: string; outcome?: string; service?: string });
    } finally {
      logs.mockRestore();
    }
    const call = lines.find((line) => line.service === "quotes");
    expect(call).toMatchObject({ requestId: "8f0c0ffee-AKL", outcome: "challenged" });
    const point = points.find((each) => each.blobs?.[0] === "quotes");
    expect(point?.blobs?.slice(4, 6)).toEqual(["NZ", "AKL"]);
  });

  it("an unpaid call: a payment-required result with the 402's offers (L402 and Payment), the origin never reached", async () => {
    const client = await connect();
    const mark = marker();
    const result = await callTool(client, "get_quote", { symbol: mark });
    expect(result.isError).toBe(true);
    const required = result.structuredContent as Record<string, unknown>;
    expect(required).toMatchObject({ reason: "missing", service: "quotes", price_sats: 2, invoice: expect.stringMatching(/^lnbcrt20n1/), macaroon: expect.any(String), payment_hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const challenge = parseChallenge(String(required["www_authenticate"]));
    expect(challenge.ok && challenge.value.invoice).toBe(required["invoice"]);
    // The same offer in the text content and in _meta, where the x402 MCP clients and Cloudflare's look.
    expect(JSON.parse(textOf(result))).toEqual(required);
    expect(result._meta?.["l402/payment-required"]).toEqual(required);
    expect(await originHits("/mcp-quotes/quote", mark)).toBe(0);

    const charged = await callTool(client, "charged", { symbol: mark });
    expect(charged.isError).toBe(true);
    const [payment] = parsePaymentChallenges(String((charged.structuredContent as Record<string, unknown>)["www_authenticate"]));
    expect(payment).toMatchObject({ method: "lightning", intent: "charge" });
    expect(await originHits("/mcp-charge/once", mark)).toBe(0);
    await client.close();
  });

  it("paid through the simulator, the credential in _meta runs the tool: the origin's answer, once per call", async () => {
    const client = await connect();
    const mark = marker();
    const credential = await payL402(await callTool(client, "get_quote", { symbol: mark }));
    const result = await callTool(client, "get_quote", { symbol: mark }, { "l402/credential": credential });
    expect(result.isError).toBeFalsy();
    const answer = result.structuredContent as { method: string; path: string; query: string; headers: Record<string, string> };
    expect(answer).toMatchObject({ method: "GET", path: "/mcp-quotes/quote", query: `?symbol=${mark}` });
    // The origin's answer is the tool's: the paywall passed it as a paid request (its token named toward the origin, the credential not).
    expect(answer.headers["x-l402-token-id"]).toMatch(/^[0-9a-f]{64}$/);
    expect(answer.headers["authorization"]).toBeUndefined();
    expect(JSON.parse(textOf(result))).toEqual(answer);
    expect(result._meta?.["l402/payment-response"]).toMatchObject({ status: 200 });
    expect(await originHits("/mcp-quotes/quote", mark)).toBe(1);
    // The token is good until it expires: a second call with it runs too.
    expect((await callTool(client, "get_quote", { symbol: mark }, { "l402/credential": credential })).isError).toBeFalsy();
    expect(await originHits("/mcp-quotes/quote", mark)).toBe(2);
    await client.close();
  });

  it("a uses service counts: a POST tool's two paid calls reach the origin with the arguments as JSON, the third is payment-required (exhausted)", async () => {
    const client = await connect();
    const before = await originHits("/mcp-orders/order");
    const credential = await payL402(await callTool(client, "place_order", { item: "apple", quantity: 3 }));
    const first = await callTool(client, "place_order", { item: "apple", quantity: 3 }, { "l402/credential": credential });
    expect(first.structuredContent).toMatchObject({ method: "POST", path: "/mcp-orders/order", bodyBytes: JSON.stringify({ item: "apple", quantity: 3 }).length, headers: { "content-type": "application/json" } });
    expect(first._meta?.["l402/payment-response"]).toMatchObject({ status: 200, headers: { "x-l402-remaining": "1" } });
    expect((await callTool(client, "place_order", { item: "pear" }, { "l402/credential": credential })).isError).toBeFalsy();
    const third = await callTool(client, "place_order", { item: "plum" }, { "l402/credential": credential });
    expect(third.isError).toBe(true);
    expect(third.structuredContent).toMatchObject({ reason: "exhausted", invoice: expect.any(String) });
    expect(await originHits("/mcp-orders/order")).toBe(before + 2);
    await client.close();
  });

  it("a balance tool debits the balance by the cost the origin reports (X-L402-Balance, and its Durable Object)", async () => {
    const client = await connect();
    const mark = marker();
    const unpaid = await callTool(client, "lookup", { symbol: mark });
    expect(unpaid.structuredContent).toMatchObject({ reason: "missing", credit: { amount_sats: 20, credit_sats: 20 } });
    const credential = await payL402(unpaid);
    const result = await callTool(client, "lookup", { symbol: mark, answer_header: "X-L402-Cost:1500" }, { "l402/credential": credential });
    expect(result.isError).toBeFalsy();
    expect(result._meta?.["l402/payment-response"]).toMatchObject({ status: 200, headers: { "x-l402-balance": "18500" } });
    const tokenId = toHex(decodeMacaroon(fromBase64Lenient((unpaid.structuredContent as { macaroon: string }).macaroon) as Uint8Array).identifier.subarray(34, 66));
    const namespace = env.L402_BALANCES as NonNullable<typeof env.L402_BALANCES>;
    const stored = await runInDurableObject(namespace.get(namespace.idFromName(tokenId)), async (_instance, state) => (await state.storage.get<bigint>("balance")) ?? 0n);
    expect(stored).toBe(18_500n);
    await client.close();
  });

  it("a request-aware price follows the call's arguments: the offer is the request's price, and a token bought cheap is refused on a dear call", async () => {
    const client = await connect();
    const mark = marker();
    const small = await callTool(client, "sized", { size: "small", marker: mark });
    expect(small.structuredContent).toMatchObject({ reason: "missing", price_sats: 1 });
    const large = await callTool(client, "sized", { size: "large", marker: mark });
    expect(large.structuredContent).toMatchObject({ reason: "missing", price_sats: 5, invoice: expect.stringMatching(/^lnbcrt50n1/) });
    const cheap = await payL402(small);
    expect((await callTool(client, "sized", { size: "small", marker: mark }, { "l402/credential": cheap })).structuredContent).toMatchObject({ query: `?size=small&marker=${mark}` });
    expect((await callTool(client, "sized", { size: "large", marker: mark }, { "l402/credential": cheap })).structuredContent).toMatchObject({ reason: "price_exceeds_token", price_sats: 5 });
    expect(await originHits("/mcp-sized/x", mark)).toBe(1);
    await client.close();
  });

  it("the Payment scheme's credential in _meta is taken once; its replay is payment-required (spent)", async () => {
    const client = await connect();
    const mark = marker();
    const unpaid = await callTool(client, "charged", { symbol: mark });
    const [challenge] = parsePaymentChallenges(String((unpaid.structuredContent as Record<string, unknown>)["www_authenticate"]));
    if (challenge === undefined) throw new Error("no Payment challenge");
    const paid = await payInvoice({ url: sim().url, macaroonHex: sim().adminMacaroonHex }, String((unpaid.structuredContent as Record<string, unknown>)["invoice"]));
    const credential = formatPaymentCredential({ challenge, payload: { preimage: String(paid.preimageHex) } });
    const result = await callTool(client, "charged", { symbol: mark }, { "l402/credential": credential });
    expect(result.structuredContent).toMatchObject({ method: "GET", query: `?symbol=${mark}` });
    expect(result._meta?.["l402/payment-response"]).toMatchObject({ status: 200, headers: { "payment-receipt": expect.any(String) } });
    const replayed = await callTool(client, "charged", { symbol: mark }, { "l402/credential": credential });
    expect(replayed.isError).toBe(true);
    expect(replayed.structuredContent).toMatchObject({ reason: "spent" });
    expect(await originHits("/mcp-charge/once", mark)).toBe(1);
    await client.close();
  });

  it("a bad credential is payment-required with the reason the 402 gives; a credential that is not text, an error; neither reaches the origin", async () => {
    const client = await connect();
    const mark = marker();
    const unpaid = await callTool(client, "get_quote", { symbol: mark });
    const wrong = `L402 ${String((unpaid.structuredContent as { macaroon: string }).macaroon)}:${"00".repeat(32)}`;
    const refused = await callTool(client, "get_quote", { symbol: mark }, { "l402/credential": wrong });
    expect(refused.isError).toBe(true);
    expect(refused.structuredContent).toMatchObject({ reason: "wrong_preimage", detail: "the preimage does not match the token's payment hash", invoice: expect.any(String) });
    const garbled = await callTool(client, "get_quote", { symbol: mark }, { "l402/credential": "L402 not-a-token" });
    expect(garbled.structuredContent).toMatchObject({ reason: "malformed", invoice: expect.any(String) });
    for (const bad of [42, "L402 a\nb"]) {
      const result = await callTool(client, "get_quote", { symbol: mark }, { "l402/credential": bad });
      expect(result.isError).toBe(true);
      expect(result.structuredContent).toMatchObject({ reason: "invalid_credential" });
    }
    expect(await originHits("/mcp-quotes/quote", mark)).toBe(0);
    await client.close();
  });

  it("arguments the input schema refuses: an error result naming them, no invoice made, nothing sent on", async () => {
    const client = await connect();
    const before = await invoicesWithMemo(MEMO);
    const result = await callTool(client, "get_quote", { ticker: "X" });
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toMatchObject({ reason: "invalid_arguments", detail: expect.stringContaining("symbol") });
    expect(await invoicesWithMemo(MEMO)).toBe(before);
    await expect(client.callTool({ name: "no_such_tool", arguments: {} })).rejects.toThrow(/no_such_tool/);
    await client.close();
  });

  it("free calls are counted per caller's address, as over HTTP", async () => {
    const mark = marker();
    const first = await connect({ headers: { "cf-connecting-ip": "203.0.113.7" } });
    expect((await callTool(first, "trial", { symbol: mark })).structuredContent).toMatchObject({ path: "/mcp-trial/try" });
    expect((await callTool(first, "trial", { symbol: mark })).structuredContent).toMatchObject({ reason: "missing" });
    const other = await connect({ headers: { "cf-connecting-ip": "198.51.100.9" } });
    expect((await callTool(other, "trial", { symbol: mark })).structuredContent).toMatchObject({ path: "/mcp-trial/try" });
    expect(await originHits("/mcp-trial/try", mark)).toBe(2);
    await Promise.all([first.close(), other.close()]);
  });

  it("callers behind one address are told apart by their User-Agent, as over HTTP: each program its own challenge", async () => {
    const mark = marker();
    const cached = mcpEnv({ L402_CHALLENGE_CACHE_SECONDS: "30" });
    const invoiceFor = async (agent: string): Promise<unknown> => {
      const client = await connect({ env: cached, headers: { "cf-connecting-ip": "203.0.113.8", "user-agent": agent } });
      const result = await callTool(client, "get_quote", { symbol: mark });
      await client.close();
      return result.structuredContent?.["invoice"];
    };
    const first = await invoiceFor(`agent-a/${mark}`);
    expect(first).toEqual(expect.stringMatching(/^lnbcrt/));
    // The same program again: the challenge cache's invoice; another program: one of its own, not a stranger's.
    expect(await invoiceFor(`agent-a/${mark}`)).toBe(first);
    expect(await invoiceFor(`agent-b/${mark}`)).not.toBe(first);
  });

  it("a tool whose service is sold on another host is not sold here", async () => {
    const client = await connect();
    const result = await callTool(client, "elsewhere", {});
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toMatchObject({ reason: "tool_unavailable" });
    expect(await originHits("/mcp-elsewhere/x")).toBe(0);
    await client.close();
  });

  it("a POST tool's request states its length, so a price by Content-Length prices it as it would over HTTP", async () => {
    const client = await connect();
    const short = await callTool(client, "post_note", { note: "hi" });
    const long = await callTool(client, "post_note", { note: "x".repeat(200) });
    expect([short.structuredContent?.["price_msat"], long.structuredContent?.["price_msat"]]).toEqual(["1000", "50000"]);
    await client.close();
  });

  it("an answer too large for a tool result is an error, read no further", async () => {
    const client = await connect();
    const credential = await payL402(await callTool(client, "download", {}));
    const id = marker();
    const result = await callTool(client, "download", { id, chunks: 1, size: 5 * 1024 * 1024 }, { "l402/credential": credential });
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toMatchObject({ reason: "answer_too_large" });
    // Charged all the same: the result says so.
    expect(result._meta?.["l402/payment-response"]).toMatchObject({ status: 200 });
    await fetch(`${originUrl()}/_origin/release?id=${id}`, { method: "POST" });
    await client.close();
  });
});

describe("the MCP endpoint", () => {
  it("answers POST only (no session, no stream to hold open); any origin may call it", async () => {
    const call = workerFetch(mcpEnv());
    const get = await call("https://paywall.test/mcp", { headers: { Accept: "text/event-stream" } });
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST, OPTIONS");
    const preflight = await call("https://paywall.test/mcp", { method: "OPTIONS", headers: { Origin: "https://agent.example", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type, mcp-protocol-version" } });
    expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
    expect(preflight.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("mcp-protocol-version");
  });

  it("a tool call in a batch, or a cancellation, is refused whole: nothing runs, nothing reaches the origin", async () => {
    const call = workerFetch(mcpEnv());
    const id = marker();
    const invoicesBefore = await invoicesWithMemo(`${MEMO} quotes`);
    const tool = (n: number) => ({ jsonrpc: "2.0", id: n, method: "tools/call", params: { name: "get_quote", arguments: { symbol: id } } });
    const batches = [[tool(1), tool(2)], [tool(1), { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 1 } }], [{ jsonrpc: "2.0", id: 1, method: "tools/list" }, { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 1 } }]];
    // As JSON, and as bytes the SDK reads the same: after a byte order mark, with a byte that is not UTF-8 inside a string.
    const spellings = batches.flatMap((batch) => {
      const text = JSON.stringify(batch);
      const bom = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(text)]);
      const bad = new TextEncoder().encode(text.replace(id, `${id}\u00ff`)).map((byte, i, all) => (byte === 0xc3 && all[i + 1] === 0xbf ? 0xff : byte));
      return [text, bom, bad];
    });
    for (const body of spellings) {
      const answer = await call("https://paywall.test/mcp", { method: "POST", headers: { "Content-Type": "application/json", Accept: "application/json, text/event-stream" }, body });
      expect(answer.status).toBe(400);
      expect(await answer.json()).toMatchObject({ jsonrpc: "2.0", error: { code: -32600, message: expect.stringContaining("alone") }, id: null });
    }
    expect(await invoicesWithMemo(`${MEMO} quotes`)).toBe(invoicesBefore);
    expect(await originHits("/mcp-quotes/", id)).toBe(0);
    const huge = await call("https://paywall.test/mcp", { method: "POST", headers: { "Content-Type": "application/json", Accept: "application/json, text/event-stream" }, body: JSON.stringify(tool(1)).replace(id, "y".repeat(1024 * 1024)) });
    expect(huge.status).toBe(413);
  });

  it("moves with L402_MCP_PATH; without a tool, there is none", async () => {
    const moved = mcpEnv({ L402_MCP_PATH: "/tools/mcp" });
    const client = await connect({ env: moved, path: "/tools/mcp" });
    expect((await client.listTools()).tools).toHaveLength(TOOL_NAMES.length);
    await client.close();
    expect((await workerFetch(moved)("https://paywall.test/mcp", { method: "POST" })).status).toBe(404);
    const without = { ...env, L402_SERVICES: JSON.stringify([{ name: "q", match: ["/q/*"], price_sats: 1, origin: { url: originUrl() } }]) };
    expect((await workerFetch(without)("https://paywall.test/mcp", { method: "POST" })).status).toBe(404);
  });

  it("discovery names the endpoint and its tools", async () => {
    const document = (await (await workerFetch(mcpEnv())("https://paywall.test/.well-known/l402-services")).json()) as { mcp?: unknown };
    expect(document.mcp).toEqual({ endpoint: "/mcp", transport: "streamable-http", tools: TOOL_NAMES });
  });
});
