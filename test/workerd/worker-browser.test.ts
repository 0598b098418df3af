import { describe, expect, it } from "vitest";
import { payInvoice } from "../../dev/lnd-sim/payer.ts";
import { describeMacaroon, fromBase64Lenient } from "../../src/l402/index.ts";
import { decodeMacaroon } from "../../src/macaroon/index.ts";
import { testServices } from "../fixtures/worker-env.ts";
import { cookiesOf, invoiceIn, ownClient, PAGE, POLL, valueOf } from "./support/browser-client.ts";
import { call, callWith, invoicesWithMemo, originHits, originUrl, sim, uniquePath } from "./support/paywall-client.ts";

/**
 * Browser payments through the template Worker in workerd: the real Durable
 * Object limiting node lookups, the simulator as the node, the test origin
 * behind. test/browser/payment-page.test.ts drives the same through Chromium.
 */
/** The expiry the paywall minted into a credential cookie's token (its `<service>_valid_until` caveat). */
function validUntilOf(line: string, service: string): number {
  const [macaroon = ""] = decodeURIComponent(valueOf(line).slice(valueOf(line).indexOf("=") + 1)).split(":");
  const caveats = describeMacaroon(decodeMacaroon(fromBase64Lenient(macaroon) ?? new Uint8Array())).caveats;
  const caveat = caveats.find((c): c is string => typeof c === "string" && c.startsWith(`${service}_valid_until=`));
  return Number(caveat?.split("=")[1]);
}
const seconds = () => Date.now() / 1000;
const lookupsOf = async (paymentHash: string) => ((await (await fetch(`${sim().url}/_sim/stats?payment_hash=${paymentHash}`)).json()) as { lookups: number }).lookups;

async function openPage(path: string) {
  const page = await call(path, { headers: PAGE });
  expect(page.status).toBe(402);
  const html = await page.text();
  const pending = cookiesOf(page).get("__Host-l402-pending-members");
  const invoice = /data-invoice="(ln[a-z0-9]+)"/.exec(html)?.[1] ?? "";
  return { pending, invoice };
}

