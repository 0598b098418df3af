import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startSimulator, type Simulator } from "../../dev/lnd-sim/server.ts";
import { l402Paywall, memoryPorts, PaywallConfigError, type L402Variables, type PaywallOptions } from "../../src/index.ts";
import { parseChallenge } from "../../src/l402/index.ts";
import { lndRestBackend, type InvoiceBackend } from "../../src/lightning/index.ts";
import type { ServiceDefinition } from "../../src/config/index.ts";
import { BASE, invoiceOf, Jar, keyring, PAGE, payOnPhone as payWith, PENDING, poll, SAME_ORIGIN, shop as shopOn, TOKEN, visit, type Shop } from "./support/browser-shop.ts";

/**
 * Browser payments through l402Paywall() (paywall/browser/), without a browser:
 * the page's requests made by hand, cookies kept by a small jar, the LND
 * simulator as the node. test/browser/payment-page.test.ts drives a real Chromium.
 */
let sim: Simulator;
let node: InvoiceBackend;

beforeAll(async () => {
  sim = await startSimulator();
  node = lndRestBackend({ url: sim.url, macaroonHex: sim.paywallMacaroonHex, network: "regtest", timeoutMs: 2000 });
});
afterAll(() => sim.close());

const shop = (service: Partial<ServiceDefinition> = {}, options: Partial<PaywallOptions> = {}): Shop => shopOn(node, service, options);
const payOnPhone = (invoice: string) => payWith(sim, invoice);

