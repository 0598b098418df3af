import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clnRestBackend, LightningError, lnbitsBackend, lndRestBackend, phoenixdBackend, type InvoiceBackend } from "../../src/lightning/index.ts";
import { httpCall } from "../../src/lightning/http-call.ts";

/**
 * One HTTP call to a node (lightning/http-call.ts): what a node, or a proxy in
 * front of it, answers is quoted in errors for operators' logs, and never
 * with the credential the call sent. The server here answers as a debug page
 * would: every request's headers back, as JSON and as text.
 */
let server: Server;
let url: string;
beforeAll(async () => {
  server = createServer((request, response) => {
    const headers = JSON.stringify(request.headers);
    response.writeHead(500, { "Content-Type": "application/json" });
    response.end(JSON.stringify({ code: 2, message: headers, detail: headers, headers }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => server.close());

const SECRET = "S3CRETcredential0123456789";

describe("httpCall", () => {
  it("takes the credentials it sent out of the answer, a scheme's value too (Basic …), so no error quotes them", async () => {
    const basic = `Basic ${Buffer.from(`:${SECRET}`).toString("base64")}`;
    const answer = await httpCall(url, { method: "POST", headers: { Rune: SECRET, Authorization: basic, "Content-Type": "application/json" }, body: "{}" }, 2000, "test");
    expect(answer.status).toBe(500);
    expect(answer.text).not.toContain(SECRET);
    expect(answer.text).not.toContain(basic.slice("Basic ".length));
    // What is not a credential stays, to say what was asked.
    expect(JSON.parse(answer.json?.["headers"] as string)).toMatchObject({ rune: "[redacted]", authorization: "[redacted]", "content-type": "application/json" });
  });

  it.each<[string, (url: string) => InvoiceBackend]>([
    ["LND", (url) => lndRestBackend({ url, macaroonHex: "ab".repeat(40), network: "regtest", timeoutMs: 2000 })],
    ["CLN", (url) => clnRestBackend({ url, rune: SECRET, network: "regtest", timeoutMs: 2000 })],
    ["phoenixd", (url) => phoenixdBackend({ url, password: SECRET, network: "regtest", timeoutMs: 2000 })],
    ["LNbits", (url) => lnbitsBackend({ url, invoiceKey: SECRET, network: "regtest", timeoutMs: 2000 })],
  ])("%s: an error answer echoing the request quotes no credential", async (_name, backendAt) => {
    const failed = await backendAt(url).createInvoice({ amountMsat: 1000n, memo: "x", expirySeconds: 600 }).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(LightningError);
    const detail = (failed as LightningError).message;
    expect(detail).toMatch(/HTTP 500/);
    for (const secret of [SECRET, "ab".repeat(40), Buffer.from(`:${SECRET}`).toString("base64")]) expect(detail).not.toContain(secret);
  });
});
