import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../../dev/lnd-sim/server.ts";
import { lndRestBackend, type InvoiceBackend } from "../../src/lightning/index.ts";
import type { ServiceDefinition } from "../../src/config/index.ts";
import { BASE, invoiceOf, Jar, PAGE, payOnPhone as payWith, PENDING, poll, SAME_ORIGIN, shop as shopOn, TOKEN, visit, type Shop } from "./support/browser-shop.ts";

let sim: Simulator;
let node: InvoiceBackend;

beforeAll(async () => {
  sim = await startSimulator();
  node = lndRestBackend({ url: sim.url, macaroonHex: sim.paywallMacaroonHex, network: "regtest", timeoutMs: 2000 });
});
afterAll(() => sim.close());

const shop = (service: Partial<ServiceDefinition> = {}): Shop => shopOn(node, service);
const payOnPhone = (invoice: string) => payWith(sim, invoice);

/**
 * Cookie tossing: a sibling subdomain (blog.shop.example) can set a cookie for
 * the whole site (`Domain=shop.example`) under any name without the `__Host-`
 * prefix, and the visitor's browser sends it to shop.example. Only `__Host-`
 * cookies are set by shop.example itself, so only they are read on https.
 */
describe("cookies planted by another host of the site", () => {
  const PLANTED_NAMES = ["l402-pending-articles", "__host-l402-pending-articles", "__HOST-l402-pending-articles", "__Secure-l402-pending-articles", "__Host-L402-pending-articles", "__Host-l402-pending-Articles"];

  it.each(PLANTED_NAMES)("an attacker's pending cookie planted as %s: the victim's page shows the victim's own invoice, and the attacker never collects the victim's payment", async (planted) => {
    const s = shop();
    const attacker = new Jar();
    const attackersInvoice = invoiceOf(await (await visit(s, attacker, "/articles/lightning", { "CF-Connecting-IP": "198.51.100.66" })).text());
    const attackersPending = attacker.cookies.get(PENDING)?.value ?? "";
    expect(attackersPending).not.toBe("");

    const victim = new Jar();
    victim.cookies.set(planted, { value: attackersPending, attributes: "" });
    const page = await visit(s, victim, "/articles/lightning", { "CF-Connecting-IP": "203.0.113.10" });
    const shown = invoiceOf(await page.text());
    expect(shown).not.toBe("");
    expect(shown).not.toBe(attackersInvoice);
    // The victim's own challenge, in the victim's own __Host- cookie.
    expect(victim.cookies.get(PENDING)?.value).not.toBe(attackersPending);
    // A poll carrying only the planted cookie names no challenge of this browser's.
    const plantedOnly = new Jar();
    plantedOnly.cookies.set(planted, { value: attackersPending, attributes: "" });
    expect(await (await poll(s, plantedOnly)).json()).toMatchObject({ status: "no_challenge" });

    await payOnPhone(shown);
    expect(await (await poll(s, attacker)).json()).toMatchObject({ status: "pending" });
    expect(attacker.cookies.has(TOKEN)).toBe(false);
    expect(await (await poll(s, victim)).json()).toEqual({ status: "paid" });
    expect(victim.cookies.has(TOKEN)).toBe(true);
  });

  it("planted beside the victim's own pending cookie, before or after it: the victim's own is the one read", async () => {
    const s = shop();
    const attacker = new Jar();
    await visit(s, attacker, "/articles/lightning", { "CF-Connecting-IP": "198.51.100.66" });
    const attackersPending = attacker.cookies.get(PENDING)?.value ?? "";
    const victim = new Jar();
    const own = invoiceOf(await (await visit(s, victim, "/articles/lightning", { "CF-Connecting-IP": "203.0.113.11" })).text());
    const victimsPending = victim.cookies.get(PENDING)?.value ?? "";
    for (const cookie of [`l402-pending-articles=${attackersPending}; ${PENDING}=${victimsPending}`, `${PENDING}=${victimsPending}; l402-pending-articles=${attackersPending}`]) {
      const page = await s.app.request(`${BASE}/articles/lightning`, { headers: { ...PAGE, "CF-Connecting-IP": "203.0.113.11", Cookie: cookie } });
      expect(invoiceOf(await page.text())).toBe(own);
    }
  });

  it.each(["l402-token-articles", "__host-l402-token-articles", "__Secure-l402-token-articles"])("an attacker's paid credential planted as %s is not the visitor's: 402, nothing reached", async (planted) => {
    const s = shop();
    const attacker = new Jar();
    await payOnPhone(invoiceOf(await (await visit(s, attacker)).text()));
    await poll(s, attacker);
    const credential = attacker.cookies.get(TOKEN)?.value ?? "";
    expect(credential).not.toBe("");
    expect((await visit(s, attacker)).status).toBe(200);

    const victim = new Jar();
    victim.cookies.set(planted, { value: credential, attributes: "" });
    const answer = await s.app.request(`${BASE}/articles/a`, { headers: { ...SAME_ORIGIN, ...victim.header } });
    expect(answer.status).toBe(402);
    expect(s.reached).toEqual(["GET /articles/lightning"]);
  });

  it("plain http to this machine reads the unprefixed names: development has no sibling hosts", async () => {
    const s = shop();
    const jar = new Jar();
    const dev = "http://127.0.0.1:8787";
    await payOnPhone(invoiceOf(await (await visit(s, jar, "/articles/a", {}, dev)).text()));
    expect([...jar.cookies.keys()]).toEqual(["l402-pending-articles"]);
    expect((await visit(s, jar, "/articles/a", {}, dev)).status).toBe(303);
    expect([...jar.cookies.keys()]).toEqual(["l402-token-articles"]);
    expect((await visit(s, jar, "/articles/a", {}, dev)).status).toBe(200);
  });
});
