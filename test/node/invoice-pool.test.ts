import { describe, expect, it } from "vitest";
import type { InvoiceBackend } from "../../src/lightning/index.ts";
import { invoiceFor } from "../../src/paywall/invoice-pool.ts";
import type { InvoicePool } from "../../src/paywall/ports.ts";

/**
 * What a challenge hands the platform while it takes an invoice from the pool
 * (paywall/invoice-pool.ts). The pool itself, under concurrency, through the
 * Worker: test/workerd/invoice-pool.test.ts.
 */
describe("invoiceFor", () => {
  it("hands its take from the pool to `later` before waiting for it: a client that leaves mid-take never leaves the isolate's buffer counting it as asked", async () => {
    let answer: () => void = () => undefined;
    const pool: InvoicePool = {
      take: () => new Promise((resolve) => (answer = () => resolve({ invoices: [], refill: 0 }))),
      put: async () => undefined,
    };
    const made = { paymentRequest: "lnbcrt1", paymentHash: new Uint8Array(32), expiresAt: 2_000_000_000 };
    const backend = { createInvoice: async () => made, lookupInvoice: async () => Promise.reject(new Error("unused")), getInfo: async () => Promise.reject(new Error("unused")) } as unknown as InvoiceBackend;
    const handedOn: Promise<unknown>[] = [];
    const invoice = invoiceFor(backend, pool, { amountMsat: 1000n, memo: "m", expirySeconds: 600 }, true, (work) => handedOn.push(work), 1_800_000_000);
    // The take is under way and unanswered: already the platform's to finish.
    await Promise.resolve();
    expect(handedOn).toHaveLength(1);
    let settled = false;
    void handedOn[0]?.then(() => (settled = true));
    answer();
    expect(await invoice).toBe(made);
    expect(settled).toBe(true);
  });
});
