import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fromHex } from "../../src/bytes.ts";
import type { BalanceConfig } from "../../src/config/index.ts";
import type { Grant, VerifiedToken } from "../../src/l402/index.ts";
import { memoryPorts } from "../../src/paywall/memory-ports.ts";
import { METER_FORGET_MARGIN_SECONDS, type Balances } from "../../src/paywall/ports.ts";
import { reserveBalance, TOPUP_USE_SECONDS } from "../../src/paywall/reserve-balance.ts";
import { settleCharge } from "../../src/paywall/settle.ts";

/**
 * A balance service's request before it goes on (paywall/reserve-balance.ts),
 * over the in-memory balances (memory-ports.ts), which keep them as the
 * Durable Object does: opened once at the token's credit, a top-up applied
 * once ever, never taken below zero, forgotten a margin after the minted expiry.
 */
const ID = "11".repeat(32);
const TOPUP = "22".repeat(32);
const NOW = 1_800_000_000;
const balance: BalanceConfig = { offers: [{ amountMsat: 10_000n, creditMsat: 10_000n }], costHeader: "X-L402-Cost", maxCostMsat: undefined, chargeOn: "below_500", meter: undefined };
const token = (id: string, grant: Partial<Grant>): VerifiedToken => ({ tokenId: fromHex(id) as Uint8Array, paymentHash: new Uint8Array(32), grant: { services: ["chat"], ...grant } });
const balances = (now: () => number = () => NOW): Balances => memoryPorts({ now }).balances;
/** An hour before NOW: the tokens here (valid until NOW + 60 at the soonest) outlast a top-up bought then. */
const WHEN = { now: NOW - 3600, invoiceExpirySeconds: 600 };
const current = async (port: Balances, id = ID): Promise<bigint> => (await port.reserve(id, 0n, undefined)).balanceMsat;