describe("the 402 page of a browser-payments service", () => {
  it("is interactive and remembers its challenge in an HttpOnly, SameSite=Lax cookie scoped to the service (a page reached from another site finds it)", async () => {
    const s = shop();
    const jar = new Jar();
    const page = await visit(s, jar);
    expect(page.status).toBe(402);
    const html = await page.text();
    expect(html).toContain('data-mode="invoice"');
    expect(html).toMatch(/data-macaroon="[A-Za-z0-9+/=]+"/);
    const pending = jar.cookies.get(PENDING);
    expect(pending?.attributes).toMatch(/^Max-Age=(7[0-2]\d); Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    // The invoice in the page is the one the header names.
    const challenge = parseChallenge(page.headers.get("www-authenticate") ?? "");
    expect(challenge.ok && challenge.value.invoice).toBe(invoiceOf(html));
  });

  it("reloaded unpaid, shows the same invoice without minting another", async () => {
    const s = shop();
    const jar = new Jar();
    const first = invoiceOf(await (await visit(s, jar)).text());
    const again = invoiceOf(await (await visit(s, jar)).text());
    expect(again).toBe(first);
    // Another browser (no cookie; elsewhere, so not bounded with this one: test/node/page-challenge.test.ts) gets its own: page challenges are never shared.
    expect(invoiceOf(await (await visit(s, new Jar(), "/articles/lightning", { "CF-Connecting-IP": "203.0.113.9" })).text())).not.toBe(first);
  });

  it("after a deploy that changed the service's terms, a pending invoice whose token was minted on the old ones is not shown again", async () => {
    // Each change on its own, from a page shown on the first terms (shop() sells for an hour).
    for (const changed of [{ timeout: 60 }, { timeout: 86_400 }, { uses: 3 }, { capabilities: ["read"] }]) {
      const jar = new Jar();
      const first = invoiceOf(await (await visit(shop({ capabilities: ["read", "write"] }), jar)).text());
      // Another instance on the same terms (its capabilities listed in another order, one twice) shows it again.
      expect(invoiceOf(await (await visit(shop({ capabilities: ["write", "read", "read"] }), jar)).text())).toBe(first);
      const fresh = invoiceOf(await (await visit(shop({ capabilities: ["read", "write"], ...changed }), jar)).text());
      expect(fresh, JSON.stringify(changed)).not.toBe(first);
      // Shown again while the terms stay.
      expect(invoiceOf(await (await visit(shop({ capabilities: ["read", "write"], ...changed }), jar)).text())).toBe(fresh);
    }
  });

  it("the fiatRate option adds an estimate of the price, said to be one; a rate that is not one is refused when the middleware is made", async () => {
    const s = shop({ title: "Lightning articles" }, { fiatRate: { currency: "EUR", perBitcoin: 88_000 } });
    const html = await (await visit(s, new Jar())).text();
    expect(html).toContain('<p class="fiat">About €0.0026 (at €88,000 per bitcoin)</p>');
    expect(html).toContain(`<h1 dir="auto">Lightning articles</h1>`);
    expect(html).toContain('<p class="payee">Paid to <strong>shop.example</strong></p>');
    for (const fiatRate of [{ currency: "eur", perBitcoin: 1 }, { currency: "EUR", perBitcoin: 0 }, { currency: "EUR", perBitcoin: Number.NaN }, { currency: "EURO", perBitcoin: 1 }]) {
      expect(() => shop({}, { fiatRate })).toThrow('fiatRate: must be { currency: an ISO 4217 code such as "USD", perBitcoin: what one bitcoin costs in it, a positive number }');
    }
  });

  it("plain http to this machine: unprefixed names without Secure (development); anywhere else: __Host- names, Secure; Path=/ and no Domain either way", async () => {
    const s = shop();
    const cases = [
      ["http://localhost:8787", "l402-pending-articles", false],
      ["http://127.0.0.1:8787", "l402-pending-articles", false],
      ["http://[::1]:8787", "l402-pending-articles", false],
      ["http://shop.example", PENDING, true],
      ["https://shop.example", PENDING, true],
    ] as const;
    for (const [index, [base, name, secure]] of cases.entries()) {
      const response = await s.app.request(`${base}/articles/x`, { headers: { ...PAGE, "CF-Connecting-IP": `203.0.113.${index}` } });
      const lines = response.headers.getSetCookie();
      expect(lines, base).toHaveLength(1);
      expect(lines[0]?.startsWith(`${name}=`), base).toBe(true);
      expect(lines[0]?.includes("; Secure"), base).toBe(secure);
      expect(lines[0], base).toContain("; Path=/;");
      expect(lines[0]?.toLowerCase(), base).not.toContain("domain=");
    }
  });
});

describe("paying from another device (poll)", () => {
  it("pending, then paid: the credential cookie, and the content on reload", async () => {
    const s = shop();
    const jar = new Jar();
    const started = Math.floor(Date.now() / 1000);
    const invoice = invoiceOf(await (await visit(s, jar)).text());
    const waiting = await poll(s, jar);
    expect(waiting.status).toBe(202);
    expect(await waiting.json()).toMatchObject({ status: "pending" });
    expect(jar.cookies.has(TOKEN)).toBe(false);

    await payOnPhone(invoice);
    const paid = await poll(s, jar);
    const answered = Math.ceil(Date.now() / 1000);
    expect(paid.status).toBe(200);
    expect(await paid.json()).toEqual({ status: "paid" });
    const credential = jar.cookies.get(TOKEN);
    expect(credential?.attributes).toMatch(/^Max-Age=\d+; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    // As long as the token: its 3600 s timeout run from the challenge, seen between these two clocks.
    const maxAge = Number(/Max-Age=(\d+)/.exec(credential?.attributes ?? "")?.[1]);
    expect(maxAge).toBeGreaterThanOrEqual(started + 3600 - answered);
    expect(maxAge).toBeLessThanOrEqual(3600);
    expect(decodeURIComponent(credential?.value ?? "")).toMatch(/^[A-Za-z0-9_-]+:[0-9a-f]{64}$/);
    expect(jar.cookies.has(PENDING)).toBe(false);

    const content = await visit(s, jar);
    expect(content.status).toBe(200);
    expect(await content.text()).toMatch(/^paid content for /);
    expect(s.reached).toEqual(["GET /articles/lightning"]);
  });

  it("without script: reloading after paying redirects to the same URL with the credential cookie", async () => {
    const s = shop();
    const jar = new Jar();
    await payOnPhone(invoiceOf(await (await visit(s, jar, "/articles/x?page=2")).text()));
    const reload = await visit(s, jar, "/articles/x?page=2");
    expect(reload.status).toBe(303);
    expect(reload.headers.get("location")).toBe("/articles/x?page=2");
    expect(jar.cookies.has(TOKEN)).toBe(true);
    expect(s.reached).toEqual([]);
    expect((await visit(s, jar, "/articles/x?page=2")).status).toBe(200);
  });

  it("nothing but the browser shown the challenge can collect it", async () => {
    const s = shop();
    const victim = new Jar();
    const page = await visit(s, victim);
    const invoice = invoiceOf(await page.text());
    const macaroon = /data-macaroon="([^"]+)"/.exec(await (await visit(s, victim)).text())?.[1] ?? "";
    await payOnPhone(invoice);

    // Another browser polling: no pending cookie, nothing.
    const stranger = new Jar();
    const nothing = await poll(s, stranger);
    expect(nothing.status).toBe(400);
    expect(await nothing.json()).toMatchObject({ status: "no_challenge" });
    // A pending cookie built from the macaroon (the page and the header show it) but not sealed by the paywall.
    const pending = victim.cookies.get(PENDING)?.value ?? "";
    const [expires, , inv] = decodeURIComponent(pending).split(".");
    const forged = `${expires}.${macaroon.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")}.${inv}.${"A".repeat(43)}`;
    stranger.cookies.set(PENDING, { value: encodeURIComponent(forged), attributes: "" });
    expect(await (await poll(s, stranger)).json()).toMatchObject({ status: "no_challenge" });
    // The victim's real pending cookie, presented for another service.
    const other = new Jar();
    other.cookies.set("__Host-l402-pending-news", { value: pending, attributes: "" });
    const news = shop({ name: "news" });
    expect(await (await poll(news, other)).json()).toMatchObject({ status: "no_challenge" });
    expect([...stranger.cookies.keys(), ...other.cookies.keys()].some((name) => name.includes("l402-token-"))).toBe(false);
    // Another site's script polling with the victim's cookies.
    const crossSite = await poll(s, victim, "/articles/lightning", { "Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "cors" });
    expect(crossSite.status).toBe(403);
    expect(victim.cookies.has(TOKEN)).toBe(false);
    // The victim still can.
    expect(await (await poll(s, victim)).json()).toEqual({ status: "paid" });
  });

  it("an expired invoice: the poll says so and forgets it, and the next page has a fresh invoice", async () => {
    const s = shop();
    const jar = new Jar();
    const first = invoiceOf(await (await visit(s, jar)).text());
    // The node's clock jumps past the invoice's expiry (its watcher cancels it) and back: fresh invoices are stamped right again.
    for (const advanceSeconds of [601, -601]) await fetch(`${sim.url}/_sim/clock`, { method: "POST", body: JSON.stringify({ advanceSeconds }) });
    expect(await (await poll(s, jar)).json()).toEqual({ status: "expired" });
    expect(jar.cookies.has(PENDING)).toBe(false);
    const fresh = invoiceOf(await (await visit(s, jar)).text());
    expect(fresh).not.toBe(first);
  });

  it("a pending cookie sent again past its life (its invoice's expiry and the grace) is expired at once: the node is not asked", async () => {
    const s = shop();
    const jar = new Jar();
    await (await visit(s, jar)).body?.cancel();
    const sealed = jar.cookies.get(PENDING);
    if (sealed === undefined) throw new Error("no pending cookie");
    const [expires] = decodeURIComponent(sealed.value).split(".");
    const asked = s.lookups();
    vi.useFakeTimers({ toFake: ["Date"], now: (Number(expires) + 119) * 1000 });
    try {
      // Within the grace the node is still asked (a payment made in the last seconds is collected)...
      expect(await (await poll(s, jar)).json()).toEqual({ status: "expired" });
      expect(s.lookups()).toBe(asked + 1);
      // ...past it, the same cookie sent again is not asked about.
      jar.cookies.set(PENDING, sealed);
      vi.setSystemTime((Number(expires) + 120) * 1000);
      expect(await (await poll(s, jar)).json()).toEqual({ status: "expired" });
      expect(s.lookups()).toBe(asked + 1);
    } finally {
      vi.useRealTimers();
    }
  });

  it("another tab: a page whose challenge is not this browser's current one is told the current one; a tab of a paid browser is told it is paid", async () => {
    const s = shop();
    const jar = new Jar();
    await visit(s, jar);
    const current = ((await (await poll(s, jar)).json()) as { payment_hash: string }).payment_hash;
    expect(current).toMatch(/^[0-9a-f]{64}$/);
    // The page a newer visit shows names the same challenge (the pending cookie is reused), so its poll agrees.
    const html = await (await visit(s, jar)).text();
    expect(html).toContain(`data-payment-hash="${current}"`);

    await payOnPhone(invoiceOf(html));
    expect(await (await poll(s, jar)).json()).toEqual({ status: "paid" });
    expect(jar.cookies.has(PENDING)).toBe(false);
    // The other tab polls next: no pending challenge any more, but the credential: paid.
    const otherTab = await poll(s, jar);
    expect(otherTab.status).toBe(200);
    // Paid earlier, not by this tab's own poll: the page decides whether to go on by itself (page-script.ts).
    expect(await otherTab.json()).toEqual({ status: "paid", elsewhere: true });
  });

  it("a request-priced service: a tab of a dearer page, its cookie from a cheaper one, polls its own invoice, not 'paid elsewhere' (it would reload into the same 402)", async () => {
    const s = shop({ price_rules: [{ query: { size: "large" }, price_sats: 10 }] });
    const jar = new Jar();
    await payOnPhone(invoiceOf(await (await visit(s, jar, "/articles/x")).text()));
    expect(await (await poll(s, jar, "/articles/x")).json()).toEqual({ status: "paid" });
    // The dearer page shows an invoice of its own: the cookie paid for cheaper ones.
    const dear = await visit(s, jar, "/articles/x?size=large");
    expect(dear.status).toBe(402);
    const polled = await poll(s, jar, "/articles/x?size=large");
    expect(polled.status).toBe(202);
    expect(await polled.json()).toMatchObject({ status: "pending" });
    // The cheaper page's tab is still paid for.
    expect(await (await poll(s, jar, "/articles/x")).json()).toEqual({ status: "paid", elsewhere: true });
  });

  it("the node is asked at most once a second per invoice, however many poll", async () => {
    let lookups = 0;
    const backend: InvoiceBackend = { ...node, lookupInvoice: (hash) => (lookups++, node.lookupInvoice(hash)) };
    const app = new Hono<{ Variables: L402Variables }>();
    app.use("/articles/*", l402Paywall({ service: { name: "articles", price_sats: 3, browser: true }, keyring, backend, ports: memoryPorts() }));
    const s: Shop = { app, lookups: () => lookups, invoices: () => 0, reached: [] };
    const jar = new Jar();
    await visit(s, jar);
    const answers = await Promise.all(Array.from({ length: 40 }, () => poll(s, jar)));
    expect(answers.every((answer) => answer.status === 202)).toBe(true);
    expect(lookups).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 1050));
    await Promise.all(Array.from({ length: 40 }, () => poll(s, jar)));
    expect(lookups).toBe(2);
  });
});

