import fc from "fast-check";
import { Hono } from "hono";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { payInvoice } from "../../dev/lnd-sim/payer.ts";
import { startSimulator, type Simulator } from "../../dev/lnd-sim/server.ts";
import { l402Paywall, memoryPorts, METER_FORGET_MARGIN_SECONDS, SPENT_RETENTION_MARGIN_SECONDS, type L402Variables } from "../../src/index.ts";
import { sweeper } from "../../src/paywall/memory-ports.ts";
import { createKeyring } from "../../src/l402/index.ts";
import { lndRestBackend, type InvoiceBackend } from "../../src/lightning/index.ts";
import { formatPaymentCredential, parsePaymentChallenges, readChargeRequest } from "../../src/payment/index.ts";

/**
 * The in-memory ports behind the middleware, with the clock moved by fake
 * timers (the paywall, the ports and the in-process simulator all read Date).
 */
let sim: Simulator;
let backend: InvoiceBackend;
const keyring = createKeyring(new Uint8Array(32).fill(7));

beforeAll(async () => {
  sim = await startSimulator();
  backend = lndRestBackend({ url: sim.url, macaroonHex: sim.paywallMacaroonHex, network: "regtest", timeoutMs: 2000 });
});
afterAll(() => sim.close());
afterEach(() => vi.useRealTimers());

const USES = 2;

/** An app selling 2 uses for 4 s through both schemes, counting what reaches its handler. */
function meteredApp() {
  const ports = memoryPorts();
  const app = new Hono<{ Variables: L402Variables }>();
  let hits = 0;
  app.use("/api/*", l402Paywall({ service: { name: "paym", price_sats: 2, uses: USES, timeout: 4, schemes: ["l402", "mpp"] }, keyring, backend, ports }));
  app.get("/api/data", (c) => {
    hits++;
    return c.text("paid");
  });
  return { app, hits: () => hits };
}

/** The 402's credentials for both schemes, over one paid invoice. */
async function buyBoth(app: Hono<{ Variables: L402Variables }>): Promise<{ l402: string; payment: string; tokenUntil: number }> {
  const unpaid = await app.request("/api/data");
  const [challenge] = parsePaymentChallenges(unpaid.headers.get("www-authenticate") ?? "");
  if (challenge === undefined) throw new Error("no Payment challenge");
  const body = (await unpaid.json()) as { macaroon: string };
  const request = readChargeRequest(challenge.request);
  const paid = await payInvoice({ url: sim.url, macaroonHex: sim.adminMacaroonHex }, request.ok ? request.value.methodDetails.invoice : "");
  const preimage = paid.preimageHex as string;
  return {
    l402: `L402 ${body.macaroon}:${preimage}`,
    payment: formatPaymentCredential({ challenge, payload: { preimage } }),
    tokenUntil: Number((request.ok ? request.value.externalId ?? "" : "").split("/")[2]),
  };
}

describe("memoryPorts: the meter", () => {
  it("keeps a count past its token's expiry for the margin, so no credential still accepted starts it over", async () => {
    const { app, hits } = meteredApp();
    const { payment, tokenUntil } = await buyBoth(app);
    const present = () => app.request("/api/data", { headers: { Authorization: payment } });
    expect((await present()).status).toBe(200);
    vi.useFakeTimers({ toFake: ["Date"] });
    // Just before the token's expiry: one use left.
    vi.setSystemTime(tokenUntil * 1000 - 500);
    expect((await present()).status).toBe(200);
    expect((await present()).status).toBe(402);
    // Past it, the charge is refused as expired: the count may go only once nothing can draw on it.
    for (const at of [tokenUntil + 1, tokenUntil + METER_FORGET_MARGIN_SECONDS + 1]) {
      vi.setSystemTime(at * 1000);
      const refused = await present();
      expect(refused.status).toBe(402);
      expect(await refused.json()).toMatchObject({ reason: "expired" });
    }
    expect(hits()).toBe(USES);
  });

  it("property: whatever the timing of presentations (either scheme) and expiries, the handler runs at most the minted uses", { timeout: 120_000 }, async () => {
    const op = fc.oneof(
      fc.constantFrom({ kind: "l402" as const }, { kind: "payment" as const }),
      // Steps across the token's expiry (4 s), the meter's margin and the challenge's expiry (600 s).
      fc.record({ kind: fc.constant("wait" as const), seconds: fc.constantFrom(1, 2, 3, 5, METER_FORGET_MARGIN_SECONDS - 1, METER_FORGET_MARGIN_SECONDS + 1, 700) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 16 }), async (ops) => {
        vi.useRealTimers();
        const { app, hits } = meteredApp();
        const credentials = await buyBoth(app);
        let at = Date.now();
        vi.useFakeTimers({ toFake: ["Date"] });
        vi.setSystemTime(at);
        for (const step of ops) {
          if (step.kind === "wait") vi.setSystemTime((at += step.seconds * 1000));
          else await app.request("/api/data", { headers: { Authorization: credentials[step.kind] } });
        }
        expect(hits()).toBeLessThanOrEqual(USES);
      }),
      { numRuns: 200 },
    );
  });
});

describe("memoryPorts: spent charges", () => {
  it("keep a hash a margin past its until, through a sweep: a scheme still taking its invoice (the grace past its expiry) never spends it again", async () => {
    let now = 1_800_000_000;
    const { spentCharges } = memoryPorts({ now: () => now });
    if (spentCharges === undefined) throw new Error("no spentCharges port");
    expect(await spentCharges.spend("aa", now)).toBe(true);
    // Past x402's 60 s of grace; 10,000 more spends make the store sweep.
    now += 120;
    for (let i = 0; i < 10_000; i++) await spentCharges.spend(`h${i}`, now + 600);
    expect(await spentCharges.spend("aa", now)).toBe(false);
    // A margin later it may go (every scheme refuses its credentials as expired before they get here): at the store's next sweep, once it holds twice what the last left.
    now += SPENT_RETENTION_MARGIN_SECONDS;
    for (let i = 10_000; i < 20_001; i++) await spentCharges.spend(`h${i}`, now + 600);
    expect(await spentCharges.spend("aa", now)).toBe(true);
  });
});

