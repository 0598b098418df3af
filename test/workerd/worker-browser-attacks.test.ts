import { describe, expect, it } from "vitest";
import { testServices } from "../fixtures/worker-env.ts";
import { cookiesOf, invoiceIn, ownClient, PAGE, payFromPhone, POLL, valueOf } from "./support/browser-client.ts";
import { isPaywallCookieName } from "../../src/paywall/index.ts";
import { call, callWith, originHits, originUrl, payChallenge, uniquePath } from "./support/paywall-client.ts";

/**
 * Browser payments under attack, through the template Worker in workerd (the
 * InvoiceLookupGate Durable Object, the meter, the simulator as the node, the test
 * origin echoing what it receives): cookies planted by a sibling host, another
 * site spending a visitor's metered cookie, and the paywall's cookies kept from
 * the origin in every spelling a client could send.
 */
const PENDING = "__Host-l402-pending-members";
const TOKEN = "__Host-l402-token-members";

/** A visit to a page: the invoice shown and the cookies set. */
async function openPage(path: string, headers: Record<string, string>, request = call) {
  const page = await request(path, { headers: { ...PAGE, ...headers } });
  expect(page.status).toBe(402);
  return { invoice: invoiceIn(await page.text()), cookies: cookiesOf(page) };
}

/** A browser that paid for `path` and holds the credential cookie (`Name=value`). */
async function paidBrowser(path: string, request = call): Promise<{ credential: string; client: Record<string, string> }> {
  const client = ownClient();
  const { invoice, cookies } = await openPage(path, client, request);
  const pending = [...cookies.entries()].find(([name]) => name.startsWith("__Host-l402-pending-"))?.[1];
  await payFromPhone(invoice);
  await new Promise((resolve) => setTimeout(resolve, 1050));
  const paid = await request(path, { headers: { ...POLL, ...client, Cookie: valueOf(pending) } });
  expect(await paid.json()).toEqual({ status: "paid" });
  const credential = [...cookiesOf(paid).entries()].find(([name]) => name.startsWith("__Host-l402-token-"))?.[1];
  expect(credential).toBeDefined();
  return { credential: valueOf(credential), client };
}

