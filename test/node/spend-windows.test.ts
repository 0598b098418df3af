import { describe, expect, it } from "vitest";
import { memoryLedger, releaseRecord, reserve, windowsSpent } from "../../src/client/spend-windows.ts";

/** Spend windows (client/spend-windows.ts): a payment counted before it is made, then at what it cost. */
const NOW = 1_800_000_000;
const spent = async (ledger: ReturnType<typeof memoryLedger>) => windowsSpent(await ledger.change((records) => ({ records, result: records })), {}, NOW).map((w) => w.spentMsat);

describe("a reservation", () => {
  it("paid: counts the price and the fee paid, in place of the most it could cost", async () => {
    const ledger = memoryLedger();
    const reservation = await reserve(ledger, {}, { host: "api.example", priceMsat: 3000n, maxFeeMsat: 500n }, NOW);
    expect(await spent(ledger)).toEqual([3500n, 3500n, 3500n]);
    await reservation.settle(20n);
    expect(await spent(ledger)).toEqual([3020n, 3020n, 3020n]);
  });

  it("paid after another client sharing the ledger took its record for a payment never made: counted again, never lost", async () => {
    const ledger = memoryLedger();
    const reservation = await reserve(ledger, {}, { host: "api.example", priceMsat: 3000n, maxFeeMsat: 500n }, NOW);
    await releaseRecord(ledger, reservation.id);
    expect(await spent(ledger)).toEqual([0n, 0n]);
    await reservation.settle(20n);
    expect(await spent(ledger)).toEqual([3020n, 3020n, 3020n]);
    await reservation.settle(30n);
    expect(await spent(ledger)).toEqual([3030n, 3030n, 3030n]);
  });

  it("not paid: counts nothing", async () => {
    const ledger = memoryLedger();
    const reservation = await reserve(ledger, {}, { host: "api.example", priceMsat: 3000n, maxFeeMsat: 500n }, NOW);
    await reservation.release();
    expect(await spent(ledger)).toEqual([0n, 0n]);
  });
});