describe("reserving a request's cost", () => {
  it("opens the balance at the token's credit once, then takes each request's price", async () => {
    const port = balances();
    const paid = token(ID, { creditMsat: 10_000n, validUntil: NOW + 60, capabilities: ["chat"] });
    expect(await reserveBalance(port, balance, paid, 3000n, WHEN)).toEqual({ ok: true, value: { tokenId: ID, reservedMsat: 3000n, priceMsat: 3000n, balanceMsat: 7000n, balance, validUntil: NOW + 60, capabilities: ["chat"] } });
    expect(await reserveBalance(port, balance, paid, 3000n, WHEN)).toMatchObject({ ok: true, value: { balanceMsat: 4000n } });
    expect(await current(port)).toBe(4000n);
  });

  it("reserves max_cost when the cost comes after the answer", async () => {
    const port = balances();
    expect(await reserveBalance(port, { ...balance, maxCostMsat: 5000n }, token(ID, { creditMsat: 10_000n }), 1000n, WHEN)).toMatchObject({ ok: true, value: { reservedMsat: 5000n, priceMsat: 1000n, balanceMsat: 5000n } });
  });

  it("reserves a request's price where it is above max_cost (a price rule's or the pricer's): what the request costs when nothing reports a cost", async () => {
    const port = balances();
    expect(await reserveBalance(port, { ...balance, maxCostMsat: 5000n }, token(ID, { creditMsat: 10_000n }), 8000n, WHEN)).toMatchObject({ ok: true, value: { reservedMsat: 8000n, priceMsat: 8000n, balanceMsat: 2000n } });
    expect(await reserveBalance(port, { ...balance, maxCostMsat: 5000n }, token(ID, { creditMsat: 10_000n }), 8000n, WHEN)).toMatchObject({ ok: false, reason: "balance_short", facts: { required_msat: "8000" } });
  });

  it("short: balance_short with what it holds, what is required, and a top-up for the token keeping its expiry and capabilities", async () => {
    const port = balances();
    const paid = token(ID, { creditMsat: 2500n, validUntil: NOW + 60, capabilities: ["chat"] });
    expect(await reserveBalance(port, balance, paid, 3000n, WHEN)).toEqual({
      ok: false,
      reason: "balance_short",
      detail: expect.stringContaining("2500"),
      facts: { balance_msat: "2500", required_msat: "3000", topup_for: ID },
      balanceMsat: 2500n,
      topup: { tokenId: ID, validUntil: NOW + 60, capabilities: ["chat"], shortMsat: 500n },
    });
    expect(await current(port)).toBe(2500n);
  });

  it("short on a token that expires before a top-up's invoice could be paid and sent: no top-up (it would credit a token then refused), a new token to buy", async () => {
    const paid = token(ID, { creditMsat: 2500n, validUntil: NOW + 600 + TOPUP_USE_SECONDS, capabilities: ["chat"] });
    expect(await reserveBalance(balances(), balance, paid, 3000n, { now: NOW, invoiceExpirySeconds: 600 })).toMatchObject({ ok: false, reason: "balance_short", topup: { tokenId: ID } });
    const soon = await reserveBalance(balances(), balance, paid, 3000n, { now: NOW + 1, invoiceExpirySeconds: 600 });
    expect(soon).toEqual({
      ok: false,
      reason: "balance_short",
      detail: expect.stringContaining(`expires in ${599 + TOPUP_USE_SECONDS} s, before a top-up's invoice could be paid and used: buy a new token`),
      facts: { balance_msat: "2500", required_msat: "3000" },
      balanceMsat: 2500n,
      needsMsat: 3000n,
    });
    // A token that never expires is always offered one.
    expect(await reserveBalance(balances(), balance, token(ID, { creditMsat: 2500n }), 3000n, { now: NOW, invoiceExpirySeconds: 86_400 })).toMatchObject({ topup: { validUntil: undefined } });
  });

  it("a token without credit (minted before the service sold balances) holds nothing: offered a top-up", async () => {
    expect(await reserveBalance(balances(), balance, token(ID, {}), 1n, WHEN)).toMatchObject({ ok: false, reason: "balance_short", facts: { balance_msat: "0" } });
  });

  it("a balance that cannot be reached is balance_unavailable, never a pass", async () => {
    const down: Balances = { reserve: () => Promise.reject(new Error("no Durable Object")), release: () => Promise.reject(new Error("no")) };
    expect(await reserveBalance(down, balance, token(ID, { creditMsat: 10_000n }), 1n, WHEN)).toMatchObject({ ok: false, reason: "balance_unavailable" });
  });
});

describe("top-ups", () => {
  const topup = token(TOPUP, { creditMsat: 10_000n, topupFor: ID, validUntil: NOW + 60 });

  it("credit their target once, and debit the request from it; sent again, topup_spent", async () => {
    const port = balances();
    await reserveBalance(port, balance, token(ID, { creditMsat: 1000n }), 1000n, WHEN);
    expect(await reserveBalance(port, balance, topup, 3000n, WHEN)).toMatchObject({ ok: true, value: { tokenId: ID, balanceMsat: 7000n } });
    expect(await reserveBalance(port, balance, topup, 3000n, WHEN)).toMatchObject({ ok: false, reason: "topup_spent", facts: { topup_for: ID, balance_msat: "7000" } });
    expect(await current(port)).toBe(7000n);
    expect(await current(port, TOPUP)).toBe(0n);
  });

  it("may come before the target's first use: the target's own credit is added when it comes", async () => {
    const port = balances();
    expect(await reserveBalance(port, balance, topup, 1000n, WHEN)).toMatchObject({ ok: true, value: { balanceMsat: 9000n } });
    expect(await reserveBalance(port, balance, token(ID, { creditMsat: 5000n }), 1000n, WHEN)).toMatchObject({ ok: true, value: { balanceMsat: 13_000n } });
  });

  it("applied even when the request it came with is still short, and only then", async () => {
    const port = balances();
    expect(await reserveBalance(port, balance, topup, 50_000n, WHEN)).toMatchObject({ ok: false, reason: "balance_short", facts: { balance_msat: "10000" } });
    expect(await reserveBalance(port, balance, topup, 1n, WHEN)).toMatchObject({ ok: false, reason: "topup_spent" });
  });

  it("sent at once many times, credit once", async () => {
    const port = balances();
    const results = await Promise.all(Array.from({ length: 20 }, () => reserveBalance(port, balance, topup, 1000n, WHEN)));
    expect(results.filter((result) => result.ok)).toHaveLength(1);
    expect(await current(port)).toBe(9000n);
  });
});

