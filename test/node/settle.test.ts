import { describe, expect, it } from "vitest";
import type { BalanceConfig, ChargeOn } from "../../src/config/index.ts";
import type { Charge } from "../../src/paywall/decision.ts";
import type { Balances } from "../../src/paywall/ports.ts";
import { chargeTally, settleCharge, type Answered } from "../../src/paywall/settle.ts";

/**
 * A balance service's request once answered (paywall/settle.ts): the cost
 * found, the cost header taken off, the rest of the reservation released.
 */
const ID = "11".repeat(32);
const config = (extra: Partial<BalanceConfig> = {}): BalanceConfig => ({ offers: [], costHeader: "X-L402-Cost", maxCostMsat: 5000n, chargeOn: "below_500", meter: undefined, ...extra });
const charge = (balance: BalanceConfig = config()): Charge => ({ tokenId: ID, reservedMsat: 5000n, priceMsat: 1000n, balanceMsat: 20_000n, balance, validUntil: undefined, capabilities: undefined });

/**
 * Settles a charge, returning what was released (once the work left for after the answer is
 * done, a metered body read to its end first), the header changes and the body.
 */
async function settle(answered: Answered | undefined, options: { appCharged?: bigint; charge?: Charge } = {}) {
  const released: bigint[] = [];
  const balances: Balances = {
    reserve: async () => ({ status: "reserved", balanceMsat: 0n }),
    release: async (tokenId, amountMsat) => {
      released.push(tokenId === ID ? amountMsat : -1n);
      return { balanceMsat: 0n };
    },
  };
  const pending: Promise<unknown>[] = [];
  const settled = settleCharge(options.charge ?? charge(), answered, options.appCharged, balances, (work) => pending.push(work), async () => () => "");
  // A body the origin broke off fails its reader: what it settles is still looked at.
  if (settled.body !== undefined) await new Response(settled.body).arrayBuffer().catch(() => undefined);
  await Promise.all(pending);
  return { released: released.reduce((sum, msat) => sum + msat, 0n), changes: settled.changes, body: settled.body };
}
const answer = (status: number, cost?: string, body: ReadableStream<Uint8Array> | null = null): Answered => ({ status, headers: new Headers(cost === undefined ? {} : { "X-L402-Cost": cost }), body });

/** A balance holding `msat` as TokenBalance keeps one: each reservation taken whole or refused as short. What each took, and how many calls. */
function heldBalance(msat: bigint) {
  let balance = msat;
  let calls = 0;
  const taken: bigint[] = [];
  const balances: Balances = {
    reserve: async (_id, amountMsat) => {
      calls++;
      if (balance < amountMsat) return { status: "short", balanceMsat: balance };
      balance -= amountMsat;
      taken.push(amountMsat);
      return { status: "reserved", balanceMsat: balance };
    },
    release: async (_id, amountMsat) => ({ balanceMsat: (balance += amountMsat) }),
  };
  return { balances, taken, msat: () => balance, calls: () => calls };
}

/** A body of `chunks` chunks of `size` bytes, metered at `perKibMsat` from a first reservation of 5 sats, read to its end and settled: the bytes the client got. */
async function meteredRead(balances: Balances, perKibMsat: bigint, chunks: number, size: number): Promise<number> {
  let left = chunks;
  const body = new ReadableStream<Uint8Array>({ pull: (controller) => (left-- > 0 ? controller.enqueue(new Uint8Array(size)) : controller.close()) });
  const pending: Promise<unknown>[] = [];
  const settled = settleCharge(charge(config({ meter: { perKibMsat } })), answer(200, undefined, body), undefined, balances, (work) => pending.push(work), async () => () => "");
  const reader = (settled.body as ReadableStream<Uint8Array>).getReader();
  let bytes = 0;
  for (let read = await reader.read(); !read.done; read = await reader.read()) bytes += read.value.length;
  await Promise.all(pending);
  return bytes;
}

