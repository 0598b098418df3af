import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { x402Client, x402HTTPClient } from "@x402/core/client";
import { decodePaymentRequiredHeader, decodePaymentResponseHeader, decodePaymentSignatureHeader, encodePaymentSignatureHeader } from "@x402/core/http";
import { isPaymentRequiredV2 } from "@x402/core/schemas";
import type { PaymentPayload, PaymentRequired, PaymentRequirements } from "@x402/core/types";
import { describe, expect, it } from "vitest";
import { payInvoice } from "../../dev/lnd-sim/payer.ts";
import { parseChallenge, toBase64 } from "../../src/l402/index.ts";
import { readInvoice } from "../../src/lightning/index.ts";
import { createWorkerApp } from "../../src/worker/app.ts";
import { clearOfWindowEdge, originHits, originUrl, sim, uniquePath } from "./support/paywall-client.ts";
import { withHeldClock } from "./support/held-clock.ts";

/**
 * x402 v2 with a Lightning entry through the template Worker in workerd: the
 * entry over the invoice every scheme shares, read by x402's own client
 * (`@x402/core`); payments as #2861 writes them (the preimage) and as Alby's
 * fetch402 sends them (the invoice only: the node is asked); each accepted
 * once (the SpentChargeShard Durable Objects), the origin never reached
 * unpaid. The services are this file's own (L402_SERVICES).
 */
const REGTEST = "bip122:0f9188f13cb7b2c71f2a335e3a4fc328";
const services = () => [
  { name: "xdual", match: ["/xdual/*"], price_sats: 3, timeout: 3600, schemes: ["l402", "x402"], description: "L402 or x402", origin: { url: originUrl() } },
  { name: "xonly", match: ["/xonly/*"], price_msat: 1500, schemes: ["x402"], origin: { url: originUrl() } },
  { name: "xother", match: ["/xother/*"], price_sats: 1, schemes: ["x402"], origin: { url: originUrl() } },
];

const app = createWorkerApp();
let x402Env: object | undefined;

async function send(path: string, init?: RequestInit): Promise<Response> {
  x402Env ??= { ...env, L402_SERVICES: JSON.stringify(services()) };
  const ctx = createExecutionContext();
  const response = await app.fetch(new Request(`https://paywall.test${path}`, init), x402Env, ctx);
  const body = await response.arrayBuffer();
  await waitOnExecutionContext(ctx);
  return new Response(body, response);
}

interface Offered {
  readonly required: PaymentRequired;
  readonly entry: PaymentRequirements;
  readonly body: Record<string, unknown>;
  readonly response: Response;
}

async function offer(path: string): Promise<Offered> {
  const response = await send(path);
  expect(response.status).toBe(402);
  const required = decodePaymentRequiredHeader(response.headers.get("payment-required") ?? "");
  const entry = required.accepts[0];
  if (entry === undefined) throw new Error("no x402 entry");
  return { required, entry, body: (await response.json()) as Record<string, unknown>, response };
}

const invoiceOf = (entry: PaymentRequirements): string => String(entry.extra["invoice"]);

async function pay(invoice: string): Promise<string> {
  const paid = await payInvoice({ url: sim().url, macaroonHex: sim().adminMacaroonHex }, invoice);
  expect(paid.status).toBe("SUCCEEDED");
  return paid.preimageHex as string;
}

/** `PAYMENT-SIGNATURE` as #2861 writes it: the accepted entry and the preimage. */
const withPreimage = (entry: PaymentRequirements, preimage: string): string => encodePaymentSignatureHeader({ x402Version: 2, accepted: entry, payload: { preimage } });
/** …and as Alby's fetch402 writes it (src/402/x402/utils.ts): scheme and network at the top, the invoice as the payload, no preimage. */
const asAlby = (entry: PaymentRequirements): string => btoa(JSON.stringify({ x402Version: 2, scheme: entry.scheme, network: entry.network, payload: { invoice: invoiceOf(entry) }, accepted: entry }));
const present = (path: string, signature: string) => send(path, { headers: { "PAYMENT-SIGNATURE": signature } });

