import { renderSVG } from "uqr";
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

  it("a service without browser payments says it is sold to programs, and offers a person nothing to pay (what it bought would stay in the answer's header); one with them, the invoice, and that the page continues", () => {
    const programs = challengePage(details({ browserPayments: false }));
    expect(textOf(programs, "status")).toBe("Sold to programs and agents: it cannot be bought in a browser.");
    expect(programs).toContain('data-mode="programs"');
    expect(programs).toContain("<details open><summary>For programs and agents</summary>");
    for (const paying of ["lnbcrt30n1example", "href=\"lightning:", "<svg", 'id="open-wallet"', 'id="copy"', "data-macaroon", "data-invoice"]) expect(programs, paying).not.toContain(paying);
    const page = challengePage(details());
    expect(textOf(page, "status")).toBe("Scan with any Lightning wallet; this page continues once paid.");
    for (const paying of ['<code id="invoice">lnbcrt30n1example</code>', 'href="lightning:lnbcrt30n1example"', 'id="open-wallet"']) expect(page, paying).toContain(paying);
    // The QR code holds the invoice as a URI, in capitals (QR's compact alphanumeric mode), which a phone's camera offers a wallet for.
    expect(page).toContain(renderSVG("LIGHTNING:LNBCRT30N1EXAMPLE", { border: 2 }));
  });

  it("a probe page says it is getting an invoice only once its script runs (hidden without it, where a link gets it)", () => {
    const html = challengePage(details({ offer: { kind: "probe", returned: false } }));
    expect(html).toMatch(/<p class="status" id="status" role="status" aria-live="polite" hidden>Getting an invoice for this browser…<\/p>/);
    expect(html).toContain('<noscript><p><a class="button primary" href="">Show the invoice</a>');
  });
});