describe("browser payments in the template Worker", () => {
  it("page → pending cookie → paid on another device → credential cookie → the origin's content, never before", async () => {
    const path = uniquePath("/members/post");
    const started = Math.floor(seconds());
    const { pending, invoice } = await openPage(path);
    expect(pending).toMatch(/^__Host-l402-pending-members=[^;]+; Max-Age=\d+; Path=\/; HttpOnly; Secure; SameSite=Lax$/);

    const waiting = await call(path, { headers: { ...POLL, Cookie: valueOf(pending) } });
    expect(waiting.status).toBe(202);
    expect(await originHits(path)).toBe(0);

    await payInvoice({ url: sim().url, macaroonHex: sim().adminMacaroonHex }, invoice);
    await new Promise((resolve) => setTimeout(resolve, 1050));
    const polled = Math.floor(seconds());
    const paid = await call(path, { headers: { ...POLL, Cookie: valueOf(pending) } });
    const answered = Math.ceil(seconds());
    expect(await paid.json()).toEqual({ status: "paid" });
    const credential = cookiesOf(paid).get("__Host-l402-token-members") ?? "";
    expect(credential).toMatch(/^__Host-l402-token-members=[\w%-]+; Max-Age=\d+; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    // The token lasts the service's timeout (3600 s) from its minting; the cookie, exactly as long as the token.
    const validUntil = validUntilOf(credential, "members");
    expect(validUntil).toBeGreaterThanOrEqual(started + 3600);
    expect(validUntil).toBeLessThanOrEqual(answered + 3600);
    const maxAge = Number(/Max-Age=(\d+)/.exec(credential)?.[1]);
    expect(maxAge).toBeGreaterThanOrEqual(validUntil - answered);
    expect(maxAge).toBeLessThanOrEqual(validUntil - polled);
    expect(await originHits(path)).toBe(0);

    // The origin gets the visitor's own cookies, never the paywall's.
    const content = await call(path, { headers: { ...PAGE, Cookie: `theme=dark; ${valueOf(credential)}; lang=en` } });
    expect(content.status).toBe(200);
    const echoed = (await content.json()) as { path: string; headers: Record<string, string> };
    expect(echoed.path).toBe(path);
    expect(echoed.headers["cookie"]).toBe("theme=dark; lang=en");
    expect(await originHits(path)).toBe(1);

    // Paid by a cookie: private, whatever the origin says, and varying with the cookie, so no shared cache keeps it.
    expect(content.headers.get("cache-control")).toBe("private");
    expect(content.headers.get("vary")).toBe("Cookie");
    const cacheable = await call(`${path}?answer_header=${encodeURIComponent("Cache-Control:public, max-age=600")}&answer_header=${encodeURIComponent("Vary:Accept")}`, { headers: { ...PAGE, Cookie: valueOf(credential) } });
    expect(cacheable.headers.get("cache-control")).toBe("private, max-age=600");
    expect(cacheable.headers.get("vary")).toBe("Accept, Cookie");
    await cacheable.body?.cancel();
  });

  it("however many poll at once, the node is asked about the invoice once a second (the InvoiceLookupGate Durable Object)", async () => {
    const path = uniquePath("/members/busy");
    const { pending, invoice } = await openPage(path);
    const hash = await hashOf(invoice);
    const answers = await Promise.all(Array.from({ length: 30 }, () => call(path, { headers: { ...POLL, Cookie: valueOf(pending) } })));
    expect(answers.map((answer) => answer.status)).toEqual(Array.from({ length: 30 }, () => 202));
    await Promise.all(answers.map((answer) => answer.body?.cancel()));
    expect(await lookupsOf(hash)).toBe(1);
  });

  it("a request from another origin changing something with the cookie alone is refused, and reaches nothing", async () => {
    const path = uniquePath("/members/form");
    const refused = await call(path, { method: "POST", body: "x=1", headers: { Cookie: "__Host-l402-token-members=AgE%3A00", "Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "navigate", "Content-Type": "application/x-www-form-urlencoded" } });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ reason: "cross_origin_cookie" });
    expect(await originHits(path)).toBe(0);
  });
});

describe("page invoices, bounded as JSON clients' challenges are", () => {
  /** The challenge cache on (30 s), and a memo marking this test's invoices in the node. */
  const bounded = () => {
    const marker = `pages-${crypto.randomUUID()}`;
    return { env: { L402_CHALLENGE_CACHE_SECONDS: "30", L402_MEMO: `${marker} {service}` }, marker };
  };

  it("40 page views from a client that drops cookies: two invoices (its page invoice, and the shared challenge later answers carry)", async () => {
    const { env, marker } = bounded();
    const client = ownClient();
    const pages: string[] = [];
    for (let i = 0; i < 40; i++) {
      const page = await callWith(env, uniquePath("/members/crawled"), { headers: { ...PAGE, ...client, "User-Agent": "crawler/1.0" } });
      expect(page.status).toBe(402);
      expect(page.headers.get("www-authenticate")).toMatch(/^L402 macaroon="[^"]+", invoice="lnbcrt20n1/);
      pages.push(await page.text());
    }
    console.log(`40 cookie-less page views → ${await invoicesWithMemo(marker)} invoice(s)`);
    expect(await invoicesWithMemo(marker)).toBe(2);
    expect(pages.filter((page) => invoiceIn(page) !== "")).toHaveLength(1);
  });

  it("another browser of the client sends its probe cookie back and gets an invoice of its own", async () => {
    const { env, marker } = bounded();
    const client = { ...ownClient(), "User-Agent": "Browser/1.0" };
    const path = uniquePath("/members/office");
    const first = await callWith(env, path, { headers: { ...PAGE, ...client } });
    const firstInvoice = invoiceIn(await first.text());
    const probing = await callWith(env, path, { headers: { ...PAGE, ...client } });
    expect(await probing.text()).toContain('data-mode="probe"');
    const probe = cookiesOf(probing).get("__Host-l402-probe-members");
    expect(probe).toMatch(/^__Host-l402-probe-members=[0-9a-f]{64}\.[\w-]+; Max-Age=30; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    const own = await callWith(env, path, { headers: { ...PAGE, ...client, Cookie: valueOf(probe) } });
    const ownInvoice = invoiceIn(await own.text());
    expect(ownInvoice).toMatch(/^lnbcrt20n1/);
    expect(ownInvoice).not.toBe(firstInvoice);
    expect(cookiesOf(own).get("__Host-l402-probe-members")).toMatch(/Max-Age=0/);
    // The page invoice, the probe answer's shared challenge, and the second browser's own.
    expect(await invoicesWithMemo(marker)).toBe(3);
  });
});

describe("a page typed in another case than the service's patterns", () => {
  it.each([
    ["/Members/post?page=2", "/members/post?page=2"],
    ["/MEMBERS/Post", "/members/Post"],
    ["/Members", "/members"],
  ])("%s is sent to %s (303) before any invoice; programs are answered where they asked", async (typed, configured) => {
    const marker = `case-${crypto.randomUUID()}`;
    const env = { L402_MEMO: `${marker} {service}` };
    const page = await callWith(env, typed, { headers: PAGE });
    expect(page.status).toBe(303);
    expect(page.headers.get("location")).toBe(configured);
    expect(page.headers.getSetCookie()).toEqual([]);
    expect(await invoicesWithMemo(marker)).toBe(0);
    const program = await callWith(env, typed, { headers: { Accept: "application/json" } });
    expect(program.status).toBe(402);
    await program.body?.cancel();
  });
});

describe("who is paid, and for what", () => {
  const XSS_TITLE = "<script>alert(1)</script>";
  const XSS_DESCRIPTION = `"><img src=x onerror=alert(2)>`;
  const XSS_HOST = `a"onmouseover="alert(3)".example`;
  const withWords = (title: string, description: string) => ({
    L402_SERVICES: JSON.stringify(testServices(originUrl()).map((service) => (service.name === "members" ? { ...service, title, description } : service))),
    L402_FIAT_RATE: "USD:95000",
  });

  it("the page names the service's title and description, the host as payee, and an estimate in the operator's currency", async () => {
    const page = await callWith(withWords("Members' essays", "Long reads on Lightning, 2 sats an hour"), "https://news.example/members/essay", { headers: PAGE });
    const html = await page.text();
    expect(html).toContain('<h1 dir="auto">Members&#39; essays</h1>');
    expect(html).toContain('<p class="description" dir="auto">Long reads on Lightning, 2 sats an hour</p>');
    expect(html).toContain('<p class="payee">Paid to <strong>news.example</strong></p>');
    expect(html).toContain('<p class="fiat">About $0.0019 (at $95,000 per bitcoin)</p>');
    expect(html).toContain("<title>Payment required: Members&#39; essays (news.example)</title>");
    // Without a title the service's name heads the page; without a rate, sats only.
    const plain = await (await call(uniquePath("/members/plain"), { headers: PAGE })).text();
    expect(plain).toContain('<h1 dir="auto">members</h1>');
    expect(plain).not.toContain('class="fiat"');
  });

  it("a title, description or host carrying markup is shown as text", async () => {
    const page = await callWith(withWords(XSS_TITLE, XSS_DESCRIPTION), `https://${XSS_HOST}/members/xss`, { headers: PAGE });
    expect(page.status).toBe(402);
    const html = await page.text();
    for (const raw of [XSS_TITLE, XSS_DESCRIPTION, XSS_HOST, "<img", 'onmouseover="']) expect(html).not.toContain(raw);
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).toContain("&quot;&gt;&lt;img src=x onerror=alert(2)&gt;");
    expect(html).toContain("a&quot;onmouseover=&quot;alert(3)&quot;.example");
    expect(html.match(/<script[^>]*>/g)).toHaveLength(1);
  });
});

/** The payment hash of an invoice the simulator issued, as LND's DecodePayReq reports it. */
async function hashOf(invoice: string): Promise<string> {
  const response = await fetch(`${sim().url}/v1/payreq/${invoice}`, { headers: { "Grpc-Metadata-macaroon": sim().adminMacaroonHex } });
  return ((await response.json()) as { payment_hash: string }).payment_hash;
}
