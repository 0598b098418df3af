import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { parsePaymentChallenges } from "../../src/payment/index.ts";
import { call, callWithEnv, originHits, originUrl, uniquePath } from "./support/paywall-client.ts";
import { credentialFor, invoiceOf, offer, pay, withPayment } from "./support/payment-client.ts";

/**
 * Whose a Payment credential is, through the template Worker in workerd: the
 * service, the host (realm) and the request a charge was bought for, as an
 * outside report found them (the scheme's main tests: worker-payment.test.ts).
 */
describe("Payment credentials: what the outside report found", () => {
  it("another service's L402 token or Payment credential on a Payment-only service: invalid-challenge, saying whose it is", async () => {
    const path = uniquePath("/charge/others");
    const dual = await offer(uniquePath("/dual/for-charge"));
    const preimage = await pay(invoiceOf(dual.challenge));
    for (const authorization of [credentialFor(dual.challenge, preimage), `L402 ${String(dual.body["macaroon"])}:${preimage}`]) {
      const refused = await withPayment(path, authorization);
      expect(refused.status).toBe(402);
      expect(await refused.json()).toMatchObject({ reason: "service_mismatch", type: "https://paymentauth.org/problems/invalid-challenge", detail: expect.stringContaining("dual") });
    }
    expect(await originHits(path)).toBe(0);
  });

  it("two identical Authorization: Payment values are one credential, as two identical L402 values are; two different ones are refused", async () => {
    const path = uniquePath("/dual/twice");
    const { challenge } = await offer(path);
    const preimage = await pay(invoiceOf(challenge));
    const twice = new Headers();
    twice.append("Authorization", credentialFor(challenge, preimage));
    twice.append("Authorization", credentialFor(challenge, preimage));
    const paid = await call(path, { headers: twice });
    expect(paid.status).toBe(200);
    await paid.body?.cancel();

    const other = await offer(uniquePath("/dual/twice-other"));
    const mixed = new Headers();
    mixed.append("Authorization", credentialFor(other.challenge, await pay(invoiceOf(other.challenge))));
    mixed.append("Authorization", credentialFor(challenge, preimage));
    const refused = await call(uniquePath("/dual/twice-mixed"), { headers: mixed });
    expect(refused.status).toBe(402);
    expect(await refused.json()).toMatchObject({ reason: "malformed", detail: expect.stringContaining("different credentials") });
  });

  it("where a service names its hosts, a charge is taken only on the host that issued it (its realm)", async () => {
    const hosted = { ...env, L402_SERVICES: JSON.stringify([{ name: "hosted", match: ["paywall.test/hosted/*", "mirror.test/hosted/*"], price_sats: 2, schemes: ["mpp"], origin: { url: originUrl() } }]) };
    const path = uniquePath("/hosted/x");
    const first = await callWithEnv(hosted, `https://paywall.test${path}`);
    const [challenge] = parsePaymentChallenges(first.headers.get("www-authenticate") ?? "");
    if (challenge === undefined) throw new Error("no Payment challenge");
    expect(challenge.realm).toBe("paywall.test");
    const credential = credentialFor(challenge, await pay(invoiceOf(challenge)));
    const elsewhere = await callWithEnv(hosted, `https://mirror.test${path}`, { headers: { Authorization: credential } });
    expect(elsewhere.status).toBe(402);
    expect(await elsewhere.json()).toMatchObject({ reason: "realm_mismatch", type: "https://paymentauth.org/problems/invalid-challenge" });
    // Refused, not spent: it still works where it was issued.
    const here = await callWithEnv(hosted, `https://paywall.test${path}`, { headers: { Authorization: credential } });
    expect(here.status).toBe(200);
    await here.body?.cancel();
    expect(await originHits(path)).toBe(1);
  });

  it("a charge bought for a cheap request is refused on a dear one, and one bound to its request on any other, as its L402 token is", async () => {
    const priced = {
      ...env,
      L402_SERVICES: JSON.stringify([
        { name: "sized", match: ["/sized/*"], price_sats: 10, price_rules: [{ query: { size: "small" }, price_sats: 1 }], schemes: ["l402", "mpp"], origin: { url: originUrl() } },
        { name: "action", match: ["/action/*"], price_sats: 2, bind_request: true, schemes: ["l402", "mpp"], origin: { url: originUrl() } },
      ]),
    };
    /** A paid charge for `path`, and the L402 credential for the same payment. */
    const paidFor = async (path: string) => {
      const first = await callWithEnv(priced, path);
      const [challenge] = parsePaymentChallenges(first.headers.get("www-authenticate") ?? "");
      if (challenge === undefined) throw new Error("no Payment challenge");
      const preimage = await pay(invoiceOf(challenge));
      return { payment: credentialFor(challenge, preimage), l402: `L402 ${((await first.json()) as { macaroon: string }).macaroon}:${preimage}` };
    };
    const sized = uniquePath("/sized/x");
    const cheap = await paidFor(`${sized}?size=small`);
    for (const authorization of [cheap.payment, cheap.l402]) {
      const dear = await callWithEnv(priced, sized, { headers: { Authorization: authorization } });
      expect(dear.status).toBe(402);
      expect(await dear.json()).toMatchObject({ reason: "price_exceeds_token", paid_msat: "1000" });
    }
    const action = uniquePath("/action/transfer");
    const bound = await paidFor(`${action}?to=alice`);
    for (const authorization of [bound.payment, bound.l402]) {
      const other = await callWithEnv(priced, `${action}?to=mallory`, { headers: { Authorization: authorization } });
      expect(other.status).toBe(402);
      expect(await other.json()).toMatchObject({ reason: "request_mismatch" });
    }
    expect(await originHits(sized)).toBe(0);
    expect(await originHits(action)).toBe(0);
    // Refused, not spent: each charge buys the request it was priced for.
    for (const [path, authorization] of [[`${sized}?size=small`, cheap.payment], [`${action}?to=alice`, bound.payment]] as const) {
      const paid = await callWithEnv(priced, path, { headers: { Authorization: authorization } });
      expect(paid.status).toBe(200);
      await paid.body?.cancel();
    }
    expect(await originHits(sized)).toBe(1);
    expect(await originHits(action)).toBe(1);
  });

  it("a service that names no host takes its charges on any host it is reached by", async () => {
    const path = uniquePath("/dual/alias");
    const { challenge } = await offer(path);
    const paid = await SELF.fetch(`https://alias.example${path}`, { headers: { Authorization: credentialFor(challenge, await pay(invoiceOf(challenge))) } });
    expect(paid.status).toBe(200);
    await paid.body?.cancel();
  });
});
