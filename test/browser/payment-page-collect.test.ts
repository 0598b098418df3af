import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BROWSER_REQUIRED, CHROMIUM, launchChromium } from "./support/chromium.ts";
import { startStack, type Stack } from "./support/stack.ts";

/**
 * The 402 page collecting a payment that the paywall then refuses, or that a
 * browser wallet hands back wrong, in a real Chromium against the template
 * Worker in workerd (as payment-page.test.ts): a stack of its own, so that
 * its page invoices count against a mint limit of their own.
 */
const BRIEF_TIMEOUT_SECONDS = 4;

let stack: Stack;
let browser: Browser;

describe.skipIf(CHROMIUM === undefined && !BROWSER_REQUIRED)("the 402 page collecting a payment, in Chromium", () => {
  beforeAll(async () => {
    stack = await startStack((origin) => [
      { name: "articles", match: ["/articles/*"], price_sats: 3, timeout: 3600, browser: true, origin: { url: origin } },
      { name: "brief", match: ["/brief/*"], price_sats: 1, timeout: BRIEF_TIMEOUT_SECONDS, browser: true, origin: { url: origin } },
    ]);
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  /** A fresh visitor: its own cookies. */
  async function visitor(): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext();
    return { context, page: await context.newPage() };
  }
  const hitsOn = (path: string) => stack.hits.filter((hit) => hit.path === path).length;
  /** The invoice a page shows, once it shows one (a probe page first reloads into it). */
  const invoiceOn = (page: Page) => page.locator("#l402[data-invoice]").getAttribute("data-invoice");

  it("paid, but what it bought refused when collected (the token expired meanwhile): the page says so, with the payment hash, and stops polling", async () => {
    const { context, page } = await visitor();
    // The page's polls held until the token the invoice sells has expired: the node then says paid, and the credential no longer verifies.
    let held = true;
    const polls: string[] = [];
    await page.route(`${stack.url}/**`, async (route) => {
      const kind = route.request().headers()["x-l402-browser"];
      if (kind === undefined) return route.continue();
      while (held) await new Promise((resolve) => setTimeout(resolve, 100));
      polls.push(kind);
      await route.continue();
    });
    await page.goto(`${stack.url}/brief/refused`);
    const invoice = await invoiceOn(page);
    const paymentHash = await page.locator("#l402").getAttribute("data-payment-hash");
    await stack.pay(invoice ?? "");
    await page.waitForTimeout((BRIEF_TIMEOUT_SECONDS + 1) * 1000);
    held = false;
    await page.locator("#status", { hasText: "Paid, but the site did not accept this payment" }).waitFor({ timeout: 5000 });
    expect(await page.locator("#status").textContent()).toMatch(new RegExp(`expired.*Its payment hash, for the site's operator: ${paymentHash}$`));
    const asked = polls.length;
    await page.waitForTimeout(3500);
    expect(polls).toHaveLength(asked);
    expect(hitsOn("/brief/refused")).toBe(0);
    await context.close();
  });

  it("a browser wallet handing back a wrong preimage: the paywall refuses that credential, and the page waits for the node, whose settled invoice brings it to the content", async () => {
    const { context, page } = await visitor();
    await context.exposeFunction("payThroughSimulator", (invoice: string) => stack.pay(invoice));
    await context.addInitScript(() => {
      const pay = (window as unknown as { payThroughSimulator(invoice: string): Promise<string> }).payThroughSimulator;
      (window as unknown as { webln: object }).webln = { enable: async () => undefined, sendPayment: async (invoice: string) => (await pay(invoice), { preimage: "00".repeat(32) }) };
    });
    const path = "/articles/wrong-preimage";
    await page.goto(`${stack.url}${path}`);
    await page.getByRole("button", { name: "Pay with browser wallet" }).click();
    await page.locator("#status", { hasText: "Paid, but not accepted (wrong_preimage); waiting for the node to confirm…" }).waitFor({ timeout: 5000 });
    await page.locator("#article").waitFor({ timeout: 5000 });
    expect(hitsOn(path)).toBe(1);
    await context.close();
  });
});
