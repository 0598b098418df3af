import { describe, expect, it } from "vitest";
import { payInvoice } from "../../dev/lnd-sim/payer.ts";
import { describeMacaroon, fromBase64Lenient } from "../../src/l402/index.ts";
import { decodeMacaroon } from "../../src/macaroon/index.ts";
import { call, originHits, sim, uniquePath } from "./support/paywall-client.ts";

/**
 * Browser payments through the template Worker in workerd: the real Durable
 * Object limiting node lookups, the simulator as the node, the test origin
 * behind. test/browser/payment-page.test.ts drives the same through Chromium.
 */
const PAGE = { Accept: "text/html", "Sec-Fetch-Site": "none", "Sec-Fetch-Mode": "navigate" };
const POLL = { "X-L402-Browser": "poll", "Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "cors" };

function cookiesOf(response: Response): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const line of response.headers.getSetCookie()) {
    const pair = line.split(";")[0] ?? "";
    cookies.set(pair.slice(0, pair.indexOf("=")), line);
  }
  return cookies;
}
const valueOf = (line: string | undefined) => (line ?? "").split(";")[0] ?? "";
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
  const pending = cookiesOf(page).get("l402-pending-members");
  const invoice = /data-invoice="(ln[a-z0-9]+)"/.exec(html)?.[1] ?? "";
  return { pending, invoice };
}

describe("browser payments in the template Worker", () => {
  it("page → pending cookie → paid on another device → credential cookie → the origin's content, never before", async () => {
    const path = uniquePath("/members/post");
    const started = Math.floor(seconds());
    const { pending, invoice } = await openPage(path);
    expect(pending).toMatch(/; Path=\/members; HttpOnly; Secure; SameSite=Strict$/);

    const waiting = await call(path, { headers: { ...POLL, Cookie: valueOf(pending) } });
    expect(waiting.status).toBe(202);
    expect(await originHits(path)).toBe(0);

    await payInvoice({ url: sim().url, macaroonHex: sim().adminMacaroonHex }, invoice);
    await new Promise((resolve) => setTimeout(resolve, 1050));
    const polled = Math.floor(seconds());
    const paid = await call(path, { headers: { ...POLL, Cookie: valueOf(pending) } });
    const answered = Math.ceil(seconds());
    expect(await paid.json()).toEqual({ status: "paid" });
    const credential = cookiesOf(paid).get("l402-token-members") ?? "";
    expect(credential).toMatch(/^l402-token-members=[\w%-]+; Max-Age=\d+; Path=\/members; HttpOnly; Secure; SameSite=Lax$/);
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
  });

  it("however many poll at once, the node is asked about the invoice once a second (the LookupLimiter Durable Object)", async () => {
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
    const refused = await call(path, { method: "POST", body: "x=1", headers: { Cookie: "l402-token-members=AgE%3A00", "Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "navigate", "Content-Type": "application/x-www-form-urlencoded" } });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ reason: "cross_origin_cookie" });
    expect(await originHits(path)).toBe(0);
  });
});

/** The payment hash of an invoice the simulator issued, as LND's DecodePayReq reports it. */
async function hashOf(invoice: string): Promise<string> {
  const response = await fetch(`${sim().url}/v1/payreq/${invoice}`, { headers: { "Grpc-Metadata-macaroon": sim().adminMacaroonHex } });
  return ((await response.json()) as { payment_hash: string }).payment_hash;
}
