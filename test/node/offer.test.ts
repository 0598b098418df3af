import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkCaveats, serviceCaveats } from "../../src/l402/index.ts";
import { offerFor, offerKey } from "../../src/paywall/offer.ts";
import { serviceOf } from "./support/usage-services.ts";

/**
 * What a 402 sells (paywall/offer.ts): the invoice's amount and the caveats
 * minted over it, for a service at one price, a request-priced one, and a
 * balance (credit offers, top-ups).
 */
const DIGEST = "ab".repeat(32);
const TARGET = "cd".repeat(32);
const noHeaders = { headers: new Headers() };
const asking = (credit: string) => ({ headers: new Headers({ "X-L402-Credit": credit }) });

const flat = serviceOf({ name: "flat", price_msat: 1500 });
const priced = serviceOf({ name: "img", price_sats: 1, price_rules: [{ path: "/big", price_sats: 5 }] });
const chat = serviceOf({ name: "chat", price_sats: 1, balance: { amounts_sats: [1000, 5000, 20000], bonus_sats: { "5000": 250, "20000": 2000 } } });

function offered(...args: Parameters<typeof offerFor>) {
  const offer = offerFor(...args);
  if (!offer.ok) throw new Error(offer.detail);
  return offer.value;
}

describe("a service at one price", () => {
  it("sells access at its price, with nothing more to mint, whatever the request's price", () => {
    expect(offered(flat, 99_999n, noHeaders, true, {})).toEqual({ amountMsat: 1500n, caveats: {} });
  });
});

describe("a request-priced service", () => {
  it("sells the request's price, minted as what the token paid, and the request it is bound to", () => {
    expect(offered(priced, 5000n, noHeaders, false, {})).toEqual({ amountMsat: 5000n, caveats: { priceMsat: 5000n } });
    expect(offered(priced, 1234n, noHeaders, false, { digest: DIGEST })).toEqual({ amountMsat: 1234n, caveats: { priceMsat: 1234n, request: DIGEST } });
  });

  it("rounds up to whole sats where the invoice names whole sats (a whole-sat backend, the Payment scheme): never below the price", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 10n ** 15n }), (price) => {
        const offer = offered(priced, price, noHeaders, true, {});
        expect(offer.amountMsat % 1000n).toBe(0n);
        expect(offer.amountMsat >= price && offer.amountMsat - price < 1000n).toBe(true);
        expect(offer.caveats.priceMsat).toBe(offer.amountMsat);
      }),
    );
    const mpp = serviceOf({ name: "img", price_sats: 1, schemes: ["l402", "mpp"], pricer: { url: "https://p.example" } });
    expect(offered(mpp, 1001n, noHeaders, false, {}).amountMsat).toBe(2000n);
    expect(offered(mpp, 2000n, noHeaders, false, {}).amountMsat).toBe(2000n);
  });
});

