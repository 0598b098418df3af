import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../../dev/lnd-sim/server.ts";
import { parseChallenge } from "../../src/l402/index.ts";
import { lndRestBackend, type InvoiceBackend } from "../../src/lightning/index.ts";
import type { ServiceDefinition } from "../../src/config/index.ts";
import type { PaywallOptions } from "../../src/index.ts";
import { BASE, invoiceOf, Jar, PAGE, payOnPhone as payWith, PENDING, poll, PROBE, shop as shopOn, TOKEN, visit, type Shop } from "./support/browser-shop.ts";

/**
 * Page challenges (paywall/browser/page-challenge.ts): a browser's 402 page
 * mints an invoice only that browser can collect, so pages cannot share the
 * JSON clients' cached challenge; instead one client (network + user agent)
 * gets one open page invoice per service per window, and another browser of
 * the same client gets its own only after showing it keeps cookies.
 */
let sim: Simulator;
let node: InvoiceBackend;

beforeAll(async () => {
  sim = await startSimulator();
  node = lndRestBackend({ url: sim.url, macaroonHex: sim.paywallMacaroonHex, network: "regtest", timeoutMs: 2000 });
});
afterAll(() => sim.close());

const shop = (service: Partial<ServiceDefinition> = {}, options: Partial<PaywallOptions> = {}, mount?: string): Shop => shopOn(node, service, options, mount);
const payOnPhone = (invoice: string) => payWith(sim, invoice);
const challengeOf = (response: Response): string => {
  const parsed = parseChallenge(response.headers.get("www-authenticate") ?? "");
  return parsed.ok ? parsed.value.invoice : "";
};
const isProbe = (html: string) => html.includes('data-mode="probe"');

