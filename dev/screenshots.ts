import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { parseChallenge, toBase64 } from "../src/l402/index.ts";
import { DEMO_ROUTES, demoServices, startDemoOrigin } from "./demo-origin.ts";
import { startLocalWorker } from "./local-worker.ts";
import { freePort } from "./ports.ts";
import { payInvoice } from "./lnd-sim/payer.ts";
import { startSimulator, type Simulator } from "./lnd-sim/server.ts";

/**
 * `npm run screenshots`: the demo's 402 page in Chromium, at a desktop and a
 * phone size, and the operator's dashboard after a few real payments, into
 * docs/ (the README shows them). Runs the demo stack in workerd as the tests
 * do; needs a Chromium (CHROMIUM_PATH, or Debian's).
 */
const ROOT = resolve(dirname(new URL(import.meta.url).pathname), "..");
const CHROMIUM = process.env["CHROMIUM_PATH"] ?? ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].find((path) => existsSync(path));

async function main(): Promise<void> {
  if (CHROMIUM === undefined) throw new Error("no Chromium found: install Debian's chromium or set CHROMIUM_PATH");
  const secret = randomBytes(16).toString("hex");
  const adminToken = randomBytes(24).toString("hex");
  const sim = await startSimulator();
  const origin = await startDemoOrigin(await freePort(), secret);
  const worker = await startLocalWorker({
    vars: { LND_REST_URL: sim.url, L402_NETWORK: "regtest", L402_SERVICES: JSON.stringify(demoServices(origin.url)), L402_FIAT_RATE: "USD:95000" },
    secrets: { L402_MASTER_KEYS: randomBytes(32).toString("hex"), LND_MACAROON: sim.paywallMacaroonHex, L402_ORIGIN_SECRET: secret, L402_ADMIN_TOKEN: adminToken },
  });
  const browser = await chromium.launch({ executablePath: CHROMIUM });
  try {
    mkdirSync(join(ROOT, "docs"), { recursive: true });
    const shots = [
      { file: "402-page-desktop.png", viewport: { width: 1100, height: 860 }, deviceScaleFactor: 1 },
      { file: "402-page-phone.png", viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 },
    ];
    for (const shot of shots) {
      const context = await browser.newContext({ viewport: shot.viewport, deviceScaleFactor: shot.deviceScaleFactor, colorScheme: "light" });
      // A browser wallet (WebLN) present: the page offers it.
      await context.addInitScript(() => void ((window as unknown as { webln: object }).webln = { enable: async () => undefined, sendPayment: async () => ({ preimage: "" }) }));
      const page = await context.newPage();
      await page.goto(`${worker.url}${DEMO_ROUTES.article}`);
      await page.getByRole("button", { name: "Pay with browser wallet" }).waitFor();
      await page.screenshot({ path: join(ROOT, "docs", shot.file), fullPage: true });
      process.stdout.write(`docs/${shot.file}\n`);
      await context.close();
    }
    await dashboardShot(browser, worker.url, sim, adminToken);
  } finally {
    await browser.close();
    await worker.close();
    await Promise.all([sim.close(), origin.close()]);
  }
}

/** The dashboard after payments made through the Worker (one token revoked, one left unpaid), signed in as an operator would. */
async function dashboardShot(browser: Browser, workerUrl: string, sim: Simulator, adminToken: string): Promise<void> {
  const bought: string[] = [];
  for (const path of [DEMO_ROUTES.quote, DEMO_ROUTES.quote, DEMO_ROUTES.quote, `${DEMO_ROUTES.weather}?city=Lisbon`, `${DEMO_ROUTES.weather}?city=Oslo`, DEMO_ROUTES.calls, DEMO_ROUTES.calls]) {
    const challenge = parseChallenge((await fetch(`${workerUrl}${path}`)).headers.get("www-authenticate") ?? "");
    if (!challenge.ok) throw new Error(`no challenge on ${path}: ${challenge.detail}`);
    const paid = await payInvoice({ url: sim.url, macaroonHex: sim.adminMacaroonHex }, challenge.value.invoice);
    const response = await fetch(`${workerUrl}${path}`, { headers: { Authorization: `L402 ${toBase64(challenge.value.macaroon)}:${paid.preimageHex ?? ""}` } });
    if (response.status !== 200) throw new Error(`the paid request to ${path} answered ${response.status}`);
    bought.push(path);
  }
  await fetch(`${workerUrl}${DEMO_ROUTES.joke}`);
  await fetch(`${workerUrl}${DEMO_ROUTES.quote}`);
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, deviceScaleFactor: 1, colorScheme: "light" });
  const page = await context.newPage();
  await page.goto(`${workerUrl}/.well-known/l402/admin/dashboard`);
  await page.getByLabel("Admin token").fill(adminToken);
  await page.getByRole("button", { name: "Sign in" }).click();
  const oldest = page.locator("#tokens form.revoke").last();
  await oldest.getByPlaceholder("reason").fill("posted in a public issue");
  await oldest.getByRole("button", { name: "Revoke" }).click();
  await page.locator("#revocations .reason").first().waitFor();
  await page.screenshot({ path: join(ROOT, "docs", "dashboard.png"), fullPage: true });
  process.stdout.write(`docs/dashboard.png (${bought.length} payments)\n`);
  await context.close();
}

main().catch((error: unknown) => {
  process.stderr.write(`screenshots: ${(error as Error).message}\n`);
  process.exit(1);
});
