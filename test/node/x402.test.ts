import { decodePaymentRequiredHeader, encodePaymentSignatureHeader } from "@x402/core/http";
import type { PaymentRequirements } from "@x402/core/types";
import { Hono } from "hono";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { payInvoice } from "../../dev/lnd-sim/payer.ts";
import { startSimulator, type Simulator } from "../../dev/lnd-sim/server.ts";
import { l402Paywall, memoryPorts, type L402Variables } from "../../src/index.ts";
import { createKeyring } from "../../src/l402/index.ts";
import { lndRestBackend, type InvoiceBackend } from "../../src/lightning/index.ts";

/**
 * The x402 scheme (src/paywall/schemes/x402.ts) in the Hono middleware, where
 * the paywall's clock can be moved: how long a paid entry is taken, and the
 * host its tag binds it to. (Through the template Worker: test/workerd/worker-x402.test.ts.)
 */
let sim: Simulator;
let backend: InvoiceBackend;
const keyring = createKeyring(new Uint8Array(32).fill(40));
beforeAll(async () => {
  sim = await startSimulator();
  backend = lndRestBackend({ url: sim.url, macaroonHex: sim.paywallMacaroonHex, network: "regtest", timeoutMs: 2000 });
});
afterAll(() => sim.close());
afterEach(() => void vi.useRealTimers());

function app(service: { readonly name: string; readonly match?: string[] }, node: InvoiceBackend = backend) {
  const hono = new Hono<{ Variables: L402Variables }>();
  hono.use("*", l402Paywall({ service: { ...service, price_sats: 2, schemes: ["x402"] }, keyring, backend: node, ports: memoryPorts(), invoice: { expirySeconds: 600 }, log: false }));
  hono.get("*", (c) => c.json({ scheme: c.var.l402?.scheme }));
  return hono;
}

async function paidEntry(hono: Hono<{ Variables: L402Variables }>, url: string): Promise<{ entry: PaymentRequirements; signature: string }> {
  const unpaid = await hono.request(url);
  const [entry] = decodePaymentRequiredHeader(unpaid.headers.get("payment-required") ?? "").accepts;
  if (entry === undefined) throw new Error("no x402 entry");
  const paid = await payInvoice({ url: sim.url, macaroonHex: sim.adminMacaroonHex }, String(entry.extra["invoice"]));
  return { entry, signature: encodePaymentSignatureHeader({ x402Version: 2, accepted: entry, payload: { preimage: paid.preimageHex as string } }) };
}

describe("the x402 scheme's limits", () => {
  it("a paid entry is taken until its invoice expired and a minute more (#2861's skew), not after", async () => {
    const hono = app({ name: "timed" });
    const late = await paidEntry(hono, "/late");
    const later = await paidEntry(hono, "/later");
    const expiresAt = Number(late.entry.extra["expiresAt"]);
    vi.useFakeTimers({ toFake: ["Date"], now: (expiresAt + 59) * 1000 });
    expect((await hono.request("/late", { headers: { "PAYMENT-SIGNATURE": late.signature } })).status).toBe(200);
    vi.setSystemTime((Number(later.entry.extra["expiresAt"]) + 60) * 1000);
    const expired = await hono.request("/later", { headers: { "PAYMENT-SIGNATURE": later.signature } });
    expect(expired.status).toBe(402);
    expect(await expired.json()).toMatchObject({ reason: "expired" });
  });

  it("an entry naming its invoice only, sent past taking (its invoice's expiry and a minute): expired, and the node is not asked", async () => {
    let lookups = 0;
    const counted: InvoiceBackend = { ...backend, lookupInvoice: (hash) => (lookups++, backend.lookupInvoice(hash)) };
    const hono = app({ name: "replayed" }, counted);
    const { entry } = await paidEntry(hono, "/old");
    const invoiceOnly = encodePaymentSignatureHeader({ x402Version: 2, accepted: entry, payload: { invoice: String(entry.extra["invoice"]) } });
    vi.useFakeTimers({ toFake: ["Date"], now: (Number(entry.extra["expiresAt"]) + 60) * 1000 });
    for (let i = 0; i < 3; i++) {
      const late = await hono.request("/old", { headers: { "PAYMENT-SIGNATURE": invoiceOnly } });
      expect(late.status).toBe(402);
      expect(await late.json()).toMatchObject({ reason: "expired" });
    }
    expect(lookups).toBe(0);
  });

  it("a service that names its hosts takes an entry on the host that issued it only", async () => {
    const hono = app({ name: "hosted", match: ["a.example/*", "b.example/*"] });
    const { signature } = await paidEntry(hono, "http://a.example/x");
    const elsewhere = await hono.request("http://b.example/x", { headers: { "PAYMENT-SIGNATURE": signature } });
    expect(elsewhere.status).toBe(402);
    expect(await elsewhere.json()).toMatchObject({ reason: "unknown_challenge" });
    expect((await hono.request("http://a.example/x", { headers: { "PAYMENT-SIGNATURE": signature } })).status).toBe(200);
  });

  it("the origin's own Authorization does not hide the payment, and an oversized one is refused unread (431)", async () => {
    const hono = app({ name: "beside" });
    const { signature } = await paidEntry(hono, "/x");
    expect(await (await hono.request("/x", { headers: { "PAYMENT-SIGNATURE": signature, Authorization: "Bearer for-the-origin" } })).json()).toEqual({ scheme: "x402" });
    const oversized = await hono.request("/x", { headers: { "PAYMENT-SIGNATURE": "A".repeat(9000) } });
    expect(oversized.status).toBe(431);
  });
});
