import { describe, expect, it } from "vitest";
import type { Grant } from "../../src/l402/index.ts";
import { fail, succeed, type Result } from "../../src/result.ts";
import type { Price } from "../../src/paywall/pricing.ts";
import { tokenCovers } from "../../src/paywall/token-price.ts";
import { serviceOf } from "./support/usage-services.ts";

/**
 * Whether a token bought at one price may make a request (paywall/token-price.ts):
 * never a dearer one; a bound token its own request only, and that no dearer.
 */
const DIGEST = "ab".repeat(32);
const OTHER = "cd".repeat(32);
const priced = serviceOf({ name: "img", price_sats: 2, price_rules: [{ path: "/big", price_sats: 5 }] });
const bound = serviceOf({ name: "act", price_sats: 2, bind_request: true, price_rules: [{ path: "/big", price_sats: 5 }] });
const grant = (extra: Partial<Grant>): Grant => ({ services: ["img"], ...extra });

/** The request's price and digest, counting how often each is worked out. */
function asked(price: Price, digest: Result<string, "body_too_large"> = succeed(DIGEST)) {
  const counts = { price: 0, digest: 0 };
  return {
    counts,
    price: async () => {
      counts.price++;
      return price;
    },
    digest: async () => {
      counts.digest++;
      return digest;
    },
  };
}

describe("a request-priced service", () => {
  it("a request costing what the token paid or less passes; a dearer one is price_exceeds_token, saying what it paid", async () => {
    const token = grant({ priceMsat: 3000n });
    for (const [price, ok] of [[2999n, true], [3000n, true], [3001n, false]] as const) {
      const request = asked(succeed(price));
      expect((await tokenCovers(priced, token, request.price, request.digest)).ok).toBe(ok);
    }
    const dear = asked(succeed(5000n));
    expect(await tokenCovers(priced, token, dear.price, dear.digest)).toMatchObject({ ok: false, reason: "price_exceeds_token", facts: { paid_msat: "3000" } });
    expect(dear.counts.digest).toBe(0);
  });

  it("a token minted before the service priced by request paid the service's price", async () => {
    const request = asked(succeed(2001n));
    expect(await tokenCovers(priced, grant({}), request.price, request.digest)).toMatchObject({ ok: false, reason: "price_exceeds_token", facts: { paid_msat: "2000" } });
  });

  it("a price that cannot be had is why, never a pass", async () => {
    for (const failure of [fail("pricer_unavailable", "down"), fail("pricer_invalid", "zero"), fail("ambiguous_price", "twice")] as const) {
      const request = asked(failure);
      expect(await tokenCovers(priced, grant({ priceMsat: 10n ** 18n }), request.price, request.digest)).toMatchObject({ ok: false, reason: failure.reason });
    }
  });
});

describe("a service binding each token to its request", () => {
  it("its own request at its price passes; another is request_mismatch, before any price is asked", async () => {
    const same = asked(succeed(2000n));
    expect(await tokenCovers(bound, grant({ priceMsat: 2000n, request: DIGEST }), same.price, same.digest)).toEqual({ ok: true, value: undefined });
    const other = asked(succeed(2000n), succeed(OTHER));
    expect(await tokenCovers(bound, grant({ priceMsat: 2000n, request: DIGEST }), other.price, other.digest)).toMatchObject({ ok: false, reason: "request_mismatch" });
    expect(other.counts.price).toBe(0);
  });

  it("its own request made dearer (a priced header, a claimed method) is price_exceeds_token", async () => {
    const dearer = asked(succeed(5000n));
    expect(await tokenCovers(bound, grant({ priceMsat: 2000n, request: DIGEST }), dearer.price, dearer.digest)).toMatchObject({ ok: false, reason: "price_exceeds_token" });
  });

  it("a body too large to bind is why", async () => {
    const large = asked(succeed(2000n), fail("body_too_large", "1 MiB"));
    expect(await tokenCovers(bound, grant({ priceMsat: 2000n, request: DIGEST }), large.price, large.digest)).toMatchObject({ ok: false, reason: "body_too_large" });
  });

  it("a token minted unbound is held to its price alone; a service that stopped binding ignores a token's binding", async () => {
    const unbound = asked(succeed(2000n), succeed(OTHER));
    expect((await tokenCovers(bound, grant({ priceMsat: 2000n }), unbound.price, unbound.digest)).ok).toBe(true);
    expect(unbound.counts.digest).toBe(0);
    const stopped = asked(succeed(2000n), succeed(OTHER));
    expect((await tokenCovers(priced, grant({ priceMsat: 2000n, request: DIGEST }), stopped.price, stopped.digest)).ok).toBe(true);
  });
});
