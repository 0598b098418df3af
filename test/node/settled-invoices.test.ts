import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { payInvoice } from "../../dev/lnd-sim/payer.ts";
import { startSimulator, type Simulator } from "../../dev/lnd-sim/server.ts";
import { sha256, toHex } from "../../src/bytes.ts";
import { LightningError, lndRestBackend, type InvoiceBackend } from "../../src/lightning/index.ts";
import { memoryPorts } from "../../src/paywall/memory-ports.ts";
import type { LookupLimiter } from "../../src/paywall/ports.ts";
import { settledInvoices } from "../../src/paywall/settled-invoices.ts";

/**
 * Asking the node whether an invoice was paid (src/paywall/settled-invoices.ts),
 * for x402 payments that name their invoice only: against the LND simulator,
 * its lookups counted; the limiter the memory port's (one a second per invoice).
 */
let sim: Simulator;
let node: InvoiceBackend;
beforeAll(async () => {
  sim = await startSimulator();
  node = lndRestBackend({ url: sim.url, macaroonHex: sim.paywallMacaroonHex, network: "regtest", timeoutMs: 2000 });
});
afterAll(() => sim.close());

/** The node, its lookups counted. */
function counted(backend: InvoiceBackend): { backend: InvoiceBackend; lookups: () => number } {
  let lookups = 0;
  return {
    backend: { ...backend, lookupInvoice: (hash) => ((lookups += 1), backend.lookupInvoice(hash)) },
    lookups: () => lookups,
  };
}

const limiter = (): LookupLimiter => memoryPorts().lookupLimiter;

async function invoice(paid: boolean): Promise<string> {
  const issued = await node.createInvoice({ amountMsat: 1000n, memo: "settled-invoices", expirySeconds: 600 });
  if (paid) expect((await payInvoice({ url: sim.url, macaroonHex: sim.adminMacaroonHex }, issued.paymentRequest)).status).toBe("SUCCEEDED");
  return toHex(issued.paymentHash);
}

describe("settled invoices", () => {
  it("a paid invoice: its preimage, asked once for 20 concurrent askers, and never again", async () => {
    const { backend, lookups } = counted(node);
    const invoices = settledInvoices(backend, limiter());
    const hash = await invoice(true);
    const answers = await Promise.all(Array.from({ length: 20 }, () => invoices.preimageOf(hash)));
    for (const answer of answers) {
      expect(answer.state).toBe("settled");
      if (answer.state === "settled") expect(toHex(sha256(answer.preimage))).toBe(hash);
    }
    expect(lookups()).toBe(1);
    expect((await invoices.preimageOf(hash)).state).toBe("settled");
    expect(lookups()).toBe(1);
  });

  it("an unpaid invoice: unsettled, and not asked again within the second (busy, 503)", async () => {
    const { backend, lookups } = counted(node);
    const invoices = settledInvoices(backend, limiter());
    const hash = await invoice(false);
    expect(await invoices.preimageOf(hash)).toEqual({ state: "unsettled" });
    expect(await invoices.preimageOf(hash)).toMatchObject({ state: "unavailable", reason: "payment_check_busy", retryAfterSeconds: 1 });
    expect(lookups()).toBe(1);
  });

  it("an invoice the node does not know is unsettled", async () => {
    expect(await settledInvoices(node, limiter()).preimageOf("ab".repeat(32))).toEqual({ state: "unsettled" });
  });

  it("fails closed: no limiter, a limiter that cannot answer, a sick node", async () => {
    const hash = await invoice(true);
    expect(await settledInvoices(node, undefined).preimageOf(hash)).toMatchObject({ state: "unavailable", reason: "payment_check_busy" });
    const broken: LookupLimiter = { allow: () => Promise.reject(new Error("storage down")) };
    expect(await settledInvoices(node, broken).preimageOf(hash)).toMatchObject({ state: "unavailable", reason: "payment_check_busy", retryAfterSeconds: 1 });
    const sick: InvoiceBackend = { ...node, lookupInvoice: () => Promise.reject(new LightningError("unavailable", "connection refused", 7)) };
    expect(await settledInvoices(sick, limiter()).preimageOf(hash)).toEqual({ state: "unavailable", reason: "node_unavailable", detail: expect.stringMatching(/cannot confirm/), retryAfterSeconds: 7 });
  });
});