describe("the x402 entry beside L402", () => {
  it("a 402 carries PAYMENT-REQUIRED beside WWW-Authenticate, over the same invoice, as x402's own types read it", async () => {
    const path = uniquePath("/xdual/offer");
    const { required, entry, body, response } = await offer(path);
    expect(isPaymentRequiredV2(required)).toBe(true);
    const l402 = parseChallenge(response.headers.get("www-authenticate") ?? "");
    if (!l402.ok) throw new Error(l402.detail);
    expect(l402.value.invoice).toBe(body["invoice"]);
    expect(required).toMatchObject({ x402Version: 2, error: "Payment required", resource: { url: `https://paywall.test${path}`, description: "L402 or x402" } });
    expect(required.accepts).toHaveLength(1);
    // A service without a description: what one x402 payment buys (one request), not a token's terms.
    expect((await offer(uniquePath("/xonly/offer"))).required.resource).toMatchObject({ description: "One request per payment." });
    expect(entry).toMatchObject({
      scheme: "exact",
      network: REGTEST,
      asset: "BTC",
      amount: "3000",
      payTo: "anonymous",
      extra: { paymentMethod: "lightning", invoice: body["invoice"], paymentFlow: "upfront", paymentHash: body["payment_hash"], macaroon: toBase64(l402.value.macaroon), expiresAt: body["expires_at"], id: expect.stringMatching(/^[\w-]{43}$/) },
    });
    const invoice = readInvoice(invoiceOf(entry));
    if (!invoice.ok) throw new Error(invoice.detail);
    expect(invoice.value.amountMsat).toBe(3000n);
    expect(entry.maxTimeoutSeconds).toBeGreaterThan(0);
    expect(entry.maxTimeoutSeconds).toBeLessThanOrEqual(invoice.value.expirySeconds);
    // A browser's script may read both headers (CORS).
    const cors = await send(uniquePath("/xdual/cors"), { headers: { Origin: "https://app.example" } });
    expect(cors.headers.get("access-control-expose-headers")?.split(/,\s*/)).toEqual(expect.arrayContaining(["PAYMENT-REQUIRED", "PAYMENT-RESPONSE"]));
  });

  it("prices in msat as the invoice does, and an x402-only service sends no WWW-Authenticate", async () => {
    const { entry, response } = await offer(uniquePath("/xonly/offer"));
    expect(response.headers.get("www-authenticate")).toBeNull();
    expect(entry.amount).toBe("1500");
    const invoice = readInvoice(invoiceOf(entry));
    expect(invoice.ok && invoice.value.amountMsat).toBe(1500n);
  });

  it("x402's own client (@x402/core) pays the entry with the preimage: 200 with PAYMENT-RESPONSE, the credential kept from the origin", async () => {
    const path = uniquePath("/xdual/client");
    const first = await send(path);
    const lightning = { scheme: "exact", createPaymentPayload: async (x402Version: number, requirements: PaymentRequirements) => ({ x402Version, payload: { preimage: await pay(invoiceOf(requirements)) } }) };
    const client = new x402HTTPClient(new x402Client().register(REGTEST, lightning).setSpendControls(false));
    const payment: PaymentPayload = await client.createPaymentPayload(client.getPaymentRequiredResponse((name) => first.headers.get(name)));
    const paid = await send(path, { headers: client.encodePaymentSignatureHeader(payment) });
    expect(paid.status).toBe(200);
    const settled = decodePaymentResponseHeader(paid.headers.get("payment-response") ?? "");
    expect(settled).toEqual({ success: true, transaction: payment.accepted.extra["paymentHash"], network: REGTEST });
    const echoed = (await paid.json()) as { path: string; headers: Record<string, string> };
    expect(echoed.path).toBe(path);
    expect(echoed.headers["payment-signature"]).toBeUndefined();
    expect(await originHits(path)).toBe(1);
  });

  it("Alby's form (the invoice, no preimage): refused unpaid without reaching the origin, accepted once paid (the node asked, once a second), refused when replayed", async () => {
    const path = uniquePath("/xonly/alby");
    const { entry } = await offer(path);
    const signature = asAlby(entry);
    // The clock held still: the payment below and the check after it fall within the lookup limiter's second however slow the machine.
    const paid = await withHeldClock(async (advance) => {
      const unpaid = await present(path, signature);
      expect(unpaid.status).toBe(402);
      expect(await unpaid.json()).toMatchObject({ reason: "unpaid", detail: expect.stringMatching(/not paid/) });
      expect(await originHits(path)).toBe(0);
      await pay(invoiceOf(entry));
      // The node was asked about this invoice a moment ago: at most once a second (the lookup limiter), so retry shortly.
      const busy = await present(path, signature);
      expect(busy.status).toBe(503);
      expect(busy.headers.get("retry-after")).toBe("1");
      expect(await busy.json()).toMatchObject({ reason: "payment_check_busy" });
      advance(1100);
      return present(path, signature);
    });
    expect(paid.status).toBe(200);
    expect(decodePaymentResponseHeader(paid.headers.get("payment-response") ?? "")).toMatchObject({ success: true, transaction: entry.extra["paymentHash"] });
    const replayed = await present(path, signature);
    expect(replayed.status).toBe(402);
    expect(replayed.headers.get("payment-response")).toBeNull();
    const refusal = (await replayed.json()) as { reason: string; detail: string; invoice: string };
    expect(refusal).toMatchObject({ reason: "spent", detail: expect.stringMatching(/already used/) });
    // A fresh invoice to pay, not the one just spent.
    expect(refusal.invoice).not.toBe(invoiceOf(entry));
    expect(decodePaymentRequiredHeader(replayed.headers.get("payment-required") ?? "").error).toMatch(/refused/);
    expect(await originHits(path)).toBe(1);
  });

  it.each([
    ["with its preimage", (entry: PaymentRequirements, preimage: string) => withPreimage(entry, preimage)],
    ["naming its invoice only", (entry: PaymentRequirements) => asAlby(entry)],
  ])("one payment %s presented 20 times at once: exactly one 200, the origin reached once", async (_form, write) => {
    const path = uniquePath("/xdual/race");
    const { entry } = await offer(path);
    const signature = write(entry, await pay(invoiceOf(entry)));
    const answers = await Promise.all(Array.from({ length: 20 }, () => present(path, signature)));
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status === 402)).toHaveLength(19);
    const reasons = await Promise.all(answers.filter((answer) => answer.status === 402).map(async (answer) => ((await answer.json()) as { reason: string }).reason));
    expect(new Set(reasons)).toEqual(new Set(["spent"]));
    expect(await originHits(path)).toBe(1);
  });
});