describe("forgetting", () => {
  it("a balance is kept until a margin after its token's minted expiry, then forgotten (its token expired long before)", async () => {
    let now = NOW;
    const port = balances(() => now);
    const paid = token(ID, { creditMsat: 10_000n, mintedValidUntil: NOW + 60 });
    await reserveBalance(port, balance, paid, 10_000n, WHEN);
    now = NOW + 60 + METER_FORGET_MARGIN_SECONDS - 1;
    expect(await reserveBalance(port, balance, paid, 1n, WHEN)).toMatchObject({ ok: false, reason: "balance_short" });
    now = NOW + 60 + METER_FORGET_MARGIN_SECONDS;
    expect(await current(port)).toBe(0n);
  });

  it("a token minted without expiry keeps its balance for good", async () => {
    let now = NOW;
    const port = balances(() => now);
    const paid = token(ID, { creditMsat: 10_000n });
    await reserveBalance(port, balance, paid, 10_000n, WHEN);
    now = NOW + 10 * 365 * 86_400;
    expect(await reserveBalance(port, balance, paid, 1n, WHEN)).toMatchObject({ ok: false, reason: "balance_short" });
  });
});

describe("under concurrency (properties)", () => {
  const request = fc.record({ cost: fc.bigInt({ min: 0n, max: 6000n }), status: fc.constantFrom(200, 200, 200, 404, 500), delay: fc.nat(3) });

  it("reserving and settling at once never takes a balance below zero, and what it loses is what was charged", async () => {
    await fc.assert(
      fc.asyncProperty(fc.bigInt({ min: 0n, max: 50_000n }), fc.bigInt({ min: 1n, max: 5000n }), fc.array(request, { minLength: 1, maxLength: 40 }), async (credit, reserve, requests) => {
        const port = balances();
        const seen: bigint[] = [];
        const watched: Balances = {
          reserve: async (...args) => {
            const result = await port.reserve(...args);
            seen.push(result.balanceMsat);
            return result;
          },
          release: async (...args) => {
            const result = await port.release(...args);
            seen.push(result.balanceMsat);
            return result;
          },
        };
        const config = { ...balance, maxCostMsat: reserve };
        const pending: Promise<unknown>[] = [];
        const charged = await Promise.all(
          requests.map(async ({ cost, status, delay }) => {
            const reserved = await reserveBalance(watched, config, token(ID, { creditMsat: credit }), 1000n, WHEN);
            if (!reserved.ok) return 0n;
            for (let i = 0; i < delay; i++) await Promise.resolve();
            settleCharge(reserved.value, { status, headers: new Headers({ "X-L402-Cost": String(cost) }), body: null }, undefined, watched, (work) => pending.push(work), async () => () => "");
            // What was reserved: max_cost, or the request's price where that is more.
            const held = reserve > 1000n ? reserve : 1000n;
            return status >= 500 ? 0n : cost < held ? cost : held;
          }),
        );
        await Promise.all(pending);
        expect(seen.every((balanceMsat) => balanceMsat >= 0n)).toBe(true);
        expect(await current(port)).toBe(credit - charged.reduce((sum, cost) => sum + cost, 0n));
      }),
      { numRuns: 300 },
    );
  });
});