describe("paying with a browser wallet (complete)", () => {
  async function walletPays(s: Shop, jar: Jar): Promise<string> {
    const page = await visit(s, jar);
    const html = await page.text();
    const paid = await payOnPhone(invoiceOf(html));
    return `L402 ${/data-macaroon="([^"]+)"/.exec(html)?.[1]}:${paid.preimageHex}`;
  }
  const complete = async (s: Shop, jar: Jar, authorization: string, headers: Record<string, string> = SAME_ORIGIN) =>
    jar.take(await s.app.request(`${BASE}/articles/lightning`, { headers: { "X-L402-Browser": "complete", Authorization: authorization, ...headers, ...jar.header } }));

  it("the credential the page sends becomes the credential cookie; the content follows", async () => {
    const s = shop();
    const jar = new Jar();
    const answer = await complete(s, jar, await walletPays(s, jar));
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ status: "paid" });
    expect(jar.cookies.get(TOKEN)?.attributes).toContain("SameSite=Lax");
    expect(jar.cookies.has(PENDING)).toBe(false);
    expect((await visit(s, jar)).status).toBe(200);
  });

  it("a wrong preimage, a credential for another service, or another origin: refused, no cookie", async () => {
    const s = shop();
    const jar = new Jar();
    const authorization = await walletPays(s, jar);
    const wrong = await complete(s, jar, authorization.replace(/:[0-9a-f]{64}$/, `:${"0".repeat(64)}`));
    expect(wrong.status).toBe(403);
    expect(await wrong.json()).toMatchObject({ status: "refused", reason: "wrong_preimage" });
    const elsewhere = shop({ name: "news" });
    expect(await (await complete(elsewhere, jar, authorization)).json()).toMatchObject({ reason: "service_mismatch" });
    expect((await complete(s, jar, authorization, { Origin: "https://evil.example" })).status).toBe(403);
    expect(jar.cookies.has(TOKEN)).toBe(false);
  });
});

