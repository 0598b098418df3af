import { describe, expect, it } from "vitest";
import { challengePage, priceWords, type PageDetails } from "../../src/paywall/page.ts";

/** The 402 page's HTML (paywall/page.ts), as rendered; what a browser does with it is test/browser's. */
const details = (given: Partial<PageDetails> = {}): PageDetails => ({
  title: "Articles",
  description: undefined,
  payee: "shop.example",
  priceSats: "3",
  fiat: undefined,
  terms: "Access for 1 hour.",
  detail: undefined,
  browserPayments: true,
  metered: false,
  nonce: "n0nce",
  offer: { kind: "invoice", invoice: "lnbcrt30n1example", paymentHash: "00".repeat(32), macaroon: "AgE=", expiresInSeconds: 600 },
  ...given,
});
const textOf = (html: string, className: string) => new RegExp(`<p class="${className}"[^>]*>([^<]*)</p>`).exec(html)?.[1];

describe("priceWords", () => {
  it("groups thousands and says one sat in the singular", () => {
    expect(["1", "3", "999", "1000", "21000", "1234567", "0.5", "1.5", "12345.678"].map(priceWords)).toEqual([
      "1 sat",
      "3 sats",
      "999 sats",
      "1,000 sats",
      "21,000 sats",
      "1,234,567 sats",
      "0.5 sats",
      "1.5 sats",
      "12,345.678 sats",
    ]);
  });
});

describe("challengePage", () => {
  it("writes the price in words", () => {
    expect(textOf(challengePage(details({ priceSats: "21000" })), "price")).toBe("21,000 sats");
    expect(textOf(challengePage(details({ priceSats: "1" })), "price")).toBe("1 sat");
  });

  it("a service without browser payments says paying here opens nothing in this browser; one with them, that the page continues", () => {
    expect(textOf(challengePage(details({ browserPayments: false })), "status")).toBe("Sold to programs: paying here does not open it in this browser.");
    expect(textOf(challengePage(details()), "status")).toBe("Scan with any Lightning wallet; this page continues once paid.");
  });

  it("a probe page says it is getting an invoice only once its script runs (hidden without it, where a link gets it)", () => {
    const html = challengePage(details({ offer: { kind: "probe", returned: false } }));
    expect(html).toMatch(/<p class="status" id="status" role="status" aria-live="polite" hidden>Getting an invoice for this browser…<\/p>/);
    expect(html).toContain('<noscript><p><a class="button primary" href="">Show the invoice</a>');
  });
});