describe("what an answer is charged", () => {
  it.each([
    ["below_500", [101, 200, 302, 404, 499], [500, 503]],
    ["success", [101, 200, 204, 302, 399], [400, 404, 499, 500]],
    ["always", [200, 404, 500, 599], []],
  ] as const)("charge_on %s", async (chargeOn: ChargeOn, charged: readonly number[], free: readonly number[]) => {
    const on = charge(config({ chargeOn }));
    for (const status of charged) expect([status, (await settle(answer(status, "1500"), { charge: on })).released]).toEqual([status, 3500n]);
    for (const status of free) expect([status, (await settle(answer(status, "1500"), { charge: on })).released]).toEqual([status, 5000n]);
  });

  it("a request that got no answer (failed before the origin) costs nothing, whatever charge_on says", async () => {
    expect((await settle(undefined, { charge: charge(config({ chargeOn: "always" })) })).released).toBe(5000n);
  });
});

describe("the cost reported in the header", () => {
  it.each([
    ["1500", 3500n],
    [" 1500 ", 3500n],
    ["0", 5000n],
    ["5000", 0n],
    ["5001", 0n],
    ["9999999999999999999", 0n],
    ["-5", 4000n],
    ["1.5", 4000n],
    ["1e3", 4000n],
    ["0x10", 4000n],
    ["", 4000n],
    ["1500, 1500", 4000n],
    ["99999999999999999999", 4000n],
  ])("%j: releases %s (garbage costs the price; never more than was reserved)", async (reported, released) => {
    expect((await settle(answer(200, reported))).released).toBe(released);
  });

  it("no header: the request's price", async () => {
    expect((await settle(answer(200))).released).toBe(4000n);
  });

  it("is taken off the answer, charged or not, and the balance after is told", async () => {
    const charged = await settle(answer(200, "1500"));
    expect(charged.changes).toEqual([{ name: "X-L402-Cost", value: undefined }, { name: "X-L402-Balance", value: "23500" }]);
    const failed = await settle(answer(500, "1500"));
    expect(failed.changes).toEqual([{ name: "X-L402-Cost", value: undefined }, { name: "X-L402-Balance", value: "25000" }]);
  });

  it("a service without a cost header leaves the origin's headers alone", async () => {
    const settled = await settle(answer(200, "1500"), { charge: charge(config({ costHeader: undefined })) });
    expect(settled.changes).toEqual([{ name: "X-L402-Balance", value: "24000" }]);
  });
});

describe("what the app charges", () => {
  it("comes before the cost header, and is capped at the reservation", async () => {
    expect((await settle(answer(200, "1500"), { appCharged: 250n })).released).toBe(4750n);
    expect((await settle(answer(200), { appCharged: 0n })).released).toBe(5000n);
    expect((await settle(answer(200), { appCharged: 10_000n })).released).toBe(0n);
  });

  it("is added up; anything but a whole number of msat, at least 0, is refused where the app calls it", () => {
    expect(chargeTally().totalMsat()).toBeUndefined();
    const tally = chargeTally();
    tally.add(100);
    tally.add(50n);
    tally.add(0);
    for (const wrong of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, -1n]) expect(() => tally.add(wrong)).toThrow(RangeError);
    expect(tally.totalMsat()).toBe(150n);
  });

  it("throws once read for the settlement: a charge from a body still streaming would count for nothing", () => {
    const tally = chargeTally();
    tally.add(100);
    expect(tally.totalMsat()).toBe(100n);
    expect(() => tally.add(50)).toThrow(/after the handler answered/);
    expect(tally.totalMsat()).toBe(100n);
  });
});