describe("payments naming their invoice only ask the node: counted per client", () => {
  it("apart from the client's challenges: past the limit a 429, and another address goes on; a payment carrying its preimage is never counted", async () => {
    const tight = { ...env, L402_SERVICES: JSON.stringify(services()), L402_MINT_LIMITER: env.TIGHT_MINT_LIMITER };
    // The limiter counts in fixed 60 s windows: the six lookups must share one.
    await clearOfWindowEdge(60);
    const from = async (address: string, path: string, headers: Record<string, string> = {}) => {
      const ctx = createExecutionContext();
      const response = await app.fetch(new Request(`https://paywall.test${path}`, { headers: { "CF-Connecting-IP": address, ...headers } }), tight, ctx);
      const body = await response.text();
      await waitOnExecutionContext(ctx);
      return { status: response.status, body };
    };
    const path = uniquePath("/xdual/lookups");
    const address = `203.0.113.${Math.floor(Math.random() * 200) + 1}`;
    const offered = await from(address, path);
    const entry = decodePaymentRequiredHeader((await send(path)).headers.get("payment-required") ?? "").accepts[0] as PaymentRequirements;
    expect(offered.status).toBe(402);
    const signature = asAlby(entry);
    // TIGHT_MINT_LIMITER allows 5 a minute per key: the completions have a key of their own, beside the client's one challenge.
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await from(address, path, { "PAYMENT-SIGNATURE": signature })).status);
    // Unpaid: a 402, or a 503 while the invoice was asked about within the second (the lookup gate); never a 429 until the sixth.
    expect(statuses.map((status) => (status === 429 ? "limited" : [402, 503].includes(status) ? "asked" : status))).toEqual(["asked", "asked", "asked", "asked", "asked", "limited"]);
    expect(JSON.parse((await from(address, path, { "PAYMENT-SIGNATURE": signature })).body)).toMatchObject({ reason: "rate_limited" });
    expect([402, 503]).toContain((await from("198.51.100.9", path, { "PAYMENT-SIGNATURE": signature })).status);
    // A payment carrying its preimage asks nothing: never counted, so taken from this address past its lookups' limit.
    const paid = decodePaymentRequiredHeader((await send(path)).headers.get("payment-required") ?? "").accepts[0] as PaymentRequirements;
    expect((await from(address, path, { "PAYMENT-SIGNATURE": withPreimage(paid, await pay(invoiceOf(paid))) })).status).toBe(200);
  });
});