describe("one client, one open page invoice per service and window", () => {
  it("40 page views from a client that drops cookies make two invoices: its page invoice, and the shared challenge every later answer carries", async () => {
    const s = shop();
    const answers: { status: number; html: string; challenge: string }[] = [];
    for (let i = 0; i < 40; i++) {
      const response = await visit(s, new Jar());
      answers.push({ status: response.status, challenge: challengeOf(response), html: await response.text() });
    }
    console.log(`40 cookie-less page views → ${s.invoices()} invoice(s)`);
    expect(s.invoices()).toBe(2);
    expect(answers.every((answer) => answer.status === 402)).toBe(true);
    const [first, ...rest] = answers;
    expect(invoiceOf(first?.html ?? "")).toBe(first?.challenge);
    // The rest show no invoice (none this browser could collect), and carry one shared challenge for programs.
    expect(rest.every((answer) => isProbe(answer.html) && invoiceOf(answer.html) === "" && !answer.html.includes("<svg"))).toBe(true);
    expect(new Set(rest.map((answer) => answer.challenge)).size).toBe(1);
    expect(rest[0]?.challenge).not.toBe(first?.challenge);
    expect(rest[0]?.challenge).toMatch(/^lnbcrt30n1/);
  });

  it("20 page views at once from one client make two invoices", async () => {
    const s = shop();
    const answers = await Promise.all(Array.from({ length: 20 }, () => visit(s, new Jar())));
    await Promise.all(answers.map((answer) => answer.body?.cancel()));
    expect(answers.every((answer) => answer.status === 402)).toBe(true);
    expect(s.invoices()).toBe(2);
  });

  it("another browser of the same client proves it keeps cookies, then gets its own invoice; both can collect theirs", async () => {
    const s = shop();
    const first = new Jar();
    const firstInvoice = invoiceOf(await (await visit(s, first)).text());
    const second = new Jar();
    const probing = await visit(s, second);
    expect(isProbe(await probing.text())).toBe(true);
    expect(second.cookies.has(PENDING)).toBe(false);
    expect(second.cookies.get(PROBE)?.attributes).toMatch(/^Max-Age=30; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    const own = await visit(s, second);
    const secondInvoice = invoiceOf(await own.text());
    expect(secondInvoice).toMatch(/^lnbcrt30n1/);
    expect(secondInvoice).not.toBe(firstInvoice);
    expect(second.cookies.has(PENDING)).toBe(true);
    expect(second.cookies.has(PROBE)).toBe(false);
    // The first browser still sees its own.
    expect(invoiceOf(await (await visit(s, first)).text())).toBe(firstInvoice);

    await payOnPhone(secondInvoice);
    expect(await (await poll(s, second)).json()).toEqual({ status: "paid" });
    expect(await (await poll(s, first)).json()).toMatchObject({ status: "pending" });
    await payOnPhone(firstInvoice);
    expect(await (await poll(s, first)).json()).toEqual({ status: "paid" });
    expect(first.cookies.has(TOKEN) && second.cookies.has(TOKEN)).toBe(true);
  });

  it("a probe cookie is good for one invoice: replayed by a crawler that drops the rest, it mints nothing more", async () => {
    const s = shop();
    await visit(s, new Jar());
    const probing = new Jar();
    await visit(s, probing);
    const probe = probing.cookies.get(PROBE)?.value ?? "";
    expect(probe).not.toBe("");
    const invoicesBefore = s.invoices();
    const pages = [];
    for (let i = 0; i < 10; i++) pages.push(await (await s.app.request(`${BASE}/articles/lightning`, { headers: { ...PAGE, Cookie: `${PROBE}=${probe}` } })).text());
    expect(s.invoices() - invoicesBefore).toBe(1);
    expect(pages.filter((page) => invoiceOf(page) !== "")).toHaveLength(1);
  });

  it("a forged, altered or foreign probe cookie mints nothing", async () => {
    const s = shop();
    await visit(s, new Jar());
    const probing = new Jar();
    await visit(s, probing);
    const probe = decodeURIComponent(probing.cookies.get(PROBE)?.value ?? "");
    const [hash = "", tag = ""] = probe.split(".");
    // Another service's probe, taken under this one's name.
    const news = shop({ name: "news" }, {}, "*");
    await news.app.request(`${BASE}/news/a`, { headers: PAGE });
    const newsProbing = await news.app.request(`${BASE}/news/a`, { headers: PAGE });
    const newsProbe = /^__Host-l402-probe-news=([^;]*)/.exec(newsProbing.headers.getSetCookie().join("\n"))?.[1] ?? "";
    expect(newsProbe).not.toBe("");
    const invoicesBefore = s.invoices();
    const forgeries = [
      `${"0".repeat(64)}.${tag}`,
      `${hash}.${tag.slice(0, -1)}${tag.endsWith("A") ? "B" : "A"}`,
      `${hash}.`,
      `${hash}`,
      `${hash}.${tag}.${tag}`,
      newsProbe,
      "",
      "garbage",
    ];
    for (const forged of forgeries) {
      const page = await s.app.request(`${BASE}/articles/lightning`, { headers: { ...PAGE, Cookie: `${PROBE}=${encodeURIComponent(forged)}` } });
      expect(isProbe(await page.text()), forged).toBe(true);
    }
    expect(s.invoices()).toBe(invoicesBefore);
  });

  it("once the page invoice is paid, or has expired, the client's next cookie-less page gets an invoice at once", async () => {
    const s = shop();
    const jar = new Jar();
    await payOnPhone(invoiceOf(await (await visit(s, jar)).text()));
    expect(await (await poll(s, jar)).json()).toEqual({ status: "paid" });
    expect(invoiceOf(await (await visit(s, new Jar())).text())).toMatch(/^lnbcrt30n1/);

    const expiring = new Jar();
    const lapsed = shop();
    await visit(lapsed, expiring);
    await fetch(`${sim.url}/_sim/clock`, { method: "POST", body: JSON.stringify({ advanceSeconds: 601 }) });
    try {
      expect(await (await poll(lapsed, expiring)).json()).toEqual({ status: "expired" });
    } finally {
      await fetch(`${sim.url}/_sim/clock`, { method: "POST", body: JSON.stringify({ advanceSeconds: -601 }) });
    }
    expect(invoiceOf(await (await visit(lapsed, new Jar())).text())).toMatch(/^lnbcrt30n1/);
  });

  it("a program asking for HTML is answered as before: the probe answer's challenge pays, with the header", async () => {
    const s = shop();
    await visit(s, new Jar());
    const probe = await visit(s, new Jar());
    const challenge = parseChallenge(probe.headers.get("www-authenticate") ?? "");
    if (!challenge.ok) throw new Error(challenge.detail);
    const paid = await payOnPhone(challenge.value.invoice);
    const { toBase64 } = await import("../../src/l402/index.ts");
    const answer = await s.app.request(`${BASE}/articles/lightning`, { headers: { Authorization: `L402 ${toBase64(challenge.value.macaroon)}:${paid.preimageHex}` } });
    expect(answer.status).toBe(200);
  });

  it("other clients are counted apart: another address, another user agent", async () => {
    const s = shop();
    const pages = await Promise.all([{}, { "CF-Connecting-IP": "203.0.113.1" }, { "User-Agent": "Other/1.0" }].map(async (headers) => invoiceOf(await (await visit(s, new Jar(), "/articles/lightning", headers)).text())));
    expect(new Set(pages).size).toBe(3);
    expect(pages.every((invoice) => invoice.startsWith("lnbcrt30n1"))).toBe(true);
  });

  it("with the challenge cache off (0 s), page views mint as JSON clients' requests do: one each", async () => {
    const s = shop({}, { challengeCacheSeconds: 0 });
    for (let i = 0; i < 3; i++) expect(invoiceOf(await (await visit(s, new Jar())).text())).toMatch(/^lnbcrt30n1/);
    expect(s.invoices()).toBe(3);
  });
});

describe("a paid URL typed in another case", () => {
  it.each([
    ["/Articles/lightning", "/articles/lightning"],
    ["/ARTICLES/lightning?page=2", "/articles/lightning?page=2"],
    ["/aRtIcLeS/Deep/Path", "/articles/Deep/Path"],
    ["/Articles", "/articles"],
    ["/Articles/", "/articles/"],
  ])("a page for %s goes to %s (303) before any invoice", async (typed, configured) => {
    const s = shop({ match: ["/articles/*"] }, {}, "*");
    const answer = await s.app.request(`${BASE}${typed}`, { headers: PAGE });
    expect(answer.status).toBe(303);
    expect(answer.headers.get("location")).toBe(configured);
    expect(answer.headers.get("cache-control")).toBe("no-store");
    expect(answer.headers.getSetCookie()).toEqual([]);
    expect(s.invoices()).toBe(0);
  });

  it("programs are answered at the path they asked for; a spelling the patterns name themselves is left alone", async () => {
    const s = shop({ match: ["/articles/*"] }, {}, "*");
    const json = await s.app.request(`${BASE}/Articles/lightning`, { headers: { Accept: "application/json" } });
    expect(json.status).toBe(402);
    const both = shop({ match: ["/articles/*", "/Articles/*"] }, {}, "*");
    expect((await both.app.request(`${BASE}/Articles/lightning`, { headers: PAGE })).status).toBe(402);
    // A page asked for by another method is answered where it asked: only a GET or HEAD is sent elsewhere.
    expect((await s.app.request(`${BASE}/Articles/lightning`, { method: "POST", headers: PAGE })).status).toBe(402);
    expect((await s.app.request(`${BASE}/Articles/lightning`, { method: "HEAD", headers: PAGE })).status).toBe(303);
    const anyPath = shop({ match: ["/*"] }, {}, "*");
    expect((await anyPath.app.request(`${BASE}/Articles/lightning`, { headers: PAGE })).status).toBe(402);
  });

  it("never sends a page round in circles: a pattern's escapes in another case than requests' are left alone", async () => {
    const s = shop({ match: ["/caf%c3%a9/*", "/menu/*"] }, {}, "*");
    for (const typed of ["/CAF%C3%A9/x", "/caf%C3%A9/x", "/Caf%C3%A9/x"]) {
      const answer = await s.app.request(`${BASE}${typed}`, { headers: PAGE });
      const location = answer.headers.get("location");
      if (location === null) continue;
      // Wherever it is sent, it is not sent on again.
      expect((await s.app.request(`${BASE}${location}`, { headers: PAGE })).status, `${typed} → ${location}`).not.toBe(303);
    }
  });

  it("typed in another case, paid, and landed on the content: the cookies come back whatever the spelling", async () => {
    const s = shop({ match: ["/articles/*"] }, {}, "*");
    const jar = new Jar();
    const redirected = await visit(s, jar, "/ARTICLES/lightning");
    const location = redirected.headers.get("location") ?? "";
    expect(location).toBe("/articles/lightning");
    await payOnPhone(invoiceOf(await (await visit(s, jar, location)).text()));
    expect((await visit(s, jar, location)).status).toBe(303);
    const content = await visit(s, jar, location);
    expect(content.status).toBe(200);
    expect(s.reached).toEqual(["GET /articles/lightning"]);
  });
});

describe("pages of a request-priced service", () => {
  // 3 sats a page, 10 for a premium one.
  const priced = { price_rules: [{ path: "/articles/premium/*", price_sats: 10 }] };

  it("a browser holding a cheap page's unpaid invoice is shown a dearer page's own: the price it shows is the invoice's, and back on a cheap page never the dear one", async () => {
    const s = shop(priced);
    const jar = new Jar();
    const cheap = invoiceOf(await (await visit(s, jar)).text());
    expect(cheap).toMatch(/^lnbcrt30n1/);
    const premium = await visit(s, jar, "/articles/premium/x");
    const html = await premium.text();
    expect(invoiceOf(html)).toMatch(/^lnbcrt100n1/);
    expect(challengeOf(premium)).toBe(invoiceOf(html));
    // Its pending cookie now holds the premium invoice; back on a cheap page, never that one: one at the page's price (after a reload that shows it keeps cookies, as another browser of the client would).
    const back = await (await visit(s, jar)).text();
    expect(isProbe(back) && invoiceOf(back) === "").toBe(true);
    expect(invoiceOf(await (await visit(s, jar)).text())).toMatch(/^lnbcrt30n1/);
  });

  it("a paid cookie bought on a cheap page stays when a dearer page refuses it (price_exceeds_token), and still opens the cheap pages", async () => {
    const s = shop(priced);
    const jar = new Jar();
    await payOnPhone(invoiceOf(await (await visit(s, jar)).text()));
    expect((await visit(s, jar)).status).toBe(303);
    expect(jar.cookies.has(TOKEN)).toBe(true);
    const dear = await visit(s, jar, "/articles/premium/x");
    expect(dear.status).toBe(402);
    await dear.body?.cancel();
    expect(jar.cookies.has(TOKEN)).toBe(true);
    expect((await visit(s, jar)).status).toBe(200);
  });

  it("a cookie bound to one request (bind_request) stays when another request refuses it (request_mismatch)", async () => {
    const s = shop({ ...priced, bind_request: true });
    const jar = new Jar();
    await payOnPhone(invoiceOf(await (await visit(s, jar)).text()));
    expect((await visit(s, jar)).status).toBe(303);
    const other = await visit(s, jar, "/articles/other");
    expect(other.status).toBe(402);
    await other.body?.cancel();
    expect(jar.cookies.has(TOKEN)).toBe(true);
    expect((await visit(s, jar)).status).toBe(200);
  });
});