describe("cookie tossing: cookies a sibling host planted for the whole site", () => {
  it.each(["l402-pending-members", "__host-l402-pending-members", "__Secure-l402-pending-members", "__HOST-L402-PENDING-MEMBERS"])(
    "the attacker's pending cookie planted as %s: the victim is shown its own invoice, and the attacker collects nothing the victim pays",
    async (planted) => {
      const path = uniquePath("/members/tossed");
      const attacker = ownClient();
      const theirs = await openPage(path, attacker);
      const attackersPending = valueOf(theirs.cookies.get(PENDING)).slice(PENDING.length + 1);
      expect(attackersPending).not.toBe("");

      const victim = ownClient();
      const shown = await openPage(path, { ...victim, Cookie: `${planted}=${attackersPending}` });
      expect(shown.invoice).toMatch(/^lnbcrt20n1/);
      expect(shown.invoice).not.toBe(theirs.invoice);
      const victimsPending = valueOf(shown.cookies.get(PENDING));
      expect(victimsPending.slice(PENDING.length + 1)).not.toBe(attackersPending);
      // The planted cookie alone names no challenge of the victim's.
      const plantedPoll = await call(path, { headers: { ...POLL, ...victim, Cookie: `${planted}=${attackersPending}` } });
      expect(await plantedPoll.json()).toMatchObject({ status: "no_challenge" });

      await payFromPhone(shown.invoice);
      await new Promise((resolve) => setTimeout(resolve, 1050));
      const attackersPoll = await call(path, { headers: { ...POLL, ...attacker, Cookie: `${PENDING}=${attackersPending}` } });
      expect(attackersPoll.status).toBe(202);
      expect(cookiesOf(attackersPoll).has(TOKEN)).toBe(false);
      const victimsPoll = await call(path, { headers: { ...POLL, ...victim, Cookie: victimsPending } });
      expect(await victimsPoll.json()).toEqual({ status: "paid" });
      expect(await originHits(path)).toBe(0);
    },
  );

  it.each(["l402-token-members", "__host-l402-token-members", "__Secure-l402-token-members", " __Host-l402-token-membersx"])("the attacker's paid credential planted as %s is not read: 402, nothing forwarded", async (planted) => {
    const path = uniquePath("/members/planted");
    const { credential } = await paidBrowser(path);
    const value = credential.slice(TOKEN.length + 1);
    const own = await call(path, { headers: { ...PAGE, Cookie: credential } });
    expect(own.status).toBe(200);
    const answer = await call(path, { headers: { "Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "cors", Cookie: `${planted}=${value}` } });
    expect(answer.status).toBe(402);
    expect(await originHits(path)).toBe(1);
  });
});

describe("the paywall's cookies never reach the origin", () => {
  const SPELLINGS = [
    "__Host-l402-token-members=secret1",
    "__Host-l402-pending-members=secret2",
    "__Host-l402-probe-members=secret3",
    "l402-token-members=secret4",
    "__host-l402-token-members=secret5",
    "__HOST-L402-TOKEN-MEMBERS=secret6",
    "__Secure-l402-pending-members=secret7",
    "%5F%5FHost-l402-token-members=secret8",
    "l402%2Dtoken-members=secret9",
    " __Host-l402-token-api =secret10",
    "L402-Probe-other=secret11",
    // The dashboard's session: whoever reads the origin's requests could sign in with it.
    "__Host-l402-dashboard=secret12",
    "l402-dashboard=secret13",
  ];

  it("in any spelling, joined any way, on a free path: the visitor's own cookies pass as they came", async () => {
    const path = uniquePath("/public/cookies");
    for (const separator of ["; ", ";", ", "]) {
      const cookie = ["theme=dark", ...SPELLINGS.slice(0, 6), "lang=en", ...SPELLINGS.slice(6), 'q="a b"'].join(separator);
      const response = await call(path, { headers: { Cookie: cookie } });
      const echoed = (await response.json()) as { headers: Record<string, string> };
      expect(echoed.headers["cookie"], separator).toBe(["theme=dark", "lang=en", 'q="a b"'].join(separator));
      expect(echoed.headers["cookie"]).not.toMatch(/secret/);
    }
    // Only the paywall's cookies: no Cookie header at all.
    const only = (await (await call(path, { headers: { Cookie: SPELLINGS.join("; ") } })).json()) as { headers: Record<string, string> };
    expect(only.headers["cookie"]).toBeUndefined();
  });

  it("on a paid request made with the credential cookie", async () => {
    const path = uniquePath("/members/forwarded");
    const { credential } = await paidBrowser(path);
    const response = await call(path, { headers: { ...PAGE, Cookie: ["a=1", credential, ...SPELLINGS, "b=2"].join("; ") } });
    expect(response.status).toBe(200);
    const echoed = (await response.json()) as { headers: Record<string, string> };
    expect(echoed.headers["cookie"]).toBe("a=1; b=2");
  });
});

/**
 * Review of issue 18 (item 2): `__Host-` means only this host sets the cookie,
 * and the origin's answers come from this host too. An origin that lets a
 * visitor choose a response header (a redirect's Set-Cookie, a tenant's page
 * on a shared origin) plants a pending cookie as the sibling host could.
 */
describe("the paywall's cookies are set by the paywall alone", () => {
  it.each(["/public/planted", "/members/planted"])("an origin's Set-Cookie naming a paywall cookie does not reach the browser (%s)", async (prefix) => {
    const planted = "__Host-l402-pending-members=attackers-sealed-challenge; Path=/; Secure; HttpOnly; SameSite=Strict";
    const path = `${uniquePath(prefix)}?answer_header=${encodeURIComponent(`Set-Cookie:${planted}`)}&answer_header=${encodeURIComponent("Set-Cookie:theme=dark; Path=/")}`;
    const headers = prefix.startsWith("/members") ? { Authorization: (await payChallenge(await call(uniquePath("/members/planted")))).authorization } : undefined;
    const response = await call(path, headers === undefined ? {} : { headers });
    expect(response.status).toBe(200);
    await response.body?.cancel();
    const names = response.headers.getSetCookie().map((cookie) => cookie.split("=")[0]);
    expect(names).toContain("theme");
    expect(names.filter((name) => isPaywallCookieName(name ?? ""))).toEqual([]);
  });
});

describe("another site and a visitor's metered cookie", () => {
  const COMICS = () => ({
    L402_SERVICES: JSON.stringify([...testServices(originUrl()), { name: "comics", match: ["/comics/*"], price_sats: 2, uses: 3, timeout: 3600, browser: true, origin: { url: originUrl() } }]),
  });
  const comics = (path: string, init?: RequestInit) => callWith(COMICS(), path, init);

  it("another site spends nothing, by any navigation, frame, embed or click of the visitor's; this site's own request does", async () => {
    const path = uniquePath("/comics/strip");
    const { credential, client } = await paidBrowser(path, comics);
    const navigation = { Accept: "text/html", "Sec-Fetch-Mode": "navigate", ...client, Cookie: credential };
    const elsewhere = [
      { "Sec-Fetch-Site": "same-site", "Sec-Fetch-Dest": "iframe" },
      { "Sec-Fetch-Site": "same-site", "Sec-Fetch-Dest": "iframe", "Sec-Fetch-User": "?1" },
      { "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Dest": "document" },
      { "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Dest": "document", "Sec-Fetch-User": "?0" },
      { "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Dest": "embed", "Sec-Fetch-User": "?1" },
      { "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "image" },
      // A link followed, or a script navigating inside any click on the other site: the browser sends the same.
      { "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Dest": "document", "Sec-Fetch-User": "?1" },
      { "Sec-Fetch-Site": "same-site", "Sec-Fetch-Dest": "document", "Sec-Fetch-User": "?1" },
    ];
    for (const headers of elsewhere) {
      const answer = await comics(path, { headers: { ...navigation, ...headers } });
      // A page offering to continue (never framed: frame-ancestors 'none'), which spends nothing.
      expect(answer.status, JSON.stringify(headers)).toBe(200);
      expect(answer.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
      expect(await answer.text()).toContain("Already paid");
    }
    expect(await originHits(path)).toBe(0);
    const own = await comics(path, { headers: { ...PAGE, ...client, Cookie: credential } });
    expect(own.status).toBe(200);
    expect(own.headers.get("x-l402-remaining")).toBe("2");
    expect(await originHits(path)).toBe(1);
  });
});
