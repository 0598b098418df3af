import { describe, expect, it } from "vitest";
import { decodeMacaroon } from "../../src/macaroon/index.ts";
import { invoicesWithMemo, originHits, originUrl, payChallenge, uniquePath } from "./support/paywall-client.ts";
import { amountOf, storedBalance, tokenIdOf, usageClient, withToken } from "./support/usage-client.ts";

/**
 * Selling by usage through the Worker in workerd: request-aware prices, a
 * balance in the TokenBalance Durable Object, costs reported after the answer
 * (metered streams: worker-usage-streams.test.ts). The services are this
 * file's own (L402_SERVICES); the origin is the test origin
 * (test/setup/origin.ts).
 */
const MEMO = `usage-${crypto.randomUUID()}`;
const services = () => [
  { name: "sized", match: ["/sized/*"], price_sats: 1, price_rules: [{ query: { size: "large" }, price_sats: 5 }], origin: { url: originUrl() } },
  { name: "credit", match: ["/credit/*"], price_msat: 1000, balance: { amounts_sats: [100, 20] }, cost_header: "X-L402-Cost", max_cost_sats: 5, price_rules: [{ query: { tier: "dear" }, price_sats: 50 }], origin: { url: originUrl() } },
  // Priced by the body's stated length: 1 sat up to 100 bytes, else 50.
  { name: "upload", match: ["/stream/upload/*"], price_sats: 50, price_rules: [{ content_length: { max: 100 }, price_sats: 1 }], origin: { url: originUrl() } },
  { name: "quoted", match: ["/quoted/*"], price_sats: 1, pricer: { url: `${originUrl()}/pricer?answer=${encodeURIComponent('{"price_msat":"7000"}')}` }, origin: { url: originUrl() } },
  { name: "pricer_down", match: ["/pricer-down/*"], price_sats: 1, pricer: { url: "http://127.0.0.1:9/price" }, origin: { url: originUrl() } },
  { name: "pricer_zero", match: ["/pricer-zero/*"], price_sats: 1, pricer: { url: `${originUrl()}/pricer?answer=${encodeURIComponent('{"price_msat":"0"}')}` }, origin: { url: originUrl() } },
  { name: "pricer_negative", match: ["/pricer-negative/*"], price_sats: 1, pricer: { url: `${originUrl()}/pricer?answer=${encodeURIComponent('{"price_sats":-3}')}` }, origin: { url: originUrl() } },
];
const { send, buy } = usageClient(services, MEMO);

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
    // A client's own, in any spelling a CGI-style origin reads as it, never reaches the origin (one that echoed it would report the client's cost).
    const claimed = await send(uniquePath("/credit/b"), withToken(token, { "X-L402-Cost": "1", "X_L402_COST": "1" }));
    const received = ((await claimed.json()) as { headers: Record<string, string> }).headers;
    expect(Object.keys(received).filter((name) => name.replaceAll("_", "-").toLowerCase() === "x-l402-cost")).toEqual([]);
    expect(Object.keys(received)).toContain("x-l402-token-id");
    expect(await storedBalance(tokenIdOf(token))).toBe(17_500n);
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

  it("a request priced above the most a request may cost reserves its price and, its cost unreported, costs it", async () => {
    const token = await buy(uniquePath("/credit/a"), { "X-L402-Credit": "20" });
    // 20,000 msat is short of the 50,000 the dear request is priced at, though above max_cost_sats.
    const short = await send(`${uniquePath("/credit/b")}?tier=dear`, withToken(token));
    expect(short.status).toBe(402);
    expect(await short.json()).toMatchObject({ reason: "balance_short", required_msat: "50000" });
    const rich = await buy(uniquePath("/credit/a"));
    expect((await send(`${uniquePath("/credit/b")}?tier=dear`, withToken(rich))).headers.get("x-l402-balance")).toBe("50000");
    // A reported cost is still what it costs, up to the price reserved.
    expect((await send(`${uniquePath("/credit/b")}?tier=dear&answer_header=X-L402-Cost:90000`, withToken(rich))).headers.get("x-l402-balance")).toBe("0");
    expect(await storedBalance(tokenIdOf(rich))).toBe(0n);
    const another = await buy(uniquePath("/credit/a"));
    expect((await send(`${uniquePath("/credit/b")}?tier=dear&answer_header=X-L402-Cost:2000`, withToken(another))).headers.get("x-l402-balance")).toBe("98000");
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
