import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startSimulator, type Simulator } from "../../dev/lnd-sim/server.ts";
import { l402Paywall, memoryPorts, type Ledger, type SettlementRecord } from "../../src/index.ts";
import { createKeyring } from "../../src/l402/index.ts";
import { lndRestBackend, type InvoiceBackend } from "../../src/lightning/index.ts";
import { firstUseTracker, RETRY_AFTER_SECONDS } from "../../src/paywall/first-use.ts";
import { auth, payingThrough, type App } from "./support/paying-client.ts";

/**
 * A token's once-only work on its first paid use (paywall/first-use.ts,
 * decide.ts's firstUseWork): done once per isolate, and done again when the
 * ledger could not book it.
 */
let sim: Simulator;
let backend: InvoiceBackend;
const keyring = createKeyring(new Uint8Array(32).fill(21));
const { buy } = payingThrough(() => sim);

beforeAll(async () => {
  sim = await startSimulator();
  backend = lndRestBackend({ url: sim.url, macaroonHex: sim.paywallMacaroonHex, network: "regtest", timeoutMs: 2000 });
});
afterAll(() => sim.close());

describe("firstUseTracker", () => {
  it("is true the first time a token id is seen; after its work failed, once more from RETRY_AFTER_SECONDS on", () => {
    const firstUse = firstUseTracker();
    const now = 1_800_000_000;
    expect([firstUse.seen("a", now), firstUse.seen("a", now), firstUse.seen("b", now)]).toEqual([true, false, true]);
    firstUse.failed("a", now);
    expect(firstUse.seen("a", now + RETRY_AFTER_SECONDS - 1)).toBe(false);
    expect([firstUse.seen("a", now + RETRY_AFTER_SECONDS), firstUse.seen("a", now + RETRY_AFTER_SECONDS)]).toEqual([true, false]);
  });
});

describe("booking a token's settlement", () => {
  it("a settlement the ledger could not write is booked on the token's next paid use a minute on; one written, never again", async () => {
    const attempts: SettlementRecord[] = [];
    let failing = true;
    const ledger: Ledger = {
      ...memoryPorts().ledger,
      recordSettlement: async (settlement) => {
        attempts.push(settlement);
        if (failing) throw new Error("D1 is down");
      },
    };
    const app: App = new Hono();
    app.use("/api/*", l402Paywall({ service: { name: "api", price_sats: 2, ledger: true }, keyring, backend, ports: { ...memoryPorts(), ledger }, log: false }));
    app.get("/api/data", (c) => c.text("paid"));
    const token = await buy(app, "/api/data");
    const settled = () => new Promise((resolve) => setImmediate(resolve));
    expect((await app.request("/api/data", auth(token.authorization))).status).toBe(200);
    await settled();
    // Still down: the paid requests of the next minute do not ask it again.
    expect((await app.request("/api/data", auth(token.authorization))).status).toBe(200);
    await settled();
    expect(attempts).toHaveLength(1);
    failing = false;
    vi.useFakeTimers({ now: Date.now() + RETRY_AFTER_SECONDS * 1000, toFake: ["Date"] });
    try {
      for (let i = 0; i < 3; i++) expect((await app.request("/api/data", auth(token.authorization))).status).toBe(200);
    } finally {
      vi.useRealTimers();
    }
    await settled();
    expect(attempts.map((settlement) => [settlement.tokenId, settlement.priceMsat])).toEqual([
      [token.tokenId, 2000n],
      [token.tokenId, 2000n],
    ]);
  });
});