describe("the credential cookie", () => {
  async function paidJar(s: Shop): Promise<Jar> {
    const jar = new Jar();
    await payOnPhone(invoiceOf(await (await visit(s, jar)).text()));
    await poll(s, jar);
    expect(jar.cookies.has(TOKEN)).toBe(true);
    return jar;
  }

  it("a header credential wins over it", async () => {
    const s = shop();
    const jar = await paidJar(s);
    const header = await s.app.request(`${BASE}/articles/a`, { headers: { ...jar.header, Authorization: "L402 AgE:00" } });
    expect(header.status).toBe(402);
    expect(await header.json()).toMatchObject({ reason: "malformed" });
    // A refused header says nothing about the cookie: it stays.
    expect(header.headers.getSetCookie().some((line) => line.startsWith(`${TOKEN}=`))).toBe(false);
  });

  it("another origin: an unsafe request is refused (403), a script's read ignores it (402), a link followed uses it", async () => {
    const s = shop();
    const jar = await paidJar(s);
    const post = await s.app.request(`${BASE}/articles/a`, { method: "POST", headers: { ...jar.header, "Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "cors" } });
    expect(post.status).toBe(403);
    expect(await post.json()).toMatchObject({ reason: "cross_origin_cookie" });
    const oldBrowserPost = await s.app.request(`${BASE}/articles/a`, { method: "POST", headers: { ...jar.header, Origin: "https://blog.shop.example" } });
    expect(oldBrowserPost.status).toBe(403);
    const read = await s.app.request(`${BASE}/articles/a`, { headers: { ...jar.header, "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "cors" } });
    expect(read.status).toBe(402);
    const link = await s.app.request(`${BASE}/articles/a`, { headers: { ...jar.header, ...PAGE, "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate" } });
    expect(link.status).toBe(200);
    const samePost = await s.app.request(`${BASE}/articles/a`, { method: "POST", headers: { ...jar.header, ...SAME_ORIGIN } });
    expect(samePost.status).toBe(200);
    expect(s.reached).toEqual(["GET /articles/a", "POST /articles/a"]);
  });

  it("on a metered service, another site cannot spend a use without the visitor's click: a sibling's hidden iframe, a script re-navigating a popup", async () => {
    const s = shop({ uses: 3 });
    const jar = await paidJar(s);
    const navigation = { Accept: PAGE.Accept, "Sec-Fetch-Mode": "navigate" };
    const unclicked = [
      { ...navigation, "Sec-Fetch-Site": "same-site", "Sec-Fetch-Dest": "iframe" },
      { ...navigation, "Sec-Fetch-Site": "same-site", "Sec-Fetch-Dest": "iframe", "Sec-Fetch-User": "?1" },
      { ...navigation, "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Dest": "document" },
      { ...navigation, "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Dest": "document", "Sec-Fetch-User": "?0" },
      { ...navigation, "Sec-Fetch-Site": "cross-site" },
    ];
    // Even a link the visitor follows: another site cannot tell a person's click from its script's inside any click.
    for (const headers of [...unclicked, { ...PAGE, "Sec-Fetch-Site": "cross-site" }, { ...PAGE, "Sec-Fetch-Site": "same-site" }]) {
      const answer = await s.app.request(`${BASE}/articles/a`, { headers: { ...jar.header, ...headers } });
      // A page offering to continue, with no invoice: this browser has paid.
      expect(answer.status, JSON.stringify(headers)).toBe(200);
      expect(answer.headers.get("cache-control")).toBe("no-store");
      const page = await answer.text();
      expect(page).toContain("Already paid");
      expect(page).not.toMatch(/lnbc/);
      // The cookie stays.
      expect(answer.headers.getSetCookie()).toEqual([]);
    }
    expect(s.reached).toEqual([]);
    // The visitor's own request (the Continue link, this site's navigation) finds all three uses there.
    const own = await visit(s, jar, "/articles/a");
    expect(own.status).toBe(200);
    expect(own.headers.get("x-l402-remaining")).toBe("2");
  });

  it("a service that does not meter: a link followed from another site uses the cookie (there is nothing to spend)", async () => {
    const s = shop();
    const jar = await paidJar(s);
    const link = await s.app.request(`${BASE}/articles/b`, { headers: { ...jar.header, ...PAGE, "Sec-Fetch-Site": "cross-site" } });
    expect(link.status).toBe(200);
    expect(s.reached).toEqual(["GET /articles/b"]);
  });

  it("meters like the header, and is cleared once it can never pass again", async () => {
    const s = shop({ uses: 2 });
    const jar = await paidJar(s);
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await visit(s, jar, "/articles/a"));
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 402]);
    expect(answers[1]?.headers.get("x-l402-remaining")).toBe("0");
    expect(jar.cookies.has(TOKEN)).toBe(false);
    expect(jar.cookies.has(PENDING)).toBe(true);
  });

  it("is refused once revoked, like the header, and cleared", async () => {
    const ports = { ...memoryPorts(), lookupLimiter: { allow: async () => true } };
    const s = shop({ revocable: true }, { ports });
    const jar = await paidJar(s);
    const tokenId = /paid content for ([0-9a-f]{64})/.exec(await (await visit(s, jar)).text())?.[1] ?? "";
    await ports.revocations.revoke(tokenId, "test", 0);
    const refused = await s.app.request(`${BASE}/articles/a`, { headers: jar.header });
    expect(refused.status).toBe(402);
    expect(await refused.json()).toMatchObject({ reason: "revoked" });
    expect(jar.take(refused) && jar.cookies.has(TOKEN)).toBe(false);
  });
});

describe("services without browser payments", () => {
  it("ignore the cookie and refuse the page's requests", async () => {
    const app = new Hono<{ Variables: L402Variables }>();
    app.use("/api/*", l402Paywall({ service: { name: "api", price_sats: 1 }, keyring, backend: node, ports: memoryPorts() }));
    app.get("/api/*", (c) => c.text("paid"));
    const page = await app.request(`${BASE}/api/x`, { headers: PAGE });
    expect(page.headers.getSetCookie()).toEqual([]);
    const protocol = await app.request(`${BASE}/api/x`, { headers: { "X-L402-Browser": "poll" } });
    expect(protocol.status).toBe(400);
    expect(await protocol.json()).toMatchObject({ reason: "browser_payments_off" });
  });

  it("configuration: browser payments need a lookup limiter; cookie_path is gone, and a service naming it is told why", () => {
    const base = { keyring, backend: node };
    const problems = (options: Partial<PaywallOptions>) => {
      try {
        l402Paywall({ ...base, ...options } as PaywallOptions);
        return [];
      } catch (error) {
        return (error as PaywallConfigError).problems;
      }
    };
    expect(problems({ service: { name: "a", price_sats: 1, browser: true }, ports: {} })).toEqual(["service.browser: needs a lookupLimiter port (ports.lookupLimiter)"]);
    const gone = "service.cookie_path: is no longer a setting: the cookies are host-wide __Host- cookies named per service (__Host-l402-token-<name>, Path=/); remove it";
    expect(problems({ service: { name: "a", price_sats: 1, browser: true, cookie_path: "/a" } as never, ports: memoryPorts() })).toEqual([gone]);
    expect(problems({ service: { name: "a", price_sats: 1, cookie_path: "/" } as never, ports: memoryPorts() })).toEqual([gone]);
  });
});

