import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBackendSims, type BackendSims } from "../../dev/backend-sims/index.ts";
import { startSimulator, type Simulator } from "../../dev/lnd-sim/server.ts";
import { clnRestBackend, LightningError, lndRestBackend, nwcBackend, phoenixdBackend, platformWebSocket, type InvoiceBackend } from "../../src/lightning/index.ts";

/**
 * A backend given no network learns it from its node (getinfo), once, and checks
 * every invoice against it; one given a network checks against that. The node
 * here is on testnet, so a learnt network shows in the invoices' `lntb` prefix.
 */
let sim: Simulator;
let sims: BackendSims;

beforeAll(async () => {
  sim = await startSimulator({ network: "testnet" });
  sims = await startBackendSims(sim.node);
});
afterAll(async () => {
  await sims?.close();
  await sim?.close();
});

const request = { amountMsat: 3000n, memo: "m", expirySeconds: 600 };
const lnd = (network?: "mainnet" | "testnet") => lndRestBackend({ url: sim.url, macaroonHex: sim.paywallMacaroonHex, timeoutMs: 2000, ...(network === undefined ? {} : { network }) });
const simControl = (path: string, body?: object) => fetch(`${sim.url}${path}`, { method: body === undefined ? "DELETE" : "POST", ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
const stats = async () => (await (await fetch(`${sim.url}/_sim/stats`)).json()) as { requests: number };
const failure = (promise: Promise<unknown>) => promise.then(() => expect.unreachable("no error"), (error: unknown) => error as LightningError);

describe("the network a backend checks invoices against", () => {
  const learners: [string, () => InvoiceBackend][] = [
    ["lnd", () => lnd()],
    ["cln", () => clnRestBackend({ url: sims.cln.url, rune: sims.cln.paywallRune, timeoutMs: 2000 })],
    ["phoenixd", () => phoenixdBackend({ url: sims.phoenixd.url, password: sims.phoenixd.password, timeoutMs: 2000 })],
    ["nwc", () => nwcBackend({ uri: sims.nwc.uri, timeoutMs: 2000, webSocket: platformWebSocket })],
  ];
  for (const [name, make] of learners) {
    it(`${name}: learnt from the node when none is given`, async () => {
      const invoice = await make().createInvoice(request);
      expect(invoice.paymentRequest).toMatch(/^lntb30n1/);
    });
  }

  it("is asked of the node once, not per invoice", async () => {
    const backend = lnd();
    const before = (await stats()).requests;
    for (let i = 0; i < 3; i++) await backend.createInvoice(request);
    // Three AddInvoice calls and one getinfo.
    expect((await stats()).requests - before).toBe(4);
  });

  it("is asked again after the node failed to say, and the invoice waits for it", async () => {
    const backend = lnd();
    await simControl("/_sim/faults", { failure: "unavailable", paths: ["/v1/getinfo"] });
    try {
      expect((await failure(backend.createInvoice(request))).reason).toBe("unavailable");
    } finally {
      await simControl("/_sim/faults");
    }
    expect((await backend.createInvoice(request)).paymentRequest).toMatch(/^lntb30n1/);
  });

  it("an invoice for another network than the node's own is refused", async () => {
    const backend = lnd();
    await backend.createInvoice(request);
    await simControl("/_sim/faults", { mismatch: "network", paths: ["/v1/invoices"] });
    try {
      const error = await failure(backend.createInvoice(request));
      expect(error.reason).toBe("invalid_response");
      expect(error.message).toMatch(/network \w+, expected testnet/);
    } finally {
      await simControl("/_sim/faults");
    }
  });

  it("a network given is checked against every invoice, and the node's is not asked", async () => {
    const backend = lnd("mainnet");
    const before = (await stats()).requests;
    const error = await failure(backend.createInvoice(request));
    expect(error.reason).toBe("invalid_response");
    expect(error.message).toContain("network testnet, expected mainnet");
    expect((await stats()).requests - before).toBe(1);
  });
});