describe("payments refused, the origin never reached", () => {
  it("a forged preimage, another service's entry, an altered entry, an entry with no canonical form, a malformed header, an x402 v1 payment", async () => {
    const path = uniquePath("/xonly/refused");
    const { entry } = await offer(path);
    const other = await offer(uniquePath("/xother/offer"));
    const otherPreimage = await pay(invoiceOf(other.entry));
    const refusals: [string, string][] = [
      [withPreimage(entry, "00".repeat(32)), "wrong_preimage"],
      [withPreimage(other.entry, otherPreimage), "service_mismatch"],
      [withPreimage({ ...entry, amount: "1" }, otherPreimage), "unknown_challenge"],
      [withPreimage({ ...entry, extra: { ...entry.extra, expiresAt: Number(entry.extra["expiresAt"]) + 86_400 } }, otherPreimage), "unknown_challenge"],
      [withPreimage({ ...entry, extra: { ...entry.extra, paymentMethod: "onchain" } }, otherPreimage), "method_unsupported"],
      [btoa(JSON.stringify({ x402Version: 1, accepted: entry, payload: { preimage: otherPreimage } })), "malformed"],
      // JSON with no canonical form (a number past double range, a lone surrogate): never tagged here, not a 500.
      [btoa(JSON.stringify({ x402Version: 2, accepted: { ...entry, extra: { ...entry.extra, note: "HUGE" } }, payload: { preimage: otherPreimage } }).replace('"HUGE"', "1e999")), "unknown_challenge"],
      [btoa(JSON.stringify({ x402Version: 2, accepted: { ...entry, extra: { ...entry.extra, note: "LONE" } }, payload: { preimage: otherPreimage } }).replace('"LONE"', '"\\ud800"')), "unknown_challenge"],
      ["not base64 at all!", "malformed"],
      [btoa("{}"), "malformed"],
    ];
    for (const [signature, reason] of refusals) {
      const answer = await present(path, signature);
      expect(answer.status, reason).toBe(402);
      expect(((await answer.json()) as { reason: string }).reason).toBe(reason);
    }
    expect(await originHits(path)).toBe(0);
  });

  it("x402's own decoder reads back what the paywall accepted", async () => {
    const { entry } = await offer(uniquePath("/xonly/decode"));
    expect(decodePaymentSignatureHeader(asAlby(entry))).toMatchObject({ x402Version: 2, accepted: entry, payload: { invoice: invoiceOf(entry) } });
  });
});

describe("discovery", () => {
  it("the well-known document and OpenAPI list x402 among a service's schemes", async () => {
    const document = (await (await send("/.well-known/l402-services")).json()) as { payment_methods: { schemes: string[] }[]; routes: { service: string; schemes: string[] }[] };
    expect(document.payment_methods[0]?.schemes).toEqual(["L402", "x402"]);
    expect(document.routes.find((route) => route.service === "xdual")?.schemes).toEqual(["l402", "x402"]);
    const openapi = (await (await send("/openapi.json")).json()) as { paths: Record<string, { get: { security: Record<string, unknown>[]; "x-l402": { schemes: string[] } } }>; components: { securitySchemes: Record<string, unknown> } };
    const operation = openapi.paths["/xonly/{rest}"]?.get;
    expect(operation?.["x-l402"].schemes).toEqual(["x402"]);
    expect(operation?.security).toEqual([{ x402: [] }]);
    expect(openapi.components.securitySchemes["x402"]).toMatchObject({ type: "apiKey", in: "header", name: "PAYMENT-SIGNATURE" });
  });
});
