import { randomBytes } from "node:crypto";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseChallenge, toBase64, toHex } from "../../src/l402/index.ts";
import { decodeMacaroon } from "../../src/macaroon/index.ts";
import { BROWSER_REQUIRED, CHROMIUM, launchChromium } from "./support/chromium.ts";
import { startStack, type Stack } from "./support/stack.ts";

/**
 * The operator's dashboard in a real Chromium, against the template Worker in
 * workerd with the LND simulator and an origin: sign in, see a payment made
 * through the Worker, revoke it and see it refused; a wrong token sees no
 * data; hostile text reaching the page stays text; a service switched to
 * shadow and back from the page.
 */
const ADMIN_TOKEN = randomBytes(24).toString("hex");
const DASHBOARD = "/.well-known/l402/admin/dashboard";
const XSS = `<img src=x onerror="alert('xss')"><script>alert('xss')</script>`;

let stack: Stack;
let browser: Browser;

describe.skipIf(CHROMIUM === undefined && !BROWSER_REQUIRED)("the operator dashboard in Chromium", () => {
  beforeAll(async () => {
    stack = await startStack(
      (origin) => [
        { name: "vault", match: ["/vault/*"], price_sats: 2, revocable: true, timeout: 3600, origin: { url: origin } },
        { name: "metered", match: ["/metered/*"], price_sats: 3, uses: 5, timeout: 3600, origin: { url: origin } },
      ],
      // Run-time overrides on, for the mode switch: a change is served everywhere within a second.
      { L402_ADMIN_TOKEN: ADMIN_TOKEN, L402_OVERRIDES: "on", L402_OVERRIDES_TTL: "1" },
    );
    browser = await launchChromium();
    // The first page a fresh Chromium opens, and the Worker's first dashboard answer, are the slow ones on a loaded machine: paid here, not by the first test.
    const warm = await browser.newPage();
    await warm.goto(`${stack.url}${DASHBOARD}`);
    await warm.close();
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  /** A token bought as a program would: 402, the simulator pays the invoice, the paid request (its first use). */
  async function buy(path: string): Promise<{ tokenId: string; authorization: string }> {
    const unpaid = await fetch(`${stack.url}${path}`);
    expect(unpaid.status).toBe(402);
    const challenge = parseChallenge(unpaid.headers.get("www-authenticate") ?? "");
    if (!challenge.ok) throw new Error(challenge.detail);
    const preimage = await stack.pay(challenge.value.invoice);
    const authorization = `L402 ${toBase64(challenge.value.macaroon)}:${preimage}`;
    expect((await fetch(`${stack.url}${path}`, { headers: { Authorization: authorization } })).status).toBe(200);
    return { tokenId: toHex(decodeMacaroon(challenge.value.macaroon).identifier.slice(34)), authorization };
  }

  /** A browser of its own, recording every dialog, script run and CSP complaint the dashboard causes. */
  async function operator(): Promise<{ context: BrowserContext; page: Page; dialogs: string[]; complaints: string[] }> {
    const context = await browser.newContext();
    // A step that hangs fails with its own name, well within the test's time.
    context.setDefaultTimeout(25_000);
    const page = await context.newPage();
    const dialogs: string[] = [];
    const complaints: string[] = [];
    page.on("dialog", (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    page.on("console", (message) => void (message.text().includes("Content Security Policy") && complaints.push(message.text())));
    return { context, page, dialogs, complaints };
  }

  /** The sign-in form filled and sent; the status of the Worker's answer to it (so that a step that then waits on the page has the answer's status to say). */
  async function signIn(page: Page, token: string): Promise<number> {
    await page.goto(`${stack.url}${DASHBOARD}`);
    await page.getByLabel("Admin token").fill(token);
    const [answer] = await Promise.all([
      page.waitForResponse((response) => response.request().method() === "POST" && new URL(response.url()).pathname === `${DASHBOARD}/sign-in`),
      page.getByRole("button", { name: "Sign in" }).click(),
    ]);
    return answer.status();
  }

  it("a wrong admin token never sees data; the dashboard's URLs without a session lead to the sign-in form", async () => {
    const { tokenId } = await buy("/vault/unseen");
    const { context, page } = await operator();
    // Its last character changed (to one it is not: a token ending in "0" was once "wrong" by being itself).
    expect(await signIn(page, `${ADMIN_TOKEN.slice(0, -1)}${ADMIN_TOKEN.endsWith("0") ? "1" : "0"}`)).toBe(401);
    expect(await page.getByRole("alert").textContent()).toBe("That is not the admin token.");
    expect(page.url()).toBe(`${stack.url}${DASHBOARD}/sign-in`);
    const html = await page.content();
    expect(html).not.toContain(tokenId.slice(8, 24));
    expect(html).not.toContain("vault");
    expect((await context.cookies()).map((cookie) => cookie.name)).toEqual([]);
    const direct = await page.goto(`${stack.url}${DASHBOARD}?revoked=${tokenId}`);
    expect(direct?.url()).toBe(`${stack.url}${DASHBOARD}/sign-in`);
    expect(await page.locator("#tokens").count()).toBe(0);
    await context.close();
  });

  it("signed in: a payment made through the Worker appears; revoking it from the dashboard refuses the token's next request", async () => {
    const metered = await buy("/metered/seen");
    const vault = await buy("/vault/seen");
    const { context, page, dialogs, complaints } = await operator();
    expect(await signIn(page, ADMIN_TOKEN)).toBe(303);
    expect(page.url()).toBe(`${stack.url}${DASHBOARD}`);
    const session = (await context.cookies()).find((cookie) => cookie.name === "l402-dashboard");
    // Plain http to 127.0.0.1 is development: unprefixed and not Secure (on https: __Host-, Secure; test/workerd/worker-dashboard.test.ts).
    expect(session).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/" });
    expect(session?.value).not.toContain(ADMIN_TOKEN);
    expect(await page.evaluate(() => document.cookie)).toBe("");

    const row = page.locator(`#tokens tr[data-token="${metered.tokenId}"]`);
    expect(await row.locator("td").nth(1).textContent()).toBe("metered");
    expect(await row.locator("td").nth(2).textContent()).toBe("3 sats");
    expect(await row.locator("td").nth(5).textContent()).toBe("4 of 5 uses");
    // Bought once here, and nowhere else in this file: one challenge, one paid, 3 sats today in the chart.
    expect(await page.locator('#conversion tr[data-service="metered"] td').allTextContents()).toEqual(["metered", "1", "1", "100%", "", "3 sats"]);
    const today = new Date().toISOString().slice(0, 10);
    expect(await page.locator("#revenue-chart rect title").allTextContents()).toContain(`${today} metered: 3 sats`);

    const vaultRow = page.locator(`#tokens tr[data-token="${vault.tokenId}"]`);
    await vaultRow.getByPlaceholder("reason").fill(XSS);
    await vaultRow.getByRole("button", { name: "Revoke" }).click();
    expect(await page.getByRole("status").textContent()).toContain(`Token ${vault.tokenId.slice(0, 16)}… revoked`);
    expect(await page.locator(`#tokens tr[data-token="${vault.tokenId}"]`).count()).toBe(0);
    const refused = await fetch(`${stack.url}/vault/seen`, { headers: { Authorization: vault.authorization } });
    expect(refused.status).toBe(402);
    expect(await refused.json()).toMatchObject({ reason: "revoked" });
    // The other token is untouched.
    expect((await fetch(`${stack.url}/metered/seen`, { headers: { Authorization: metered.authorization } })).status).toBe(200);

    // The reason, hostile markup typed by whoever revoked, is shown as the text it is: no image, no script, no dialog.
    const reason = page.locator(`#revocations tr[data-token="${vault.tokenId}"] .reason`);
    expect(await reason.textContent()).toBe(XSS);
    expect(await reason.locator("img, script").count()).toBe(0);
    await page.reload();
    expect(dialogs).toEqual([]);
    expect(complaints).toEqual([]);
    await context.close();
  });

  it("hostile text reaching the page another way (a reason given through the admin API) stays text", async () => {
    const { tokenId } = await buy("/vault/api-revoked");
    const reason = `</td></tr></table><svg onload="alert('svg')"></svg>${XSS}`;
    const revoked = await fetch(`${stack.url}/.well-known/l402/admin/tokens/${tokenId}/revoke`, { method: "POST", headers: { Authorization: `Bearer ${ADMIN_TOKEN}` }, body: JSON.stringify({ reason }) });
    expect(revoked.status).toBe(200);
    const { context, page, dialogs } = await operator();
    expect(await signIn(page, ADMIN_TOKEN)).toBe(303);
    const cell = page.locator(`#revocations tr[data-token="${tokenId}"] .reason`);
    expect(await cell.textContent()).toBe(reason);
    expect(await page.locator("main svg[onload], main img, main script").count()).toBe(0);
    expect(dialogs).toEqual([]);
    // Signing out ends the session in this browser: the dashboard is the sign-in form again.
    await page.getByRole("button", { name: "Sign out" }).click();
    expect(page.url()).toBe(`${stack.url}${DASHBOARD}/sign-in`);
    await page.goto(`${stack.url}${DASHBOARD}`);
    expect(await page.locator("#revocations").count()).toBe(0);
    await context.close();
  });

  it("switching a service to shadow in the browser lets an unpaid request through; switching it back challenges it again", async () => {
    const path = "/metered/switched";
    expect((await fetch(`${stack.url}${path}`)).status).toBe(402);
    const { context, page, dialogs, complaints } = await operator();
    expect(await signIn(page, ADMIN_TOKEN)).toBe(303);
    const row = page.locator('#modes tr[data-service="metered"]');
    expect(await row.locator(".mode").first().textContent()).toBe("enforce");
    await row.getByRole("button", { name: "Switch to shadow" }).click();
    expect(await page.getByRole("status").textContent()).toBe("Service metered switched to shadow: every isolate serves it so within 1 s.");
    expect(await row.locator("td.mode").textContent()).toBe("shadow");
    // Within the bound (one TTL): the same unpaid request reaches the origin.
    await eventually(async () => (await fetch(`${stack.url}${path}`)).status === 200, 3000);
    expect(stack.hits.some((hit) => hit.path === path)).toBe(true);
    await row.getByRole("button", { name: "Switch to enforce" }).click();
    expect(await row.locator("td.mode").textContent()).toBe("enforce");
    await eventually(async () => (await fetch(`${stack.url}${path}`)).status === 402, 3000);
    expect(dialogs).toEqual([]);
    expect(complaints).toEqual([]);
    await context.close();
  });
});

/** Polls until `check` holds; fails past `withinMs`. */
async function eventually(check: () => Promise<boolean>, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
