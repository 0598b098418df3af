import { base64 } from "@scure/base";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../../dev/lnd-sim/server.ts";
import { LightningError, lndRestBackend } from "../../src/lightning/index.ts";
import { readLndStatus } from "../../src/lightning/lnd-rest.ts";
import { failureReason } from "./support/failure-reason.ts";

let sim: Simulator;
beforeAll(async () => void (sim = await startSimulator()));
afterAll(() => sim.close());

describe("lnd-rest: an invoice that does not match the node's own answer is refused (the contract itself: backends.test.ts)", () => {
  it.each(["amount", "hash", "network", "expiry"] as const)("mismatched %s → invalid_response", async (mismatch) => {
    sim.setFaults({ mismatch });
    try {
      const backend = lndRestBackend({ url: sim.url, macaroonHex: sim.invoiceMacaroonHex, network: "regtest", timeoutMs: 1000 });
      const failure = await backend.createInvoice({ amountMsat: 10_000n, memo: "x", expirySeconds: 300 }).catch((error: unknown) => error);
      expect(failure).toMatchObject({ reason: "invalid_response" });
    } finally {
      sim.setFaults({ mismatch: null });
    }
  });
});

describe("lnd-rest lookups (Node only: they move the simulator's clock or stand in for a lying node)", () => {
  it("an invoice past its expiry is canceled, as LND's expiry watcher does", async () => {
    const backend = lndRestBackend({ url: sim.url, macaroonHex: sim.invoiceMacaroonHex, network: "regtest", timeoutMs: 1000 });
    const invoice = await backend.createInvoice({ amountMsat: 1_000n, memo: "", expirySeconds: 60 });
    expect((await backend.lookupInvoice(invoice.paymentHash)).state).toBe("open");
    await fetch(`${sim.url}/_sim/clock`, { method: "POST", body: JSON.stringify({ advanceSeconds: 61 }) });
    expect(await backend.lookupInvoice(invoice.paymentHash)).toMatchObject({ state: "canceled", preimage: undefined });
  });

  it("a settled invoice whose r_preimage does not hash to its payment hash is an invalid response", async () => {
    const paymentHash = new Uint8Array(32).fill(7);
    const server = createServer((_request, response) => {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ state: "SETTLED", creation_date: "1700000000", expiry: "600", amt_paid_msat: "1000", r_preimage: base64.encode(new Uint8Array(32).fill(1)) }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const backend = lndRestBackend({ url: `http://127.0.0.1:${port}`, macaroonHex: "00", network: "regtest", timeoutMs: 1000 });
      const error = await backend.lookupInvoice(paymentHash).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(LightningError);
      expect(error).toMatchObject({ reason: "invalid_response" });
    } finally {
      server.close();
    }
  });

  it("an answer longer than 1 MiB is not read further: invalid_response, and a node's undecodable invoice is reported without quoting it", async () => {
    const server = createServer((request, response) => {
      response.writeHead(200, { "content-type": "application/json" });
      if (request.url?.startsWith("/v1/getinfo")) return void response.end(`{"alias":"${"a".repeat(2 << 20)}"}`);
      response.end(JSON.stringify({ r_hash: base64.encode(new Uint8Array(32).fill(7)), payment_request: "lnbcrt1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq", add_index: "1" }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const backend = lndRestBackend({ url: `http://127.0.0.1:${port}`, macaroonHex: "00", network: "regtest", timeoutMs: 5000 });
      expect(await backend.getInfo().catch((caught: unknown) => caught)).toMatchObject({ reason: "invalid_response", message: expect.stringContaining("longer than 1048576 bytes") });
      const undecodable = (await backend.createInvoice({ amountMsat: 1000n, memo: "", expirySeconds: 60 }).catch((caught: unknown) => caught)) as LightningError;
      expect(undecodable).toMatchObject({ reason: "invalid_response", message: expect.stringContaining("does not decode") });
      expect(undecodable.message).not.toContain("lnbcrt1qqqq");
    } finally {
      server.close();
    }
  });

  it("a node URL that redirects is not followed: the macaroon never reaches the redirect's target, and the failure says why", async () => {
    let reachedWithMacaroon = 0;
    const target = createServer((request, response) => {
      if (request.headers["grpc-metadata-macaroon"] !== undefined) reachedWithMacaroon++;
      response.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
    await new Promise<void>((resolve) => target.listen(0, "127.0.0.1", resolve));
    const redirecting = createServer((request, response) => {
      response.writeHead(307, { location: `http://127.0.0.1:${(target.address() as AddressInfo).port}${request.url ?? "/"}` }).end();
    });
    await new Promise<void>((resolve) => redirecting.listen(0, "127.0.0.1", resolve));
    try {
      const backend = lndRestBackend({ url: `http://127.0.0.1:${(redirecting.address() as AddressInfo).port}`, macaroonHex: "ab".repeat(16), network: "regtest", timeoutMs: 1000 });
      const error = await backend.createInvoice({ amountMsat: 1000n, memo: "", expirySeconds: 60 }).catch((caught: unknown) => caught);
      expect(error).toMatchObject({ reason: "node_error", message: expect.stringMatching(/redirect \(HTTP 307\)/) });
      expect(reachedWithMacaroon).toBe(0);
    } finally {
      redirecting.close();
      target.close();
    }
  });
});

describe("readLndStatus: a 404", () => {
  const reasonOf = (text: string) => failureReason(() => readLndStatus({ status: 404, text, json: text.startsWith("{") ? (JSON.parse(text) as Record<string, unknown>) : undefined }, new Uint8Array(32)));
  it("is no such invoice only with LND's own NOT_FOUND (code 5); a proxy's or tunnel's page says nothing of the invoice (a browser's payment is not given up for it)", () => {
    expect(reasonOf('{"code":5,"message":"unable to locate invoice","details":[]}')).toBe("not_found");
    expect(reasonOf("<html><body>404 Not Found</body></html>")).toBe("unavailable");
    expect(reasonOf("404 page not found")).toBe("unavailable");
    // grpc-gateway's answer to a route it does not know: a misconfigured URL, not an invoice the node lacks.
    expect(reasonOf('{"code":5,"message":"Not Found","details":[]}')).toBe("node_error");
  });
});
