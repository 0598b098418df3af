import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, describe, it } from "vitest";
import { L402Error, lndWallet } from "../../src/client/index.ts";
import bolt11 from "../fixtures/bolt11-spec-examples.json" with { type: "json" };

/** A node that takes a payment and never says how it ended: no headers (`/v2/router/send` held), or headers and no final update. */
const servers: Server[] = [];
async function holdingNode(sendHeaders: boolean): Promise<string> {
  const server = createServer((request, response) => {
    request.resume();
    if (sendHeaders) response.writeHead(200, { "content-type": "application/json" }).flushHeaders();
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
afterAll(() => {
  for (const server of servers) server.closeAllConnections(), server.close();
});

/** A server answering every request with `status` and `body` (a proxy in front of a node, say). */
async function answeringNode(status: number, body: object): Promise<string> {
  const server = createServer((request, response) => {
    request.resume();
    response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("lndWallet", () => {
  it("lookup: only LND's own NotFound for the payment says it was never made; any other 404 is no answer", async ({ expect }) => {
    const lookupAt = async (status: number, body: object) => lndWallet({ url: await answeringNode(status, body), macaroonHex: "00", feeLimitSats: 1, timeoutSeconds: 5 }).lookup?.("ab".repeat(32));
    expect(await lookupAt(404, { error: { code: 5, message: "payment isn't initiated", details: [] } })).toEqual({ status: "unpaid" });
    await expect(lookupAt(404, { code: 5, message: "Not Found", details: [] })).rejects.toMatchObject({ name: "L402Error", code: "network" });
    await expect(lookupAt(200, { result: { status: "SUCCEEDED", payment_preimage: "zz" } })).rejects.toMatchObject({ code: "network" });
  });

  it.concurrent.for([
    ["holds the request", false, "no answer within 10 s"],
    ["answers headers, then nothing", true, "no final update within 10 s, or the connection broke"],
  ] as const)("a node that %s: payment_failed, not unpaid, saying it may still complete (never \"cannot reach\")", { timeout: 20_000 }, async ([, sendHeaders, why], { expect }) => {
    const wallet = lndWallet({ url: await holdingNode(sendHeaders), macaroonHex: "00", feeLimitSats: 1, timeoutSeconds: 0 });
    const error = await wallet.pay("lnbcrt1", { maxFeeMsat: 1000n }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(L402Error);
    expect(error).toMatchObject({ code: "payment_failed", unpaid: false, message: `the node did not say whether the payment completed (${why}): it may still, so check the wallet before paying again` });
  });

  it("a refusal is unpaid only when it is LND's own (its gRPC status, or an error in the stream); a proxy's failure may have come after the payment began", async ({ expect }) => {
    const payAt = async (status: number, body: object) =>
      lndWallet({ url: await answeringNode(status, body), macaroonHex: "00", feeLimitSats: 1, timeoutSeconds: 5 }).pay("lnbcrt1", { maxFeeMsat: 1000n }).catch((caught: unknown) => caught);
    expect(await payAt(500, { code: 2, message: "invoice expired. Valid until 10:00", details: [] })).toMatchObject({ code: "payment_failed", unpaid: true });
    expect(await payAt(200, { error: { code: 2, message: "invoice is already paid" } })).toMatchObject({ code: "payment_failed", unpaid: true });
    expect(await payAt(502, { message: "Bad gateway" })).toMatchObject({ code: "payment_failed", unpaid: false, message: expect.stringContaining("HTTP 502 without the node's own error") });
    expect(await payAt(503, {})).toMatchObject({ code: "payment_failed", unpaid: false });
  });

  it("a success whose preimage is not the invoice's: payment_failed, not unpaid (the payment stays in doubt), never a token", async ({ expect }) => {
    const invoice = bolt11.examples[0]?.invoice ?? "";
    const payWith = async (preimage: string) =>
      lndWallet({ url: await answeringNode(200, { result: { status: "SUCCEEDED", payment_preimage: preimage, fee_msat: "0" } }), macaroonHex: "00", feeLimitSats: 1, timeoutSeconds: 5 }).pay(invoice, { maxFeeMsat: 1000n }).catch((caught: unknown) => caught);
    expect(await payWith("11".repeat(32))).toMatchObject({ code: "payment_failed", unpaid: false, message: expect.stringContaining("its preimage does not match the invoice's payment hash") });
  });

  it("a node URL that redirects is not followed (its target would get the macaroon): the payment is in doubt, and the failure says why", async ({ expect }) => {
    let reachedWithMacaroon = 0;
    const target = createServer((request, response) => {
      if (request.headers["grpc-metadata-macaroon"] !== undefined) reachedWithMacaroon++;
      response.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
    servers.push(target);
    await new Promise<void>((resolve) => target.listen(0, "127.0.0.1", resolve));
    const redirecting = createServer((request, response) => {
      request.resume();
      response.writeHead(307, { location: `http://127.0.0.1:${(target.address() as AddressInfo).port}${request.url ?? "/"}` }).end();
    });
    servers.push(redirecting);
    await new Promise<void>((resolve) => redirecting.listen(0, "127.0.0.1", resolve));
    const wallet = lndWallet({ url: `http://127.0.0.1:${(redirecting.address() as AddressInfo).port}`, macaroonHex: "ab".repeat(16), feeLimitSats: 1, timeoutSeconds: 5 });
    const paying = await wallet.pay(bolt11.examples[0]?.invoice ?? "", { maxFeeMsat: 1000n }).catch((caught: unknown) => caught);
    expect(paying).toBeInstanceOf(L402Error);
    expect(paying).toMatchObject({ code: "payment_failed", message: expect.stringMatching(/redirect \(HTTP 307\).*check the wallet/) });
    expect(await wallet.lookup?.("00".repeat(32)).catch((caught: unknown) => caught)).toBeInstanceOf(Error);
    expect(reachedWithMacaroon).toBe(0);
  });
});
