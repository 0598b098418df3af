import { Hono } from "hono";
import { stream } from "hono/streaming";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { startSimulator, type Simulator } from "../../dev/lnd-sim/server.ts";
import { l402Paywall, memoryPorts, METER_FORGET_MARGIN_SECONDS, type Ledger } from "../../src/index.ts";
import { createKeyring, toHex } from "../../src/l402/index.ts";
import { lndRestBackend, type InvoiceBackend } from "../../src/lightning/index.ts";
import { paidToken } from "../fixtures/tokens.ts";
import { auth, caveatsOf, payingThrough, withCaveats, type App, type Bought } from "./support/paying-client.ts";

/**
 * Prepaid balances through l402Paywall() in a Hono app: in-memory ports, the
 * LND simulator paying the invoices. The decide table's usage rows, read by a
 * client that pays and by one that tampers (what the Worker does with them
 * inside workerd is test/workerd/worker-usage.test.ts's; prices and bound
 * tokens: middleware-pricing.test.ts).
 */
let sim: Simulator;
let backend: InvoiceBackend;
const keyring = createKeyring(new Uint8Array(32).fill(11));
const { pay, buy } = payingThrough(() => sim);

beforeAll(async () => {
  sim = await startSimulator();
  backend = lndRestBackend({ url: sim.url, macaroonHex: sim.paywallMacaroonHex, network: "regtest", timeoutMs: 2000 });
});
afterAll(() => sim.close());
afterEach(() => vi.useRealTimers());

type Body = Record<string, unknown>;

