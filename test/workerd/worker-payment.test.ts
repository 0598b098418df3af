import { env, runDurableObjectAlarm } from "cloudflare:test";
import { sha256 } from "@noble/hashes/sha2.js";
import { base64urlnopad, hex } from "@scure/base";
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createKeyring, describeMacaroon, fromBase64Lenient, mint, serviceCaveats } from "../../src/l402/index.ts";
import { decodeMacaroon } from "../../src/macaroon/index.ts";
import { parsePaymentChallenges, readChargeRequest, readReceipt, type PaymentChallenge } from "../../src/payment/index.ts";
import { paymentChallenge } from "../../src/paywall/schemes/payment.ts";
import { ADMIN_TOKEN, TEST_MASTER_KEY } from "../fixtures/worker-env.ts";
import { callWith, callWithEnv, originHits, originUrl, uniquePath } from "./support/paywall-client.ts";
import { credentialFor, invoiceOf, offer, pay, withPayment } from "./support/payment-client.ts";

/**
 * The Payment HTTP authentication scheme (lightning charge) through the
 * template Worker in workerd: one invoice behind the L402 and Payment
 * challenges, single use through the SpentChargeShard Durable Objects, problem
 * details for refusals, the origin never reached unpaid.
 */

describe("the Payment scheme beside L402", () => {
  it("a 402 offers L402, LSAT and Payment over one invoice, with problem details", async () => {
    const { challenge, header, body, response } = await offer(uniquePath("/dual/offer"));
    expect(header).toMatch(/^L402 macaroon="[^"]+", invoice="(lnbcrt40n1[a-z0-9]+)", LSAT macaroon="[^"]+", invoice="\1", Payment id="/);
    expect(challenge).toMatchObject({ realm: "paywall.test", method: "lightning", intent: "charge", expires: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/) });
    const request = readChargeRequest(challenge.request);
    expect(request.ok && request.value).toMatchObject({ amount: "4", currency: "sat", externalId: expect.stringMatching(/^dual\/[0-9a-f]{64}\/\d+\/[A-Za-z0-9_-]+$/), methodDetails: { network: "regtest", paymentHash: body["payment_hash"] } });
    expect(invoiceOf(challenge)).toBe(body["invoice"]);
    // The externalId names the token and its minted expiry (past which no charge naming it is taken), and carries the token itself.
    const macaroon = fromBase64Lenient(String(body["macaroon"])) as Uint8Array;
    const [, , until, carried] = (request.ok ? request.value.externalId ?? "" : "").split("/");
    expect(describeMacaroon(decodeMacaroon(macaroon)).caveats).toContain(`dual_valid_until=${until}`);
    expect(carried).toBe(base64urlnopad.encode(macaroon));
    // The challenge expires with its invoice.
    expect(Date.parse(challenge.expires ?? "") / 1000).toBe(body["expires_at"]);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(body).toMatchObject({ type: "https://paymentauth.org/problems/payment-required", title: "Payment Required", status: 402, reason: "missing", service: "dual" });
  });

  it("pay → Authorization: Payment → 200 with a receipt; the same credential again is refused", async () => {
    const path = uniquePath("/dual/pay");
    const { challenge } = await offer(path);
    const preimage = await pay(invoiceOf(challenge));
    const paid = await withPayment(path, credentialFor(challenge, preimage));
    expect(paid.status).toBe(200);
    const echoed = (await paid.json()) as { path: string; headers: Record<string, string> };
    expect(echoed.path).toBe(path);
    // The credential stays at the edge.
    expect(echoed.headers["authorization"]).toBeUndefined();
    const receipt = readReceipt(paid.headers.get("payment-receipt") ?? "");
    if (!receipt.ok) throw new Error(receipt.detail);
    expect(JSON.parse(receipt.value)).toEqual({
      status: "success",
      method: "lightning",
      timestamp: expect.stringMatching(/Z$/),
      reference: hex.encode(sha256(hex.decode(preimage))),
      challengeId: challenge.id,
    });
    expect(receipt.value).not.toContain(preimage);

    const again = await withPayment(path, credentialFor(challenge, preimage));
    expect(again.status).toBe(402);
    expect(again.headers.get("payment-receipt")).toBeNull();
    // draft-httpauth-payment-02: an already-used challenge is an invalid one.
    expect(await again.json()).toMatchObject({ type: "https://paymentauth.org/problems/invalid-challenge", reason: "spent" });
    expect(await originHits(path)).toBe(1);
  });

  it("20 concurrent presentations of one credential: exactly one 200", async () => {
    const path = uniquePath("/dual/race");
    const { challenge } = await offer(path);
    const credential = credentialFor(challenge, await pay(invoiceOf(challenge)));
    const answers = await Promise.all(Array.from({ length: 20 }, () => withPayment(path, credential)));
    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(1);
    expect(answers.filter((answer) => answer.status === 402)).toHaveLength(19);
    await Promise.all(answers.map((answer) => answer.body?.cancel()));
    expect(await originHits(path)).toBe(1);
  });

  it("refused, origin never reached: another service's credential, a tampered request, a wrong preimage, an expired challenge", async () => {
    const path = uniquePath("/dual/refused");
    const { challenge } = await offer(path);
    const preimage = await pay(invoiceOf(challenge));
    const refusal = async (authorization: string) => {
      const answer = await withPayment(path, authorization);
      expect(answer.status).toBe(402);
      // Every refusal carries fresh challenges to pay.
      expect(parsePaymentChallenges(answer.headers.get("www-authenticate") ?? "")).toHaveLength(1);
      return (await answer.json()) as { type: string; reason: string };
    };

    const other = await offer(uniquePath("/charge/x"));
    const otherPreimage = await pay(invoiceOf(other.challenge));
    // Ours and genuine, but another service's: an invalid challenge here, not an unknown one.
    expect(await refusal(credentialFor(other.challenge, otherPreimage))).toMatchObject({ reason: "service_mismatch", type: "https://paymentauth.org/problems/invalid-challenge" });

    const request = JSON.parse(atob(challenge.request.replace(/-/g, "+").replace(/_/g, "/"))) as { amount: string };
    const cheaper = btoa(JSON.stringify({ ...request, amount: "1" })).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    expect(await refusal(credentialFor({ ...challenge, request: cheaper }, preimage))).toMatchObject({ reason: "unknown_challenge" });
    expect(await refusal(credentialFor({ ...challenge, expires: "2099-01-01T00:00:00Z" }, preimage))).toMatchObject({ reason: "unknown_challenge" });

    expect(await refusal(credentialFor(challenge, "00".repeat(32)))).toMatchObject({ reason: "wrong_preimage", type: expect.stringMatching(/invalid-preimage$/) });
    expect(await refusal(credentialFor({ ...challenge, method: "tempo" }, preimage))).toMatchObject({ reason: "method_unsupported" });
    expect(await refusal("Payment !!!")).toMatchObject({ reason: "malformed", type: expect.stringMatching(/malformed-credential$/) });

    // A challenge the paywall really issued (minted here under its key, for an invoice paid by this preimage), its invoice expired `ago` seconds since.
    const pastChallenge = (ago: number) => {
      const paidPreimage = crypto.getRandomValues(new Uint8Array(32));
      const keyring = createKeyring(hex.decode(TEST_MASTER_KEY));
      const minted = mint({ keyring, paymentHash: sha256(paidPreimage), caveats: serviceCaveats({ service: "dual" }) });
      const service = { name: "dual", priceMsat: 4000n } as Parameters<typeof paymentChallenge>[1];
      const issued = parsePaymentChallenges(
        paymentChallenge(keyring, service, { macaroon: minted.bytes, tokenId: hex.encode(minted.tokenId), tokenValidUntil: undefined, amountMsat: 4000n, invoice: "lnbcrt40n1expired", paymentHash: hex.encode(sha256(paidPreimage)), expiresAt: Math.floor(Date.now() / 1000) - ago }, "paywall.test"),
      )[0] as PaymentChallenge;
      return credentialFor(issued, hex.encode(paidPreimage));
    };
    // Past its invoice's expiry and the grace (PAID_GRACE_SECONDS): refused.
    expect(await refusal(pastChallenge(61))).toMatchObject({ reason: "expired", type: expect.stringMatching(/expired-invoice$/) });

    expect(await originHits(path)).toBe(0);
    // Paid and sent a moment after its invoice expired (a node settles nothing later): taken, once.
    const late = pastChallenge(5);
    const lateAnswer = await withPayment(uniquePath("/dual/late"), late);
    expect(lateAnswer.status).toBe(200);
    expect(await refusal(late)).toMatchObject({ reason: "spent" });
    // The real credential still works after all that: refusals burn nothing.
    expect((await withPayment(path, credentialFor(challenge, preimage))).status).toBe(200);
  });

  it("one payment, one token: on a metered service the L402 token and the Payment credential draw the same uses", async () => {
    const path = uniquePath("/bundle/x");
    const { challenge, body } = await offer(path);
    const preimage = await pay(invoiceOf(challenge));
    const payment = credentialFor(challenge, preimage);
    const l402 = `L402 ${String(body["macaroon"])}:${preimage}`;
    // Re-presentable here (the meter is what bounds it): 2 uses in all, whichever scheme spends them.
    const first = await withPayment(path, payment);
    expect(first.status).toBe(200);
    expect(first.headers.get("x-l402-remaining")).toBe("1");
    expect((await withPayment(path, l402)).headers.get("x-l402-remaining")).toBe("0");
    const spent = await withPayment(path, payment);
    expect(spent.status).toBe(402);
    expect(await spent.json()).toMatchObject({ reason: "exhausted" });
    expect((await withPayment(path, l402)).status).toBe(402);
    expect(await originHits(path)).toBe(2);
  });

  it("the ledger records a charge's settlement, and a revoked token's charges are refused", async () => {
    const admin = (path: string, init: RequestInit = {}) => callWith({}, `/.well-known/l402/admin${path}`, { ...init, headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
    const first = uniquePath("/dual/ledger");
    const { challenge } = await offer(first);
    const request = readChargeRequest(challenge.request);
    const tokenId = (request.ok ? request.value.externalId : "")?.split("/")[1] ?? "";
    const preimage = await pay(invoiceOf(challenge));
    expect((await callWith({}, first, { headers: { Authorization: credentialFor(challenge, preimage) } })).status).toBe(200);
    expect(await (await admin(`/tokens/${tokenId}`)).json()).toMatchObject({ challenge: { service: "dual", price_msat: 4000 }, settlement: { amount_msat: 4000 } });

    const second = await offer(uniquePath("/dual/revoked"));
    const secondRequest = readChargeRequest(second.challenge.request);
    const secondToken = (secondRequest.ok ? secondRequest.value.externalId : "")?.split("/")[1] ?? "";
    const secondPreimage = await pay(invoiceOf(second.challenge));
    await admin(`/tokens/${secondToken}/revoke`, { method: "POST", body: JSON.stringify({ reason: "test" }) });
    const refused = await callWith({}, "/dual/revoked", { headers: { Authorization: credentialFor(second.challenge, secondPreimage) } });
    expect(refused.status).toBe(402);
    expect(await refused.json()).toMatchObject({ reason: "revoked", type: expect.stringMatching(/verification-failed$/) });
  });

  it("a Payment-only service offers no L402 challenge and no macaroon, and refuses L402 credentials", async () => {
    const path = uniquePath("/charge/only");
    const { header, body, challenge } = await offer(path);
    expect(header).toMatch(/^Payment id="/);
    expect(header).not.toMatch(/L402|LSAT/);
    expect(body["macaroon"]).toBeUndefined();
    const preimage = await pay(invoiceOf(challenge));
    expect((await withPayment(path, credentialFor(challenge, preimage))).status).toBe(200);
    // Another service's Payment credential on an L402-only service: what is wrong with it is said first.
    const l402Only = uniquePath("/api/x");
    const refused = await withPayment(l402Only, credentialFor(challenge, preimage));
    expect(refused.status).toBe(402);
    expect(await refused.json()).toMatchObject({ reason: "service_mismatch" });
    expect(await originHits(l402Only.replace(/^\/api/, ""))).toBe(0);
  });

  it("a sound credential in a scheme the service no longer offers is refused as scheme_not_offered", async () => {
    const service = (schemes: string[]) => ({ ...env, L402_SERVICES: JSON.stringify([{ name: "moving", match: ["/moving/*"], price_sats: 2, uses: 3, schemes, origin: { url: originUrl() } }]) });
    const both = service(["l402", "mpp"]);
    const path = uniquePath("/moving/x");
    const first = await callWithEnv(both, path);
    const [challenge] = parsePaymentChallenges(first.headers.get("www-authenticate") ?? "");
    if (challenge === undefined) throw new Error("no Payment challenge");
    const body = (await first.json()) as { macaroon: string };
    const preimage = await pay(invoiceOf(challenge));
    // The operator then sells the service by the Payment scheme only, and later by L402 only.
    const l402 = await callWithEnv(service(["mpp"]), path, { headers: { Authorization: `L402 ${body.macaroon}:${preimage}` } });
    expect(await l402.json()).toMatchObject({ reason: "scheme_not_offered", detail: expect.stringContaining("l402") });
    const payment = await callWithEnv(service(["l402"]), path, { headers: { Authorization: credentialFor(challenge, preimage) } });
    expect(await payment.json()).toMatchObject({ reason: "scheme_not_offered", detail: expect.stringContaining("payment") });
    expect(await originHits(path)).toBe(0);
  });
});

/**
 * A metered charge names a token minted with an expiry (`externalId`'s third
 * part). The outside report: once that expiry passed, every presentation got
 * 200 again until the challenge expired, because the charge was checked
 * against the challenge's expiry and the meter forgot its count at the
 * token's. The clock is moved with fake timers (the Worker and its Durable
 * Objects run in this isolate and read the same Date).
 */
describe("a metered charge never outlives the token it names", () => {
  const METERED = { name: "paym", match: ["/paym/*"], price_sats: 2, uses: 2, timeout: 4, schemes: ["l402", "mpp"] };
  afterEach(() => vi.useRealTimers());

  it("property: whatever the timing of presentations (either scheme), alarms and expiries, origin hits ≤ minted uses", { timeout: 120_000 }, async () => {
    // Past the node's clock, fresh invoices are refused (stamped too long ago): the breaker must not close this run's node to the next run.
    const workerEnv = { ...env, L402_SERVICES: JSON.stringify([{ ...METERED, origin: { url: originUrl() } }]), L402_BREAKER_THRESHOLD: "1000" };
    const op = fc.oneof(
      fc.constantFrom({ kind: "l402" as const }, { kind: "payment" as const }, { kind: "alarm" as const }),
      // Steps across the token's expiry (4 s), the meter's margin (300 s) and the challenge's expiry (600 s).
      fc.record({ kind: fc.constant("wait" as const), seconds: fc.constantFrom(1, 2, 3, 5, 150, 299, 301, 700) }),
    );
    // Across the runs, what was served: a Worker refusing every credential would pass the bound alone.
    let served = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 14 }), async (ops) => {
        vi.useRealTimers();
        const path = uniquePath("/paym/prop");
        const first = await callWithEnv(workerEnv, path);
        const [challenge] = parsePaymentChallenges(first.headers.get("www-authenticate") ?? "");
        if (challenge === undefined) throw new Error("no Payment challenge");
        const body = (await first.json()) as { macaroon: string };
        const preimage = await pay(invoiceOf(challenge));
        const request = readChargeRequest(challenge.request);
        const tokenId = (request.ok ? request.value.externalId ?? "" : "").split("/")[1] ?? "";
        const meters = env.L402_METER as NonNullable<typeof env.L402_METER>;
        const meter = meters.get(meters.idFromName(tokenId));
        let at = Date.now();
        vi.useFakeTimers({ toFake: ["Date"] });
        vi.setSystemTime(at);
        for (const step of ops) {
          if (step.kind === "wait") vi.setSystemTime((at += step.seconds * 1000));
          else if (step.kind === "alarm") await runDurableObjectAlarm(meter);
          else {
            const authorization = step.kind === "l402" ? `L402 ${body.macaroon}:${preimage}` : credentialFor(challenge, preimage);
            await (await callWithEnv(workerEnv, path, { headers: { Authorization: authorization } })).body?.cancel();
          }
        }
        vi.useRealTimers();
        const hits = await originHits(path);
        served += hits;
        expect(hits).toBeLessThanOrEqual(METERED.uses);
      }),
      { numRuns: 25 },
    );
    expect(served).toBeGreaterThan(0);
  });

  it("pay → 200, 200, 402 exhausted; after the token's expiry, 402 expired for both schemes, alarm or not, and the origin saw 2", async () => {
    const services = { L402_SERVICES: JSON.stringify([{ ...METERED, origin: { url: originUrl() } }]) };
    const path = uniquePath("/paym/x");
    const first = await callWith(services, path);
    const [challenge] = parsePaymentChallenges(first.headers.get("www-authenticate") ?? "");
    if (challenge === undefined) throw new Error("no Payment challenge");
    const body = (await first.json()) as { macaroon: string };
    const preimage = await pay(invoiceOf(challenge));
    const payment = credentialFor(challenge, preimage);
    const l402 = `L402 ${body.macaroon}:${preimage}`;
    const present = async (authorization: string) => {
      const answer = await callWith(services, path, { headers: { Authorization: authorization } });
      return { status: answer.status, remaining: answer.headers.get("x-l402-remaining"), body: (await answer.json()) as { reason?: string } };
    };
    expect((await present(payment)).remaining).toBe("1");
    expect((await present(payment)).remaining).toBe("0");
    expect((await present(payment)).body.reason).toBe("exhausted");

    const request = readChargeRequest(challenge.request);
    const [, tokenId, until] = (request.ok ? request.value.externalId ?? "" : "").split("/");
    expect(Number(until)).toBeLessThan(Date.parse(challenge.expires ?? "") / 1000);
    vi.useFakeTimers({ toFake: ["Date"] });
    // Past the token's expiry, still well within the challenge's.
    vi.setSystemTime((Number(until) + 1) * 1000);
    for (const credential of [payment, l402]) {
      const answer = await present(credential);
      expect(answer.status).toBe(402);
      expect(answer.body.reason).toBe("expired");
    }
    // The meter's alarm, run now and later, changes nothing a credential can draw on.
    const meters = env.L402_METER;
    if (meters === undefined) throw new Error("L402_METER is not bound");
    const meter = meters.get(meters.idFromName(tokenId ?? ""));
    await runDurableObjectAlarm(meter);
    vi.setSystemTime((Number(until) + 3600) * 1000);
    await runDurableObjectAlarm(meter);
    // Refused; the fresh challenge's invoice, stamped by the node's unmoved clock, is then refused too (503).
    for (const credential of [payment, l402]) expect([402, 503]).toContain((await present(credential)).status);
    vi.useRealTimers();
    expect(await originHits(path)).toBe(2);
  });
});