describe("a metered stream", () => {
  it("has its body metered instead, the balance after its first lease told, the cost header and the origin's length taken off (the metered body may end sooner, or later)", async () => {
    const body = new ReadableStream<Uint8Array>({ start: (controller) => controller.close() });
    const settled = await settle(answer(200, "1500", body), { charge: charge(config({ meter: { perKibMsat: 1n } })) });
    expect(settled.body).toBeInstanceOf(ReadableStream);
    expect(settled.changes).toEqual([{ name: "X-L402-Cost", value: undefined }, { name: "Content-Length", value: undefined }, { name: "X-L402-Balance", value: "20000" }]);
    // Nothing streamed, nothing owed: the reservation goes back, whatever the header said.
    expect(settled.released).toBe(5000n);
  });

  it("a client gone while a lease is being taken: that lease is given back too, all but what was streamed", async () => {
    let grant = () => {};
    const reserved: bigint[] = [];
    const released: bigint[] = [];
    const balances: Balances = {
      reserve: (_id, amountMsat) => {
        reserved.push(amountMsat);
        return new Promise((resolve) => (grant = () => resolve({ status: "reserved", balanceMsat: 0n })));
      },
      release: async (_id, amountMsat) => {
        released.push(amountMsat);
        return { balanceMsat: 0n };
      },
    };
    const chunks = [new Uint8Array(4096), new Uint8Array(4096)];
    const body = new ReadableStream<Uint8Array>({ pull: (controller) => void controller.enqueue(chunks.shift() ?? new Uint8Array(1)) });
    const pending: Promise<unknown>[] = [];
    // 1 sat a KiB from a reservation of 5 sats: the second 4 KiB needs another lease.
    const settled = settleCharge(charge(config({ meter: { perKibMsat: 1000n } })), answer(200, undefined, body), undefined, balances, (work) => pending.push(work), async () => () => "");
    const reader = (settled.body as ReadableStream<Uint8Array>).getReader();
    expect((await reader.read()).value?.length).toBe(4096);
    void reader.read().catch(() => undefined);
    while (reserved.length === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    await reader.cancel();
    grant();
    await Promise.all(pending);
    expect(reserved).toEqual([5000n]);
    // 4 KiB streamed: of the 5,000 msat reserved and the 5,000 leased, all but 4,000 back.
    expect(released.reduce((sum, msat) => sum + msat, 0n)).toBe(6000n);
  });

  it("a long body's leases grow with it (half of what is leased so far): a few dozen calls, not one per reservation's worth, and the cost debited exactly", async () => {
    const reserved: bigint[] = [];
    const released: bigint[] = [];
    const balances: Balances = {
      reserve: async (_id, amountMsat) => (reserved.push(amountMsat), { status: "reserved", balanceMsat: 10n ** 12n }),
      release: async (_id, amountMsat) => (released.push(amountMsat), { balanceMsat: 10n ** 12n }),
    };
    // 1 sat a KiB from a reservation of 5 sats: 4,000 sats, 800 reservations' worth.
    expect(await meteredRead(balances, 1000n, 1000, 4096)).toBe(4096 * 1000);
    expect(reserved.length).toBeLessThan(20);
    let leased = 5000n;
    for (const lease of reserved) {
      expect(lease).toBeGreaterThanOrEqual(leased / 2n);
      leased += lease;
    }
    expect(leased - released.reduce((sum, msat) => sum + msat, 0n)).toBe(4_000_000n);
    expect(leased).toBeLessThanOrEqual((4_000_000n * 3n) / 2n);
  });

  it("near the balance's end, a lease is half of what the balance holds, not half of what the body leased: the rest stays for other requests on the token", async () => {
    // The request's own 5 sats already taken; then leases of 5, 5, 7.5 and 11.25 sats, and 8 sats left.
    const start = 5000n + 5000n + 5000n + 7500n + 11_250n + 8000n;
    const held = heldBalance(start - 5000n);
    // 5 sats a KiB from a first reservation of 5 sats.
    expect(await meteredRead(held.balances, 5000n, 8, 1024)).toBe(8 * 1024);
    // At 35 sats, a lease of 16.875 would not fit in the 8 left: half of them did (a reservation's 5, not all 8); at 40, the 3 left.
    expect(held.taken).toEqual([5000n, 5000n, 7500n, 11_250n, 5000n, 3000n]);
    // 40 sats streamed; the rest of the leases back.
    expect(held.msat()).toBe(start - 40_000n);
  });

  it("a body that spends the whole balance makes a few dozen calls to the end, not one (or two) per reservation's worth", async () => {
    // 1 sat a KiB, 5 sats first reserved (out of the 30,005 the token had): 30,000 KiB spend it all.
    const held = heldBalance(30_000_000n);
    expect(await meteredRead(held.balances, 1000n, 30_000, 1024)).toBe(30_000 * 1024);
    expect(held.msat()).toBe(5000n);
    expect(held.calls()).toBeLessThan(60);
  });

  it("a stream whose balance runs out says in its last event what the balance holds once it is settled: its unused lease back, or less what it cost beyond its leases", async () => {
    const tokens = charge(config({ meter: { perThousandOutputTokensMsat: 1000n } }));
    const sse = (text: string): Answered => ({ status: 200, headers: new Headers({ "Content-Type": "text/event-stream" }), body: new Response(text).body });
    const lastEventOf = async (held: ReturnType<typeof heldBalance>, answered: Answered) => {
      const pending: Promise<unknown>[] = [];
      const settled = settleCharge(tokens, answered, undefined, held.balances, (work) => pending.push(work), async () => (_framing, balanceMsat) => `event: error\ndata: ${balanceMsat}\n\n`);
      const text = await new Response(settled.body).text();
      await Promise.all(pending);
      return text.slice(text.lastIndexOf("data: ") + "data: ".length).trim();
    };
    // 1 msat an output token, 5,000 reserved, 300 more held; the usage (10,000 tokens) comes in the last event, past what any lease covers.
    const completion = 'data: {"choices":[{"delta":{"content":"hi"}}],"usage":null}\n\ndata: {"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":10000}}\n\n';
    const alone = heldBalance(300n);
    expect(await lastEventOf(alone, sse(completion))).toBe("0");
    expect(alone.msat()).toBe(0n);
    // Another request on the token gives 200 back while this one takes the rest: its leases leave 200, which its cost beyond them then takes.
    const shared = heldBalance(300n);
    const reserve = shared.balances.reserve;
    let calls = 0;
    shared.balances.reserve = async (id, amountMsat, topup) => {
      if (++calls === 2) await shared.balances.release(id, 200n);
      return reserve(id, amountMsat, topup);
    };
    expect(await lastEventOf(shared, sse(completion))).toBe("0");
    expect(shared.msat()).toBe(0n);
  });

  it("priced by tokens and reporting none: a 2xx costs its first reservation (broken off too), an error answer the request's price", async () => {
    const tokens = charge(config({ meter: { perThousandOutputTokensMsat: 15_000n } }));
    const json = (status: number, body: ReadableStream<Uint8Array>): Answered => ({ status, headers: new Headers({ "Content-Type": "application/json" }), body });
    const error = () => new ReadableStream<Uint8Array>({ start: (controller) => (controller.enqueue(new TextEncoder().encode('{"error":{"message":"unknown model"}}')), controller.close()) });
    // Reserved 5,000 msat, the price 1,000.
    expect((await settle(json(200, error()), { charge: tokens })).released).toBe(0n);
    for (const status of [400, 404, 429, 302]) expect([status, (await settle(json(status, error()), { charge: tokens })).released]).toEqual([status, 4000n]);
    const broken = new ReadableStream<Uint8Array>({
      start: (controller) => controller.enqueue(new TextEncoder().encode("data: {}\n\n")),
      pull: (controller) => controller.error(new Error("origin reset")),
    });
    const stream = { status: 200, headers: new Headers({ "Content-Type": "text/event-stream" }), body: broken };
    expect((await settle(stream, { charge: tokens })).released).toBe(0n);
  });

  it("not when the app charged, nor without a body", async () => {
    const metered = charge(config({ meter: { perKibMsat: 1n } }));
    const body = new ReadableStream<Uint8Array>({ start: (controller) => controller.close() });
    expect(await settle(answer(200, undefined, body), { charge: metered, appCharged: 10n })).toMatchObject({ released: 4990n, body: undefined });
    expect(await settle(answer(200), { charge: metered })).toMatchObject({ released: 4000n, body: undefined });
  });
});