describe("prepaid balances", () => {
  /** 1 sat a request, 3 sats reserved while the origin says what it cost (X-L402-Cost), or the app charges. */
  /** An OpenAI chat completion streamed in two chunks, its usage in the last. */
  const SSE_REPLY = 'data: {"choices":[{"delta":{"content":"hi"}}],"usage":null}\n\ndata: {"choices":[],"usage":{"prompt_tokens":20,"completion_tokens":100}}\n\ndata: [DONE]\n\n';
  function chatApp(extra: Record<string, unknown> = {}, ledger?: Ledger) {
    const ports = { ...memoryPorts(), ...(ledger === undefined ? {} : { ledger }) };
    const app: App = new Hono();
    let served = 0;
    const service = { name: "chat", price_sats: 1, timeout: 3600, balance: { amounts_sats: [10, 50], bonus_sats: { "50": 5 } }, cost_header: "X-L402-Cost", max_cost_sats: 3, ...extra };
    app.use("/chat/*", l402Paywall({ service, keyring, backend, ports, log: false }));
    app.get("/chat/reply", (c) => {
      served++;
      const { cost, status, charge } = c.req.query();
      if (charge !== undefined) c.var.l402?.charge?.(BigInt(charge));
      if (status === "throw") throw new Error("the handler failed");
      // Hono hands only an Error to onError: anything else thrown goes through the paywall's next() unanswered.
      if (status === "throw-string") throw "the handler failed";
      if (status === "204") return c.body(null, 204);
      if (status === "sse") return c.body(SSE_REPLY, 200, { "Content-Type": "text/event-stream", "Content-Length": String(SSE_REPLY.length) });
      if (status === "empty") return c.body("", 200, { "Content-Length": "0" });
      return c.text("reply", (status === undefined ? 200 : Number(status)) as 200, cost === undefined ? {} : { "X-L402-Cost": cost });
    });
    /** The balance as the port holds it, once the releases run after the answers are done. */
    const balanceOf = async (tokenId: string): Promise<bigint> => {
      await new Promise((resolve) => setImmediate(resolve));
      return (await ports.balances.reserve(tokenId, 0n, undefined)).balanceMsat;
    };
    return { app, ports, served: () => served, balanceOf };
  }
  const reply = async (app: App, query: string, authorization: string) => app.request(`/chat/reply${query}`, auth(authorization));

  it("a balance token whose challenge the ledger no longer has (forgotten as unpaid) is booked at the offer that sold it, not its credit or a request's price", async () => {
    const settled: bigint[] = [];
    // A ledger that kept no challenge row: what the settlement says is all it books.
    const ledger: Ledger = { ...memoryPorts().ledger, recordMint: async () => {}, recordSettlement: async (settlement) => void settled.push(settlement.priceMsat) };
    const { app } = chatApp({}, ledger);
    const bought = await pay(await app.request("/chat/reply", { headers: { "X-L402-Credit": "50" } }));
    expect((await reply(app, "?cost=1000", bought.authorization)).status).toBe(200);
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toEqual([50_000n]);
  });

  it("a token, or a top-up, that leaves the balance still short is booked all the same: its credit was applied (and a top-up is never sent again)", async () => {
    const settled: { tokenId: string; priceMsat: bigint }[] = [];
    const ledger: Ledger = { ...memoryPorts().ledger, recordSettlement: async ({ tokenId, priceMsat }) => void settled.push({ tokenId, priceMsat }) };
    // Every request reserves 80 sats: more than the opening 10, and than 10 and the largest top-up (55) together.
    const { app, balanceOf } = chatApp({ max_cost_sats: 80 }, ledger);
    const token = await buy(app, "/chat/reply");
    const short = await reply(app, "", token.authorization);
    expect(await short.clone().json()).toMatchObject({ reason: "balance_short", topup_for: token.tokenId, credit: { amount_sats: 50, credit_sats: 55 } });
    const topup = await pay(short);
    const still = await reply(app, "", topup.authorization);
    expect(await still.json()).toMatchObject({ reason: "balance_short", balance_msat: "65000" });
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toEqual([
      { tokenId: token.tokenId, priceMsat: 10_000n },
      { tokenId: topup.tokenId, priceMsat: 50_000n },
    ]);
    expect(await balanceOf(token.tokenId)).toBe(65_000n);
  });

  it("a balance token (or top-up) sent where a deploy took the service's balance away is refused and challenged, never passed free of its credit", async () => {
    const { app } = chatApp();
    const token = await buy(app, "/chat/reply");
    const redeployed: App = new Hono();
    redeployed.use("/chat/*", l402Paywall({ service: { name: "chat", price_sats: 1, timeout: 3600 }, keyring, backend, ports: memoryPorts(), log: false }));
    redeployed.get("/chat/reply", (c) => c.text("reply"));
    const refused = await reply(redeployed, "", token.authorization);
    expect(refused.status).toBe(402);
    expect(await refused.json()).toMatchObject({ reason: "balance_not_sold" });
    // The service's own tokens pass there.
    const sold = await buy(redeployed, "/chat/reply");
    expect((await reply(redeployed, "", sold.authorization)).status).toBe(200);
  });

  it("a 402 sells the credit offers, the first by default or the one X-L402-Credit names; another is a 400", async () => {
    const { app } = chatApp();
    const first = await app.request("/chat/reply");
    expect(await first.json()).toMatchObject({ price_msat: "1000", credit: { amount_sats: 10, credit_sats: 10 }, credit_offers: [{ amount_sats: 10, credit_sats: 10 }, { amount_sats: 50, credit_sats: 55 }], invoice: expect.stringMatching(/^lnbcrt100n1/) });
    const named = await app.request("/chat/reply", { headers: { "X-L402-Credit": "50" } });
    expect(await named.clone().json()).toMatchObject({ credit: { amount_sats: 50, credit_sats: 55 }, invoice: expect.stringMatching(/^lnbcrt500n1/) });
    expect(caveatsOf((await pay(named)).macaroon)).toContain("chat_credit_msat=55000");
    for (const asked of ["7", "0", "-10", "10.0", "abc", "50000000000000000000"]) {
      const refused = await app.request("/chat/reply", { headers: { "X-L402-Credit": asked } });
      expect([refused.status, ((await refused.json()) as Body)["reason"]]).toEqual([400, "unknown_credit_offer"]);
    }
  });

  it("debits what the origin reports (its header taken off), at most what was reserved; garbage costs the price; a 5xx or a thrown handler nothing", async () => {
    const { app, balanceOf } = chatApp();
    const token = await buy(app, "/chat/reply");
    const steps: [string, number, string][] = [
      ["?cost=1500", 200, "8500"],
      ["?cost=999999", 200, "5500"],
      ["?cost=1000&status=500", 500, "5500"],
      ["?cost=1000&status=503", 503, "5500"],
      ["?cost=garbage", 200, "4500"],
      ["?cost=-5", 200, "3500"],
      ["?cost=0", 200, "3500"],
      ["?status=throw&charge=1", 500, "3500"],
    ];
    for (const [query, status, balance] of steps) {
      const answer = await reply(app, query, token.authorization);
      expect([query, answer.status, answer.headers.get("x-l402-balance"), answer.headers.get("x-l402-cost")]).toEqual([query, status, balance, null]);
    }
    expect(await balanceOf(token.tokenId)).toBe(3500n);
  });

  it("a HEAD on a route priced by tokens costs the whole reservation when answered 2xx (the GET handler ran; its usage, in the body, was not sent), and never stays metered", async () => {
    const { app, balanceOf } = chatApp({ meter: { per_1k_output_tokens_msat: 15_000 }, cost_header: undefined });
    const token = await buy(app, "/chat/reply");
    const head = await app.request("/chat/reply", { method: "HEAD", ...auth(token.authorization) });
    // 10 sats bought, 3 reserved and debited.
    expect([head.status, head.headers.get("x-l402-balance"), head.body]).toEqual([200, "7000", null]);
    expect(await balanceOf(token.tokenId)).toBe(7000n);
    // An error answer's costs the price, as a GET's reporting no usage does; what the app charges is what it costs.
    const missing = await app.request("/chat/reply?status=404", { method: "HEAD", ...auth(token.authorization) });
    expect([missing.status, missing.headers.get("x-l402-balance")]).toEqual([404, "6000"]);
    const charged = await app.request("/chat/reply?charge=1500", { method: "HEAD", ...auth(token.authorization) });
    expect([charged.status, charged.headers.get("x-l402-balance")]).toEqual([200, "4500"]);
    expect(await balanceOf(token.tokenId)).toBe(4500n);
  });

  it("a HEAD whose answer says its GET has no body (204, Content-Length: 0) costs the price on a route priced by tokens, as that GET does", async () => {
    const { app, balanceOf } = chatApp({ meter: { per_1k_output_tokens_msat: 15_000 }, cost_header: undefined });
    const token = await buy(app, "/chat/reply");
    const noContent = await app.request("/chat/reply?status=204", { method: "HEAD", ...auth(token.authorization) });
    expect([noContent.status, noContent.headers.get("x-l402-balance")]).toEqual([204, "9000"]);
    const empty = await app.request("/chat/reply?status=empty", { method: "HEAD", ...auth(token.authorization) });
    expect([empty.status, empty.headers.get("content-length"), empty.headers.get("x-l402-balance")]).toEqual([200, "0", "8000"]);
    // The GET's body is metered: the balance it says is after its first lease (3 sats); ended whole and empty, it costs the price.
    const emptyGet = await app.request("/chat/reply?status=empty", auth(token.authorization));
    expect([emptyGet.status, await emptyGet.text(), emptyGet.headers.get("x-l402-balance")]).toEqual([200, "", "5000"]);
    expect(await balanceOf(token.tokenId)).toBe(7000n);
  });

  it("a metered answer passes through the middleware on Node, its headers changed and its body debited by the usage it reports", async () => {
    const { app, balanceOf } = chatApp({ meter: { per_1k_output_tokens_msat: 15_000 }, cost_header: undefined });
    const token = await buy(app, "/chat/reply");
    const answer = await app.request("/chat/reply?status=sse", auth(token.authorization));
    expect([answer.status, answer.headers.get("content-type"), answer.headers.get("x-l402-balance"), answer.headers.get("content-length")]).toEqual([200, "text/event-stream", "7000", null]);
    expect(await answer.text()).toBe(SSE_REPLY);
    // 100 output tokens at 15,000 msat per 1,000: 1,500 msat.
    expect(await balanceOf(token.tokenId)).toBe(8500n);
  });

  it("a HEAD on a route priced by bytes costs the request's price: no body passed, none to count", async () => {
    const { app, balanceOf } = chatApp({ meter: { per_kib_msat: 100 }, cost_header: undefined });
    const token = await buy(app, "/chat/reply");
    const head = await app.request("/chat/reply", { method: "HEAD", ...auth(token.authorization) });
    expect([head.status, head.headers.get("x-l402-balance"), head.body]).toEqual([200, "9000", null]);
    expect(await balanceOf(token.tokenId)).toBe(9000n);
  });

  it("a handler that throws what is not an Error, or an onError that throws, leaves no reservation taken", async () => {
    const { app, balanceOf } = chatApp();
    const token = await buy(app, "/chat/reply");
    await expect(reply(app, "?status=throw-string&charge=1", token.authorization)).rejects.toBe("the handler failed");
    expect(await balanceOf(token.tokenId)).toBe(10_000n);
    app.onError((error) => {
      throw error;
    });
    await expect(reply(app, "?status=throw&charge=1", token.authorization)).rejects.toThrow("the handler failed");
    expect(await balanceOf(token.tokenId)).toBe(10_000n);
    expect((await reply(app, "?cost=1500", token.authorization)).headers.get("x-l402-balance")).toBe("8500");
  });

  it("the cost header is taken off every answer, charged or not: a free path's, a free request's, shadow mode's", async () => {
    for (const extra of [{ free_paths: ["/chat/reply"] }, { freebies: 3 }, { mode: "shadow" }]) {
      const { app, served } = chatApp(extra);
      const answer = await app.request("/chat/reply?cost=1500");
      expect([JSON.stringify(extra), answer.status, answer.headers.get("x-l402-cost")]).toEqual([JSON.stringify(extra), 200, null]);
      expect(served()).toBe(1);
    }
  });

  it("c.var.l402?.charge(msat) debits what the app charges, added up, before any cost header", async () => {
    const { app, balanceOf } = chatApp();
    const token = await buy(app, "/chat/reply");
    const charged = await reply(app, "?charge=250&cost=2000", token.authorization);
    expect(charged.headers.get("x-l402-balance")).toBe("9750");
    expect(await balanceOf(token.tokenId)).toBe(9750n);
  });

  it("a charge from a body still streaming after the handler answered throws, never passing unnoticed: the request costs what was settled", async () => {
    const { app, balanceOf } = chatApp();
    let late: unknown;
    app.get("/chat/streamed", (c) =>
      stream(c, async (out) => {
        await out.write("part");
        try {
          c.var.l402?.charge?.(2500);
        } catch (error) {
          late = error;
        }
      }),
    );
    const token = await buy(app, "/chat/reply");
    const answer = await app.request("/chat/streamed", auth(token.authorization));
    expect(await answer.text()).toBe("part");
    expect(late).toBeInstanceOf(Error);
    expect(String(late)).toContain("after the handler answered");
    // Its price, as an answer the app never charged.
    expect(await balanceOf(token.tokenId)).toBe(9000n);
  });

  it("short: 402 balance_short with the balance, what is required and a top-up for the same token, credited once", async () => {
    const { app, served, balanceOf } = chatApp();
    const token = await buy(app, "/chat/reply");
    expect((await reply(app, "?cost=3000", token.authorization)).headers.get("x-l402-balance")).toBe("7000");
    expect((await reply(app, "?cost=3000", token.authorization)).headers.get("x-l402-balance")).toBe("4000");
    expect((await reply(app, "?cost=3000", token.authorization)).headers.get("x-l402-balance")).toBe("1000");
    const short = await reply(app, "", token.authorization);
    expect(short.headers.get("x-l402-balance")).toBe("1000");
    expect(await short.clone().json()).toMatchObject({ reason: "balance_short", balance_msat: "1000", required_msat: "3000", topup_for: token.tokenId, invoice: expect.stringMatching(/^lnbcrt100n1/) });
    expect(served()).toBe(3);
    const topup = await pay(short);
    expect(caveatsOf(topup.macaroon)).toEqual(expect.arrayContaining(["chat_credit_msat=10000", `chat_topup=${token.tokenId}`]));
    const credited = await reply(app, "?cost=500", topup.authorization);
    expect([credited.status, credited.headers.get("x-l402-balance")]).toEqual([200, "10500"]);
    const again = await reply(app, "?cost=500", topup.authorization);
    expect(await again.json()).toMatchObject({ reason: "topup_spent", topup_for: token.tokenId });
    expect((await reply(app, "?cost=500", token.authorization)).headers.get("x-l402-balance")).toBe("10000");
    expect(await balanceOf(token.tokenId)).toBe(10000n);
  });

  it("a revoked token's balance is not spent through a top-up bought for it before", async () => {
    const { app, ports, served } = chatApp({ revocable: true });
    const token = await buy(app, "/chat/reply");
    for (let i = 0; i < 3; i++) await reply(app, "?cost=3000", token.authorization);
    const topup = await pay(await reply(app, "", token.authorization));
    await ports.revocations.revoke(token.tokenId, "abuse", 0);
    const answered = await reply(app, "", topup.authorization);
    expect(answered.status).toBe(402);
    expect(await answered.json()).toMatchObject({ reason: "revoked" });
    expect(served()).toBe(3);
  });

  it("concurrent requests on one token never take more than its balance; what is debited is what was reported", async () => {
    const { app, balanceOf } = chatApp();
    const token = await buy(app, "/chat/reply", { headers: { "X-L402-Credit": "50" } });
    const costs = Array.from({ length: 40 }, (_, index) => 500 + ((index * 397) % 2500));
    const answers = await Promise.all(costs.map((cost) => reply(app, `?cost=${cost}`, token.authorization)));
    const debited = answers.reduce((sum, answer, index) => sum + (answer.status === 200 ? BigInt(costs[index] as number) : 0n), 0n);
    expect(answers.every((answer) => answer.status === 200 || answer.status === 402)).toBe(true);
    expect(answers.filter((answer) => answer.status === 402).length).toBeGreaterThan(0);
    const left = await balanceOf(token.tokenId);
    expect(left).toBeGreaterThanOrEqual(0n);
    expect(left).toBe(55000n - debited);
  });

  // A holder can append any caveat. `chat_topup=<id>` on its own token would credit the balance of
  // any id it names with the token's credit, once per id: one payment, unlimited requests.
  it("a top-up caveat a holder appends to its balance token buys nothing", async () => {
    const { app, served } = chatApp();
    const token = await buy(app, "/chat/reply");
    for (let i = 0; i < 3; i++) {
      const forged = await reply(app, "?cost=3000", withCaveats(token, `chat_topup=${toHex(crypto.getRandomValues(new Uint8Array(32)))}`));
      expect(forged.status).toBe(402);
    }
    expect(served()).toBe(0);
  });

  // A token minted for the service before it sold balances carries no credit caveat, and a holder
  // may append one: nothing in the token tells a credit the paywall minted from one appended.
  it("a token minted before the service sold balances gets no credit its holder writes into it", async () => {
    const { app, served } = chatApp();
    const legacy = paidToken({ keyring, service: "chat", validUntil: Math.floor(Date.now() / 1000) + 3600 });
    const bought: Bought = { authorization: legacy.authorization, tokenId: toHex(legacy.tokenId), macaroon: legacy.macaroon, preimageHex: toHex(legacy.preimage) };
    const written = await reply(app, "?cost=3000", withCaveats(bought, "chat_credit_msat=1000000000000000000"));
    // Only the minter writes a credit (before the services caveat): a holder's makes the token invalid.
    expect(written.status).toBe(402);
    expect(await written.json()).toMatchObject({ reason: "invalid_caveat" });
    expect(served()).toBe(0);
  });

  // The balance is forgotten a margin after the expiry minted with its credit. A holder's own
  // expiry and a `uses` caveat (counted nowhere on a balance service) must not move that, or the
  // balance is forgotten early and opens again at the token's full credit.
  it("a holder's expiry and uses caveats do not make its balance forgotten early and credited again", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
    const { app } = chatApp();
    const token = await buy(app, "/chat/reply");
    const soon = Math.floor(Date.now() / 1000) + 10;
    const shortLived = withCaveats(token, `chat_valid_until=${soon}`, "chat_uses=1");
    for (let i = 0; i < 3; i++) expect((await reply(app, "?cost=3000", shortLived)).status).toBe(200);
    vi.setSystemTime((soon + METER_FORGET_MARGIN_SECONDS + 1) * 1000);
    const after = await reply(app, "?cost=3000", token.authorization);
    expect([after.status, after.headers.get("x-l402-balance")]).toEqual([402, "1000"]);
  });
});

describe("uses lowered on a service that sold tokens with more", () => {
  it("a token minted with a count keeps it: the service's own is for tokens minted without one", async () => {
    const ports = memoryPorts();
    const appWith = (uses: number) => {
      const app: App = new Hono();
      app.use("/api/*", l402Paywall({ service: { name: "api", price_sats: 1, uses }, keyring, backend, ports, log: false }));
      app.get("/api/x", (c) => c.text("ok"));
      return app;
    };
    const token = await buy(appWith(3), "/api/x");
    const lowered = appWith(1);
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await lowered.request("/api/x", auth(token.authorization))).status);
    expect(statuses).toEqual([200, 200, 200, 402]);
  });
});
