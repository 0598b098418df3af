import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BROWSER_REQUIRED, CHROMIUM, launchChromium } from "./support/chromium.ts";
import { startStack, type Stack } from "./support/stack.ts";

/**
 * The 402 page and browser payments in a real Chromium (Debian's), against the
 * template Worker in workerd, the LND simulator and an origin, over sockets.
 * Skipped, and counted as such at the end of `npm test`, when no Chromium is
 * found (test/setup/browser-report.ts); CI installs one and requires it.
 */
const BRIEF_TIMEOUT_SECONDS = 4;

let stack: Stack;
let browser: Browser;

describe.skipIf(CHROMIUM === undefined && !BROWSER_REQUIRED)("paying on the 402 page in Chromium", () => {
  beforeAll(async () => {
    stack = await startStack(
      (origin) => [
        { name: "articles", match: ["/articles/*"], price_sats: 3, timeout: 3600, browser: true, title: "Lightning articles", description: "Essays on paying for the web", origin: { url: origin } },
        { name: "brief", match: ["/brief/*"], price_sats: 1, timeout: BRIEF_TIMEOUT_SECONDS, browser: true, origin: { url: origin } },
        { name: "comics", match: ["/comics/*"], price_sats: 2, uses: 3, timeout: 3600, browser: true, origin: { url: origin } },
      ],
      { L402_FIAT_RATE: "USD:95000" },
    );
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  /**
   * A fresh visitor: its own cookies, optionally with a WebLN wallet that pays
   * through the simulator. Every visitor shares the machine's address and
   * Chromium's user agent: one client, so after another visitor's unpaid page
   * this one's first page may be the probe, which reloads into its own invoice.
   */
  async function visitor(options: { webln?: boolean; phone?: boolean } = {}): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext(options.phone === true ? { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true } : {});
    if (options.webln === true) {
      await context.exposeFunction("payThroughSimulator", (invoice: string) => stack.pay(invoice));
      await context.addInitScript(() => {
        const pay = (window as unknown as { payThroughSimulator(invoice: string): Promise<string> }).payThroughSimulator;
        (window as unknown as { webln: object }).webln = { enable: async () => undefined, sendPayment: async (invoice: string) => ({ preimage: await pay(invoice) }) };
      });
    }
    return { context, page: await context.newPage() };
  }

  const hitsOn = (path: string) => stack.hits.filter((hit) => hit.path === path).length;
  /** The invoice a page shows, once it shows one (a probe page first reloads into it). */
  const invoiceOn = (page: Page) => page.locator("#l402[data-invoice]").getAttribute("data-invoice");

  it("WebLN: the page offers the browser wallet; one click pays and lands on the content, with the credential cookie", async () => {
    const { context, page } = await visitor({ webln: true });
    const path = "/articles/webln";
    const first = await page.goto(`${stack.url}${path}`);
    expect(first?.status()).toBe(402);
    expect(await page.locator(".price").textContent()).toBe("3 sats");
    await page.getByRole("button", { name: "Pay with browser wallet" }).click();
    await page.locator("#article").waitFor({ timeout: 5000 });
    expect(hitsOn(path)).toBe(1);

    const cookies = await context.cookies(`${stack.url}${path}`);
    const credential = cookies.find((cookie) => cookie.name === "l402-token-articles");
    expect(credential).toMatchObject({ httpOnly: true, sameSite: "Lax", path: "/", secure: false });
    // Plain http to 127.0.0.1 is development: unprefixed and not Secure; everywhere else __Host- (test/workerd/worker-browser.test.ts).
    expect((credential?.expires ?? 0) - Date.now() / 1000).toBeGreaterThan(3590);
    expect((credential?.expires ?? 0) - Date.now() / 1000).toBeLessThanOrEqual(3600);
    expect(cookies.some((cookie) => cookie.name === "l402-pending-articles")).toBe(false);
    // No script can read it.
    expect(await page.evaluate(() => document.cookie)).toBe("");
    await context.close();
  });

  it("a phone wallet: paying the page's invoice elsewhere brings the page to the content within 3 s, without a click", async () => {
    const { context, page } = await visitor();
    const path = "/articles/phone";
    await page.goto(`${stack.url}${path}`);
    const invoice = await invoiceOn(page);
    expect(invoice).toMatch(/^lnbcrt30n1/);
    expect(await page.locator(".qr svg").count()).toBe(1);
    // The QR code is the invoice: the link a phone's camera or a wallet opens.
    expect(await page.locator("a.qr").getAttribute("href")).toBe(`lightning:${invoice}`);
    // The copy button puts the invoice on the clipboard; the countdown runs.
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: stack.url });
    await page.getByRole("button", { name: "Copy invoice" }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(invoice);
    const countdown = () => page.locator("#countdown").textContent();
    expect(await countdown()).toMatch(/^(10:00|9:5\d)$/);
    await page.waitForFunction((before) => document.getElementById("countdown")?.textContent !== before, await countdown(), { timeout: 2500 });
    expect(hitsOn(path)).toBe(0);

    await stack.pay(invoice ?? "");
    const paidAt = Date.now();
    await page.locator("#article").waitFor({ timeout: 3000 });
    expect(Date.now() - paidAt).toBeLessThan(3000);
    expect(hitsOn(path)).toBe(1);
    await context.close();
  });

  it("an expired invoice (the node's clock moved past it, and back): the page offers a fresh one by itself", async () => {
    const { context, page } = await visitor();
    await page.goto(`${stack.url}/articles/slow`);
    const first = await invoiceOn(page);
    // The node's watcher cancels the invoice its clock passes; back on time, it stamps fresh invoices right.
    await stack.advanceNodeClock(601);
    await stack.advanceNodeClock(-601);
    await page.waitForFunction((old) => document.getElementById("l402")?.getAttribute("data-invoice") !== old, first, { timeout: 5000 });
    const fresh = await invoiceOn(page);
    expect(fresh).toMatch(/^lnbcrt30n1/);
    expect(fresh).not.toBe(first);
    // The fresh one is payable, and pays through to the content.
    await stack.pay(fresh ?? "");
    await page.locator("#article").waitFor({ timeout: 3000 });
    await context.close();
  });

  it("copying the invoice is said aloud; an invoice the page saw expire leaves nothing to pay it with (no wallet link, no copy)", async () => {
    const { context, page } = await visitor();
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: stack.url });
    await page.clock.install();
    await page.goto(`${stack.url}/articles/countdown`);
    await invoiceOn(page);
    const before = await page.locator("#status").textContent();
    await page.getByRole("button", { name: "Copy invoice" }).click();
    await expect.poll(() => page.locator("#status").textContent()).toMatch(/^Invoice (copied|selected: copy it)\.$/);
    // Then what it said before, and the button its own name.
    await page.clock.fastForward(2_000);
    await expect.poll(() => page.locator("#status").textContent()).toBe(before);
    expect(await page.locator("#copy").textContent()).toBe("Copy invoice");
    expect(await page.locator("a.qr").getAttribute("href")).toMatch(/^lightning:/);
    // The keyboard was on a control the expiry takes away: the status takes the focus, and is read.
    await page.locator("#copy").focus();
    await page.clock.fastForward("10:01");
    await expect.poll(() => page.locator("#status").textContent()).toBe("This invoice has expired.");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("status");
    // So from the QR code's link, which stays (faded) but loses its invoice.
    const second = await context.newPage();
    await second.clock.install();
    await second.goto(`${stack.url}/articles/countdown-qr`);
    await invoiceOn(second);
    await second.locator("a.qr").focus();
    await second.clock.fastForward("10:01");
    await expect.poll(() => second.evaluate(() => document.activeElement?.id)).toBe("status");
    expect(await page.locator('a[href^="lightning:"]').count()).toBe(0);
    expect(await page.locator("a.qr").getAttribute("aria-label")).toBeNull();
    for (const paying of ["#open-wallet", "#copy", "#pay-webln", "#invoice-box"]) expect(await page.locator(paying).isVisible(), paying).toBe(false);
    await context.close();
  });

  it("a metered page whose browser paid in another tab offers Continue, and no longer its invoice (paying it would buy a second token)", async () => {
    const { context, page } = await visitor({ webln: true });
    await page.goto(`${stack.url}/comics/tab-one`);
    await invoiceOn(page);
    const other = await context.newPage();
    await other.goto(`${stack.url}/comics/tab-two`);
    await other.getByRole("button", { name: "Pay with browser wallet" }).click();
    await other.locator("#article").waitFor({ timeout: 5000 });
    await page.getByRole("link", { name: "Continue" }).waitFor({ timeout: 5000 });
    expect(await page.locator("#status").textContent()).toBe("This browser has already paid here.");
    for (const paying of ["a.qr", "#open-wallet", "#copy", "#pay-webln", "#invoice-box"]) expect(await page.locator(paying).isVisible(), paying).toBe(false);
    expect(hitsOn("/comics/tab-one")).toBe(0);
    await context.close();
  });

  it("a second visit uses the cookie without a 402; after the token's valid_until the 402 page is back", async () => {
    const { context, page } = await visitor({ webln: true });
    await page.goto(`${stack.url}/brief/one`);
    await page.getByRole("button", { name: "Pay with browser wallet" }).click();
    await page.locator("#article").waitFor({ timeout: 5000 });
    const paidAt = Date.now();

    const again = await page.goto(`${stack.url}/brief/two`);
    expect(again?.status()).toBe(200);
    expect(await page.locator("#article").count()).toBe(1);

    // valid_until is whole seconds: wait until it has surely passed.
    await page.waitForTimeout(paidAt + (BRIEF_TIMEOUT_SECONDS + 1.2) * 1000 - Date.now());
    const expired = await page.goto(`${stack.url}/brief/three`);
    expect(expired?.status()).toBe(402);
    expect(await page.locator(".kicker").textContent()).toBe("Payment required");
    expect(hitsOn("/brief/three")).toBe(0);
    await context.close();
  });

  it("another browser cannot collect someone's payment; another origin's POST with the cookie alone is refused; nothing unpaid reaches the origin", async () => {
    const owner = await visitor();
    const path = "/articles/guarded";
    await owner.page.goto(`${stack.url}${path}`);
    // What anyone may have seen of the owner's challenge (read before paying: once paid, the page leaves for the article).
    const invoice = (await invoiceOn(owner.page)) ?? "";
    const macaroon = (await owner.page.locator("#l402").getAttribute("data-macaroon")) ?? "";
    await stack.pay(invoice);

    // A second browser asks the paywall, as the page's script does, about the same URL: it holds no pending challenge.
    const stranger = await visitor();
    const poll = () => stranger.context.request.get(`${stack.url}${path}`, { headers: { "X-L402-Browser": "poll" } });
    const nothing = await poll();
    expect(nothing.status()).toBe(400);
    expect(await nothing.json()).toMatchObject({ status: "no_challenge" });
    // Nor can it make one from what it may have seen of the owner's challenge (the macaroon, the invoice).
    const unsealed = `${Math.floor(Date.now() / 1000) + 600}.${macaroon.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")}.${invoice}.${"A".repeat(43)}`;
    await stranger.context.addCookies([{ name: "l402-pending-articles", value: unsealed, url: stack.url }]);
    expect(await (await poll()).json()).toMatchObject({ status: "no_challenge" });
    expect((await stranger.context.cookies(stack.url)).some((cookie) => cookie.name.includes("l402-token-"))).toBe(false);

    // The owner's page collects it.
    await owner.page.locator("#article").waitFor({ timeout: 3000 });
    expect(hitsOn(path)).toBe(1);

    // A page on another origin of the same site (so SameSite=Lax sends the cookie) posts a form to the paid URL.
    await owner.page.goto(`${stack.originUrl}/elsewhere`);
    const refused = owner.page.waitForResponse((response) => response.url() === `${stack.url}${path}` && response.request().method() === "POST");
    await owner.page.evaluate((target) => {
      const form = document.createElement("form");
      form.method = "POST";
      form.action = target;
      const field = document.createElement("input");
      field.name = "comment";
      field.value = "spam";
      form.append(field);
      document.body.append(form);
      form.submit();
    }, `${stack.url}${path}`);
    const response = await refused;
    expect(response.status()).toBe(403);
    expect(await response.json()).toMatchObject({ reason: "cross_origin_cookie" });
    // And a script there (the form's answer replaced the page: back to the other origin), sending it with credentials.
    // The answer is opaque to the script; the network sees it.
    await owner.page.goto(`${stack.originUrl}/elsewhere`);
    const scripted = owner.page.waitForResponse((answer) => answer.url() === `${stack.url}${path}` && answer.request().method() === "POST");
    await owner.page.evaluate((target) => void fetch(target, { method: "POST", body: "x", credentials: "include", mode: "no-cors" }), `${stack.url}${path}`);
    expect((await scripted).status()).toBe(403);

    expect(stack.hits.filter((hit) => hit.method !== "GET")).toEqual([]);
    // The origin saw one request here, the paid one, and never the paywall's cookies.
    expect(hitsOn(path)).toBe(1);
    // Through the paywall, never with its cookies. (The browser's own requests to the origin's host, its favicon,
    // carry the host's cookies: cookies know no ports, and the origin here is 127.0.0.1 too.)
    const forwarded = stack.hits.filter((hit) => hit.path.startsWith("/articles/"));
    expect(forwarded.every((hit) => !(hit.cookie ?? "").includes("l402-"))).toBe(true);
    await owner.context.close();
    await stranger.context.close();
  });

  it("two tabs that each got an invoice: the older one switches to the invoice this browser can collect", async () => {
    const { context } = await visitor();
    const older = await context.newPage();
    await older.goto(`${stack.url}/articles/tab-one`);
    const stale = await invoiceOn(older);
    // Both tabs loaded before either had the pending cookie: the newer one's challenge is the browser's.
    await context.clearCookies();
    const newer = await context.newPage();
    await newer.goto(`${stack.url}/articles/tab-two`);
    const current = await invoiceOn(newer);
    expect(current).not.toBe(stale);
    await older.waitForFunction((invoice) => document.getElementById("l402")?.getAttribute("data-invoice") === invoice, current, { timeout: 5000 });
    // Paying it (in either tab) brings both to their articles.
    await stack.pay(current ?? "");
    await Promise.all([older.locator("#article").waitFor({ timeout: 4000 }), newer.locator("#article").waitFor({ timeout: 4000 })]);
    expect(await older.locator("#article + p").textContent()).toBe("/articles/tab-one");
    await context.close();
  });

  it("without JavaScript: a static page; a second browser of the same client clicks through to its own invoice; after paying elsewhere, reloading lands on the content", async () => {
    // Another browser of this machine's client already has an open page invoice.
    const first = await visitor();
    await first.page.goto(`${stack.url}/articles/first`);
    await invoiceOn(first.page);
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    const path = "/articles/no-script";
    await page.goto(`${stack.url}${path}`);
    // No invoice this browser could not collect: a link once its cookie is set.
    expect(await page.locator("#l402").getAttribute("data-mode")).toBe("probe");
    expect(await page.locator("#invoice").count()).toBe(0);
    // Nothing says an invoice is being got: no script is getting one.
    expect(await page.locator("#status").isVisible()).toBe(false);
    await page.getByRole("link", { name: "Show the invoice" }).click();
    expect(await page.locator("noscript").count()).toBe(1);
    const invoice = await page.locator("#invoice").textContent();
    expect(invoice).toMatch(/^lnbcrt30n1/);
    expect(invoice).not.toBe(await invoiceOn(first.page));
    await stack.pay(invoice ?? "");
    const reloaded = await page.reload();
    expect(reloaded?.status()).toBe(200);
    expect(await page.locator("#article").textContent()).toBe("Members' article");
    await context.close();
    await first.context.close();
  });

  it("a probe page answered with a probe again and again (another program taking the page's invoice slot) reloads three times, then says so", async () => {
    const { context, page } = await visitor();
    // Every page load answered with a probe whose cookie came back: what the page sees while something else keeps taking its invoice.
    let probe: string | undefined;
    await page.route(`${stack.url}/**`, async (route) => {
      if (route.request().resourceType() !== "document") return route.continue();
      probe ??= (await (await fetch(route.request().url(), { headers: { Accept: "text/html" } })).text()).replace(/<main id="l402"[^>]*>/, '<main id="l402" data-mode="probe" data-metered="0" data-probe-returned="1">');
      await route.fulfill({ status: 402, contentType: "text/html; charset=utf-8", body: probe });
    });
    const pages: number[] = [];
    page.on("response", (response) => void (response.request().resourceType() === "document" && pages.push(response.status())));
    await page.goto(`${stack.url}/articles/taken`);
    await page.locator("#status", { hasText: "keeps taking this page's invoice" }).waitFor({ timeout: 5000 });
    expect(pages).toEqual([402, 402, 402, 402]);
    await page.waitForTimeout(1000);
    expect(pages).toHaveLength(4);
    await context.close();
  });

  it("a browser that keeps no cookies: the probe page reloads once, then says so, and no invoice is shown it could not collect", async () => {
    const first = await visitor();
    await first.page.goto(`${stack.url}/articles/cookies-first`);
    await invoiceOn(first.page);
    const { context, page } = await visitor();
    // Every Set-Cookie dropped, as a browser blocking this site's cookies does.
    // (Fetched outside Playwright, whose own fetch would keep them in the context's jar.)
    await page.route(`${stack.url}/**`, async (route) => {
      const request = route.request();
      const sent = Object.entries(await request.allHeaders()).filter(([name]) => !["host", "connection", "content-length"].includes(name));
      const answer = await fetch(request.url(), { method: request.method(), headers: sent, redirect: "manual" });
      const headers: Record<string, string> = {};
      answer.headers.forEach((value, name) => void (name === "set-cookie" || (headers[name] = value)));
      await route.fulfill({ status: answer.status, headers, body: Buffer.from(await answer.arrayBuffer()) });
    });
    const pages: number[] = [];
    page.on("response", (response) => void (response.request().resourceType() === "document" && pages.push(response.status())));
    await page.goto(`${stack.url}/articles/no-cookies`);
    await page.locator("#status", { hasText: "did not keep this site's cookie" }).waitFor({ timeout: 5000 });
    expect(pages).toEqual([402, 402]);
    expect(await page.locator("#l402[data-invoice]").count()).toBe(0);
    await page.waitForTimeout(1500);
    expect(pages).toEqual([402, 402]);
    await context.close();
    await first.context.close();
  });

  it("a browser refusing this site's cookies is shown no invoice it could pay and never receive", async () => {
    const { context, page } = await visitor();
    await context.addInitScript(() => Object.defineProperty(Navigator.prototype, "cookieEnabled", { get: () => false }));
    await page.goto(`${stack.url}/articles/cookies-off`);
    await page.locator("#status", { hasText: "keeps no cookies for this site" }).waitFor({ timeout: 5000 });
    expect(await page.locator("a.qr").isVisible()).toBe(false);
    expect(await page.getByRole("link", { name: "Open in wallet" }).isVisible()).toBe(false);
    expect(await page.locator("#invoice-box").isVisible()).toBe(false);
    await context.close();
  });

  it("no browser wallet: no wallet button (not even for window.webln's named element, nor a stub), and on a phone 'Open in wallet' is the main action", async () => {
    for (const stub of [undefined, "{}", "{ enable: async () => undefined }"]) {
      const { context, page } = await visitor({ phone: true });
      if (stub !== undefined) await context.addInitScript(`window.webln = ${stub};`);
      await page.goto(`${stack.url}/articles/phone-only`);
      await invoiceOn(page);
      // Given the time the script waits for late wallets.
      await page.waitForTimeout(800);
      expect(await page.getByRole("button", { name: "Pay with browser wallet" }).count(), stub).toBe(0);
      if (stub === undefined) expect(await page.evaluate(() => typeof (window as unknown as { webln?: unknown }).webln)).toBe("undefined");
      const open = page.getByRole("link", { name: "Open in wallet" });
      await expect.poll(() => open.evaluate((link) => link.classList.contains("primary"))).toBe(true);
      expect(await open.isVisible()).toBe(true);
      expect(await open.getAttribute("href")).toBe(`lightning:${await invoiceOn(page)}`);
      await context.close();
    }
  });

  it("a wallet present: its button is the main action, 'Open in wallet' the other", async () => {
    const { context, page } = await visitor({ webln: true });
    await page.goto(`${stack.url}/articles/with-wallet`);
    const wallet = page.getByRole("button", { name: "Pay with browser wallet" });
    await wallet.waitFor();
    expect(await wallet.evaluate((button) => button.classList.contains("primary"))).toBe(true);
    expect(await page.getByRole("link", { name: "Open in wallet" }).evaluate((link) => link.classList.contains("primary"))).toBe(false);
    await context.close();
  });

  it("a paid URL typed in another case: the page goes to the configured spelling, is paid, and lands on the content", async () => {
    const { context, page } = await visitor();
    await page.goto(`${stack.url}/Articles/Typed-Case`);
    expect(new URL(page.url()).pathname).toBe("/articles/Typed-Case");
    await stack.pay((await invoiceOn(page)) ?? "");
    await page.locator("#article").waitFor({ timeout: 4000 });
    expect(new URL(page.url()).pathname).toBe("/articles/Typed-Case");
    expect(hitsOn("/articles/Typed-Case")).toBe(1);
    expect(hitsOn("/Articles/Typed-Case")).toBe(0);
    await context.close();
  });

  /**
   * Review of issue 18 (item 4). The README: "no other site can spend a
   * visitor's metered token". Another site (localhost is another site than
   * 127.0.0.1) whose script sends its own tab to the paid URL from a click
   * anywhere on its page (a cookie banner's button) gets `Sec-Fetch-User: ?1`
   * from Chromium: the visitor followed no link to it.
   */
  it("another site's script navigating on any click of the visitor's spends no metered use", async () => {
    const { context, page } = await visitor({ webln: true });
    await page.goto(`${stack.url}/comics/first`);
    await page.getByRole("button", { name: "Pay with browser wallet" }).click();
    await page.locator("#article").waitFor({ timeout: 5000 });
    const target = `${stack.url}/comics/spent-elsewhere`;
    // Another site's pages, served as its own (a script runs on load, or on a click of its button; page.evaluate would lend a user gesture).
    const site = "http://localhost:9/";
    await context.route(`${site}**`, (route) => {
      const onLoad = route.request().url().endsWith("/on-load");
      const script = onLoad ? `location.href = ${JSON.stringify(target)};` : `document.getElementById("ok").onclick = () => { location.href = ${JSON.stringify(target)}; };`;
      return route.fulfill({ contentType: "text/html", body: `<!doctype html><title>elsewhere</title><button id="ok">Accept cookies</button><script>${script}</script>` });
    });

    // Without a click: the other site's navigation gets a page offering to continue; nothing is spent.
    const unclicked = page.waitForResponse((response) => response.url() === target);
    await page.goto(`${site}on-load`);
    expect((await unclicked).status()).toBe(200);
    await page.getByRole("link", { name: "Continue" }).waitFor();
    expect(hitsOn("/comics/spent-elsewhere")).toBe(0);

    // A click on the other site's own button, not on any link to this one: the same page, nothing spent, however long it stays.
    await page.goto(`${site}banner`);
    const clicked = page.waitForResponse((response) => response.url() === target);
    await page.click("#ok");
    expect((await clicked).status()).toBe(200);
    const proceed = page.getByRole("link", { name: "Continue" });
    await proceed.waitFor();
    expect(await page.locator(".kicker").textContent()).toBe("Already paid");
    await page.waitForTimeout(2000);
    expect(hitsOn("/comics/spent-elsewhere")).toBe(0);
    // The person's click on this site's own Continue spends it.
    await proceed.click();
    await page.locator("#article").waitFor({ timeout: 5000 });
    expect(hitsOn("/comics/spent-elsewhere")).toBe(1);
    await context.close();
  });

  it("a page reached again from another site (a link, its script) shows the invoice it showed, never a new one over it while the first may be being paid", async () => {
    const { context, page } = await visitor();
    const target = `${stack.url}/articles/from-elsewhere`;
    await page.goto(target);
    const shown = await invoiceOn(page);
    expect(shown).toMatch(/^lnbcrt/);
    // Another site (localhost is another site than 127.0.0.1) sending the tab back to the page, twice.
    const site = "http://localhost:9/";
    await context.route(`${site}**`, (route) => route.fulfill({ contentType: "text/html", body: `<!doctype html><title>elsewhere</title><script>location.href = ${JSON.stringify(target)};</script>` }));
    for (let visit = 0; visit < 2; visit++) {
      await page.goto(`${site}back-${visit}`);
      await page.waitForURL(target);
      expect(await invoiceOn(page)).toBe(shown);
    }
    await context.close();
  });

  it("the page says who is paid and for what: the service's title and description, the host, the price and its estimate", async () => {
    const { context, page } = await visitor();
    await page.goto(`${stack.url}/articles/words`);
    await invoiceOn(page);
    expect(await page.locator("h1").textContent()).toBe("Lightning articles");
    expect(await page.locator(".description").textContent()).toBe("Essays on paying for the web");
    // The operator's words may be in a right-to-left script: each takes its own direction.
    expect([await page.locator("h1").getAttribute("dir"), await page.locator(".description").getAttribute("dir")]).toEqual(["auto", "auto"]);
    expect(await page.locator(".payee").textContent()).toBe(`Paid to ${new URL(stack.url).host}`);
    expect(await page.locator(".price").textContent()).toBe("3 sats");
    expect(await page.locator(".fiat").textContent()).toBe("About $0.0028 (at $95,000 per bitcoin)");
    expect(await page.title()).toBe(`Payment required: Lightning articles (${new URL(stack.url).host})`);
    await context.close();
  });
});