describe("a balance service", () => {
  it("sells the first credit offer by default, the amount and its bonus minted as credit", () => {
    expect(offered(chat, 1000n, noHeaders, false, {})).toEqual({ amountMsat: 1_000_000n, caveats: { creditMsat: 1_000_000n }, credit: { amountMsat: 1_000_000n, creditMsat: 1_000_000n } });
  });

  it("sells the offer X-L402-Credit names, in sats", () => {
    expect(offered(chat, 1000n, asking("5000"), false, {})).toMatchObject({ amountMsat: 5_000_000n, caveats: { creditMsat: 5_250_000n } });
    expect(offered(chat, 1000n, asking(" 20000 "), false, {})).toMatchObject({ amountMsat: 20_000_000n, caveats: { creditMsat: 22_000_000n } });
  });

  it.each(["7", "0", "-1000", "01000", "1000.0", "1e3", "", "1000, 5000", "5250", "99999999999999999999"])("refuses X-L402-Credit %j: unknown_credit_offer, listing the amounts", (asked) => {
    expect(offerFor(chat, 1000n, asking(asked), false, {})).toMatchObject({ ok: false, reason: "unknown_credit_offer", detail: expect.stringContaining("1000, 5000, 20000") });
  });

  it("a top-up: the smallest credit covering what the balance lacks (else the largest), for the token it tops up, with its expiry and capabilities", () => {
    const topup = (shortMsat: bigint) => ({ topup: { tokenId: TARGET, validUntil: 1_800_000_000, capabilities: ["read"], shortMsat } });
    expect(offered(chat, 1000n, noHeaders, false, topup(1n))).toEqual({
      amountMsat: 1_000_000n,
      caveats: { creditMsat: 1_000_000n, topupFor: TARGET },
      credit: { amountMsat: 1_000_000n, creditMsat: 1_000_000n },
      validUntil: 1_800_000_000,
      capabilities: ["read"],
    });
    expect(offered(chat, 1000n, noHeaders, false, topup(1_000_000n)).amountMsat).toBe(1_000_000n);
    expect(offered(chat, 1000n, noHeaders, false, topup(1_000_001n)).amountMsat).toBe(5_000_000n);
    // 5,250 sats of credit cover a 5,200-sat shortfall: the credit counts, not the amount paid.
    expect(offered(chat, 1000n, noHeaders, false, topup(5_200_000n)).amountMsat).toBe(5_000_000n);
    expect(offered(chat, 1000n, noHeaders, false, topup(99_000_000n)).amountMsat).toBe(20_000_000n);
    expect(offered(chat, 1000n, asking("20000"), false, topup(1n))).toMatchObject({ amountMsat: 20_000_000n, caveats: { topupFor: TARGET } });
  });

  it("a new token sold instead of a top-up (its token about to expire): the smallest credit covering what the request needs, a token of its own (no top-up, no inherited terms)", () => {
    expect(offered(chat, 1000n, noHeaders, false, { needsMsat: 1_000_001n })).toEqual({ amountMsat: 5_000_000n, caveats: { creditMsat: 5_250_000n }, credit: { amountMsat: 5_000_000n, creditMsat: 5_250_000n } });
    expect(offered(chat, 1000n, noHeaders, false, { needsMsat: 99_000_000n }).amountMsat).toBe(20_000_000n);
    expect(offered(chat, 1000n, asking("1000"), false, { needsMsat: 99_000_000n }).amountMsat).toBe(1_000_000n);
  });

  it("a top-up of a token minted without expiry or capabilities mints none either", () => {
    const offer = offered(chat, 1000n, noHeaders, false, { topup: { tokenId: TARGET, validUntil: undefined, capabilities: undefined, shortMsat: 1n } });
    expect(["validUntil" in offer, offer.validUntil, "capabilities" in offer, offer.capabilities]).toEqual([true, undefined, true, undefined]);
  });
});

describe("offerKey", () => {
  it("is the service's price for a service at one price, and the terms every token is minted with", () => {
    expect(offerKey(flat, {})).toBe("1500|||*");
  });

  it("tells the same offer apart under other minted terms (timeout, uses, capabilities): a cached invoice's token was minted on the old ones", () => {
    const variants = [
      flat,
      serviceOf({ name: "flat", price_msat: 1500, timeout: 3600 }),
      serviceOf({ name: "flat", price_msat: 1500, uses: 10 }),
      serviceOf({ name: "flat", price_msat: 1500, capabilities: ["read"] }),
      serviceOf({ name: "flat", price_msat: 1500, capabilities: ["read", "write"] }),
    ];
    expect(new Set(variants.map((service) => offerKey(service, {}))).size).toBe(variants.length);
    const rated = [priced, serviceOf({ name: "img", price_sats: 1, price_rules: [{ path: "/big", price_sats: 5 }], timeout: 60 })];
    const caveats = offered(priced, 5000n, noHeaders, false, {}).caveats;
    expect(offerKey(rated[0]!, caveats)).not.toBe(offerKey(rated[1]!, caveats));
  });

  it("tells offers apart, and reads the same from an offer and from the token minted over it", () => {
    const offers = [
      offered(priced, 5000n, noHeaders, false, {}),
      offered(priced, 5000n, noHeaders, false, { digest: DIGEST }),
      offered(priced, 6000n, noHeaders, false, {}),
      offered(chat, 1000n, noHeaders, false, {}),
      offered(chat, 1000n, asking("5000"), false, {}),
      offered(chat, 1000n, noHeaders, false, { topup: { tokenId: TARGET, validUntil: undefined, capabilities: undefined, shortMsat: 1n } }),
    ];
    const keys = offers.map((offer) => offerKey(offer.caveats.creditMsat === undefined ? priced : chat, offer.caveats));
    expect(new Set(keys).size).toBe(offers.length);
    for (const [index, offer] of offers.entries()) {
      const service = offer.caveats.creditMsat === undefined ? priced : chat;
      const grant = checkCaveats(serviceCaveats({ service: service.name, ...offer.caveats }), { service: service.name, now: 0 });
      if (!grant.ok) throw new Error(grant.detail);
      expect(offerKey(service, grant.value)).toBe(keys[index]);
    }
  });
});
