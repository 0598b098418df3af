import * as v from "valibot";
import { describe, expect, it } from "vitest";
import {
  breakerCooldownSeconds,
  breakerThreshold,
  challengeCacheSeconds,
  fiatRate,
  invoiceExpirySeconds,
  invoiceMemo,
  macaroonLocation,
  mintRetryAfterSeconds,
  nodeTimeoutMs,
} from "../../src/config/paywall-settings.ts";
import { createKeyring } from "../../src/l402/index.ts";
import { PaywallConfigError, resolvePaywall, type PaywallOptionsBase } from "../../src/paywall/options.ts";

/** What is wrong with a fiat rate, or undefined. */
const fiatRateProblem = (rate: unknown): string | undefined => {
  const read = v.safeParse(fiatRate, rate);
  return read.success ? undefined : read.issues[0].message;
};

/** The paywall's settings, written once (src/config/paywall-settings.ts): the template Worker's env and l402Paywall()'s options read them alike. */
describe("the paywall's settings", () => {
  it.each([
    ["invoiceExpirySeconds", invoiceExpirySeconds, 60, 86_400, 600],
    ["challengeCacheSeconds", challengeCacheSeconds, 0, 300, 30],
    ["mintRetryAfterSeconds", mintRetryAfterSeconds, 1, 3600, 60],
    ["breakerThreshold", breakerThreshold, 1, 1000, 5],
    ["breakerCooldownSeconds", breakerCooldownSeconds, 1, 3600, 30],
    ["nodeTimeoutMs", nodeTimeoutMs, 100, 30_000, undefined],
  ] as const)("%s: whole numbers from its least to its most, as numbers or text; its default when unset", (_name, schema, min, max, fallback) => {
    const message = `must be an integer from ${min} to ${max}`;
    expect(v.parse(schema, undefined)).toBe(fallback);
    for (const edge of [min, max]) {
      expect(v.parse(schema, edge)).toBe(edge);
      expect(v.parse(schema, String(edge))).toBe(edge);
    }
    for (const outside of [min - 1, max + 1, min + 0.5, Number.NaN, `${min}.0`, ` ${min}`, "", "1e2", null]) {
      const parsed = v.safeParse(schema, outside);
      expect(parsed.success, String(outside)).toBe(false);
      if (!parsed.success) expect(parsed.issues[0]?.message).toBe(message);
    }
  });

  it("the macaroon's location: visible ASCII, 1 to 64 characters, l402 when unset", () => {
    expect(v.parse(macaroonLocation, undefined)).toBe("l402");
    expect(v.parse(macaroonLocation, "~".repeat(64))).toBe("~".repeat(64));
    for (const bad of ["", "a b", "x".repeat(65), "é", 5]) expect(v.is(macaroonLocation, bad), String(bad)).toBe(false);
  });

  it("the invoice's memo: BOLT 11's 639 bytes of UTF-8 without control characters, a default naming the service", () => {
    expect(v.parse(invoiceMemo, undefined)).toBe("{service} API access");
    expect(v.parse(invoiceMemo, "")).toBe("");
    expect(v.parse(invoiceMemo, `${"ü".repeat(319)}x`)).toBe(`${"ü".repeat(319)}x`);
    for (const bad of ["x".repeat(640), "ü".repeat(320), "line\nbreak", "\x00"]) expect(v.is(invoiceMemo, bad), JSON.stringify(bad)).toBe(false);
  });

  it("a fiat rate: an ISO 4217 code and a positive finite price below 10^12", () => {
    expect(fiatRateProblem({ currency: "EUR", perBitcoin: 88_000.5 })).toBeUndefined();
    for (const bad of [
      { currency: "eur", perBitcoin: 1 },
      { currency: "EURO", perBitcoin: 1 },
      { currency: "EUR", perBitcoin: 0 },
      { currency: "EUR", perBitcoin: -1 },
      { currency: "EUR", perBitcoin: Number.POSITIVE_INFINITY },
      { currency: "EUR", perBitcoin: Number.NaN },
      { currency: "EUR", perBitcoin: 1e12 },
      { currency: "EUR", perBitcoin: "95000" },
    ]) {
      expect(fiatRateProblem(bad), JSON.stringify(bad)).toMatch(/^must be \{ currency/);
    }
  });
});

describe("l402Paywall()'s options read the same pieces", () => {
  const keyring = createKeyring(new Uint8Array(32).fill(1));
  const backend = { createInvoice: () => Promise.reject(new Error("unused")), lookupInvoice: () => Promise.reject(new Error("unused")), getInfo: () => Promise.reject(new Error("unused")) };
  const problems = (options: Partial<PaywallOptionsBase>): readonly string[] => {
    try {
      resolvePaywall({ service: { name: "api", price_sats: 1 }, keyring, backend, ...options });
      return [];
    } catch (error) {
      if (error instanceof PaywallConfigError) return error.problems;
      throw error;
    }
  };

  it("refuses what the Worker's env refuses, by the option's name, with the same words", () => {
    expect(problems({ invoice: { expirySeconds: 30, memo: "two\nlines" }, challengeCacheSeconds: 301, mintRetryAfterSeconds: 0, location: "" })).toEqual([
      "invoice.expirySeconds: must be an integer from 60 to 86400",
      "invoice.memo: must not hold control characters",
      "challengeCacheSeconds: must be an integer from 0 to 300",
      "mintRetryAfterSeconds: must be an integer from 1 to 3600",
      "location: has an invalid format",
    ]);
    expect(problems({ fiatRate: { currency: "usd", perBitcoin: -1 } })).toEqual([`fiatRate: ${fiatRateProblem({ currency: "usd", perBitcoin: -1 })}`]);
  });

  it("and takes the same defaults", () => {
    const settings = resolvePaywall({ service: { name: "api", price_sats: 1 }, keyring, backend });
    expect(settings).toMatchObject({ invoiceExpirySeconds: 600, memo: "{service} API access", challengeCacheSeconds: 30, mintRetryAfterSeconds: 60, location: "l402", fiatRate: undefined });
  });
});