describe("memoryPorts: balances", () => {
  it("a release after the balance was forgotten (a metered body outlasting its token) brings nothing back and keeps nothing, as the Durable Object does", async () => {
    let now = 1_800_000_000;
    const { balances } = memoryPorts({ now: () => now });
    const opening = { creditMsat: 10_000n, forgetAt: now + 60 };
    expect(await balances.reserve("t", 4000n, opening)).toEqual({ status: "reserved", balanceMsat: 6000n });
    expect(await balances.release("t", 1000n)).toEqual({ balanceMsat: 7000n });
    now += 60 + METER_FORGET_MARGIN_SECONDS;
    expect(await balances.release("t", 3000n)).toEqual({ balanceMsat: 0n });
    // Nothing was made by it: a token never opened gets nothing either.
    expect(await balances.release("never", 500n)).toEqual({ balanceMsat: 0n });
    expect(await balances.reserve("never", 1n, undefined)).toEqual({ status: "short", balanceMsat: 0n });
  });
});

describe("memoryPorts: unpaid traffic is bounded", () => {
  it("new challenges are limited per minute (30 an address, 300 a network, as wrangler.toml's), each minute anew", async () => {
    let clock = 1_800_000_000 - (1_800_000_000 % 60);
    const { mintLimiter, networkMintLimiter } = memoryPorts({ now: () => clock });
    const allowed = async (limiter: typeof mintLimiter, client: string, times: number) => {
      let count = 0;
      for (let i = 0; i < times; i++) if (await limiter.allow(client)) count++;
      return count;
    };
    expect(await allowed(mintLimiter, "198.51.100.7", 40)).toBe(30);
    expect(await allowed(mintLimiter, "203.0.113.9", 1)).toBe(1);
    expect(await allowed(networkMintLimiter, "198.51.100", 310)).toBe(300);
    clock += 59;
    expect(await allowed(mintLimiter, "198.51.100.7", 1)).toBe(0);
    clock += 1;
    expect(await allowed(mintLimiter, "198.51.100.7", 40)).toBe(30);
    // Lifted where the host says so.
    expect(await allowed(memoryPorts({ mintsPerClient: Number.POSITIVE_INFINITY }).mintLimiter, "198.51.100.7", 100)).toBe(100);
  });

  it("the challenge cache holds the newest 10,000 challenges", async () => {
    const { challengeCache } = memoryPorts({ now: () => 1_800_000_000 });
    const entry = { invoice: "lnbcrt1", macaroon: "AgE=", tokenId: "00", amountMsat: "1000" } as Parameters<typeof challengeCache.store>[1];
    for (let i = 0; i < 10_005; i++) await challengeCache.store(`client ${i}`, entry, 30);
    for (let i = 0; i < 5; i++) expect(await challengeCache.read(`client ${i}`)).toBeUndefined();
    expect(await challengeCache.read("client 5")).toEqual(entry);
    expect(await challengeCache.read("client 10004")).toEqual(entry);
  });

  it("a full challenge cache drops the expired before any live one, and a challenge stored again counts as the newest", async () => {
    let clock = 1_800_000_000;
    const { challengeCache } = memoryPorts({ now: () => clock });
    const entry = { invoice: "lnbcrt1", macaroon: "AgE=", tokenId: "00", amountMsat: "1000" } as Parameters<typeof challengeCache.store>[1];
    await challengeCache.store("lasting", entry, 1000);
    for (let i = 0; i < 9_999; i++) await challengeCache.store(`brief ${i}`, entry, 30);
    clock += 31;
    await challengeCache.store("new", entry, 30);
    expect(await challengeCache.read("lasting")).toEqual(entry);
    // Full of live entries again: the one stored again outlasts those stored after it first.
    for (let i = 0; i < 9_998; i++) await challengeCache.store(`live ${i}`, entry, 1000);
    await challengeCache.store("lasting", entry, 1000);
    await challengeCache.store("one more", entry, 1000);
    expect(await challengeCache.read("lasting")).toEqual(entry);
    expect(await challengeCache.read("new")).toBeUndefined();
  });

  it("a port full of entries that all still count is not scanned on every call: its next sweep waits until it holds twice as many", () => {
    let looked = 0;
    const sweep = sweeper<number>(() => (looked++, false));
    const entries = new Map<string, number>();
    for (let i = 0; i < 10_000; i++) entries.set(`k${i}`, i);
    sweep(entries);
    expect(looked).toBe(10_000);
    for (let i = 10_000; i < 19_999; i++) {
      entries.set(`k${i}`, i);
      sweep(entries);
    }
    expect(looked).toBe(10_000);
    entries.set("k19999", 19_999);
    sweep(entries);
    expect(looked).toBe(30_000);
  });

  it("the ledger keeps the newest 100,000 mints", async () => {
    const { ledger } = memoryPorts();
    const mint = (i: number) => ({ tokenId: `t${i}`, paymentHash: "00", service: "api", priceMsat: 1000n, createdAt: 1_800_000_000 });
    for (let i = 0; i <= 100_000; i++) await ledger.recordMint(mint(i) as Parameters<typeof ledger.recordMint>[0]);
    expect((await ledger.lookupToken("t0")).challenge).toBeNull();
    expect((await ledger.lookupToken("t1")).challenge).toMatchObject({ service: "api" });
  });
});
