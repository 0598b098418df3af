import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { payInvoice } from "../../dev/lnd-sim/payer.ts";
import { startSimulator, type Simulator } from "../../dev/lnd-sim/server.ts";
import { l402Paywall, memoryPorts, PaywallConfigError, type L402Variables, type PaymentScheme } from "../../src/index.ts";
import { createKeyring, fromBase64Lenient, fromHex, parseChallenge, toBase64, verify } from "../../src/l402/index.ts";
import { lndRestBackend, type InvoiceBackend } from "../../src/lightning/index.ts";
import { decodeMacaroon, MacaroonFormatError } from "../../src/macaroon/index.ts";
import { parsePaymentChallenges } from "../../src/payment/index.ts";

/**
 * A way to pay is a new PaymentScheme (src/paywall/schemes/scheme.ts; the
 * guide: docs/schemes.md). This one, "toy", lives in this test alone: its
 * challenge names the token and the invoice, its credential is
 * `Authorization: Toy <token>.<preimage>`. Given to the middleware in its
 * `schemes` option and listed by a service, it is offered beside L402 and
 * Payment in one 402, over their one invoice, and a payment made through it is
 * the same token as theirs (one meter).
 */
const toyScheme: PaymentScheme = {
  name: "toy",
  label: "toy",
  credentialHeaders: ["authorization"],
  authorizations: ["Toy"],
  read({ request, service, capabilities, keyring }) {
    const [token = "", preimage = ""] = (request.headers.get("authorization") ?? "").replace(/^Toy\s+/i, "").split(".");
    const bytes = fromBase64Lenient(token);
    const proof = fromHex(preimage);
    if (bytes === undefined || proof?.length !== 32) return { ok: false, reason: "malformed", detail: "a toy credential is <token>.<preimage>" };
    let macaroon;
    try {
      macaroon = decodeMacaroon(bytes);
    } catch (error) {
      if (error instanceof MacaroonFormatError) return { ok: false, reason: "malformed", detail: error.message };
      throw error;
    }
    const verified = verify({ macaroon, preimage: proof }, { keyring, service: service.name, capabilities, now: request.now });
    return verified.ok ? { ok: true, value: { token: verified.value } } : verified;
  },
  challenge: (parts) => ({ wwwAuthenticate: [`Toy token="${toBase64(parts.macaroon)}", invoice="${parts.invoice}"`], headers: { "X-Toy-Invoice": parts.invoice }, members: { toy: true } }),
};

let sim: Simulator;
let backend: InvoiceBackend;
const keyring = createKeyring(new Uint8Array(32).fill(11));
beforeAll(async () => {
  sim = await startSimulator();
  backend = lndRestBackend({ url: sim.url, macaroonHex: sim.paywallMacaroonHex, network: "regtest", timeoutMs: 2000 });
});
afterAll(() => sim.close());

function app() {
  const hono = new Hono<{ Variables: L402Variables }>();
  hono.use("/api/*", l402Paywall({ service: { name: "api", price_sats: 3, uses: 2, schemes: ["l402", "mpp", "toy"] }, schemes: [toyScheme], keyring, backend, ports: memoryPorts() }));
  hono.get("/api/data", (c) => c.json({ scheme: c.var.l402?.scheme, remaining: c.var.l402?.remaining ?? null }));
  return hono;
}

describe("a scheme added by the app alone", () => {
  it("is offered beside L402 and Payment in one 402, over their invoice, paid and accepted, drawing the same token's uses", async () => {
    const hono = app();
    const unpaid = await hono.request("/api/data");
    expect(unpaid.status).toBe(402);
    const header = unpaid.headers.get("www-authenticate") ?? "";
    const l402 = parseChallenge(header);
    if (!l402.ok) throw new Error(l402.detail);
    const { invoice } = l402.value;
    // L402, LSAT, Payment, then the toy's: four challenges, one invoice.
    expect(header).toMatch(/^L402 macaroon="[^"]+", invoice="[^"]+", LSAT .*, Payment id=".*", Toy token="([^"]+)", invoice="([^"]+)"$/);
    expect(/Toy token="[^"]+", invoice="([^"]+)"/.exec(header)?.[1]).toBe(invoice);
    expect(parsePaymentChallenges(header)).toHaveLength(1);
    expect(unpaid.headers.get("x-toy-invoice")).toBe(invoice);
    expect(await unpaid.json()).toMatchObject({ reason: "missing", invoice, toy: true });

    const token = /Toy token="([^"]+)"/.exec(header)?.[1] ?? "";
    const paid = await payInvoice({ url: sim.url, macaroonHex: sim.adminMacaroonHex }, invoice);
    const viaToy = await hono.request("/api/data", { headers: { Authorization: `Toy ${token}.${paid.preimageHex}` } });
    expect(viaToy.status).toBe(200);
    expect(await viaToy.json()).toEqual({ scheme: "toy", remaining: 1 });
    // The same payment through L402: the same token, its last use.
    const viaL402 = await hono.request("/api/data", { headers: { Authorization: `L402 ${toBase64(l402.value.macaroon)}:${paid.preimageHex}` } });
    expect(await viaL402.json()).toEqual({ scheme: "l402", remaining: 0 });
    const spent = await hono.request("/api/data", { headers: { Authorization: `Toy ${token}.${paid.preimageHex}` } });
    expect(spent.status).toBe(402);
    expect(await spent.json()).toMatchObject({ reason: "exhausted" });
  });

  it("a toy credential refused says why, like any other", async () => {
    const refused = await app().request("/api/data", { headers: { Authorization: "Toy nonsense" } });
    expect(refused.status).toBe(402);
    expect(await refused.json()).toMatchObject({ reason: "malformed" });
  });

  it("a service may list only schemes the paywall takes, and a scheme's name only once", () => {
    const make = (options: Partial<Parameters<typeof l402Paywall>[0]>) => () => l402Paywall({ service: { name: "api", price_sats: 1, uses: 2, schemes: ["l402", "toy"] }, keyring, backend, ports: memoryPorts(), ...options });
    expect(make({})).toThrow(PaywallConfigError);
    expect(make({})).toThrow(/service\.schemes\[1\]: must list "l402", "mpp", "x402" or several of them/);
    expect(make({ schemes: [toyScheme, { ...toyScheme }] })).toThrow(/two schemes are named "toy"/);
    expect(make({ schemes: [toyScheme] })).not.toThrow();
  });
});
