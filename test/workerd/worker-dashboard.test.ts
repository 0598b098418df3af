import { env } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { SESSION_SECONDS, sessions } from "../../src/admin/dashboard/session.ts";
import { toHex } from "../../src/l402/index.ts";
import { decodeMacaroon } from "../../src/macaroon/index.ts";
import { ADMIN_TOKEN, ORIGIN_API_KEY, ORIGIN_SECRET, TEST_MASTER_KEY } from "../fixtures/worker-env.ts";
import { BASE, buyToken, callWith, callWithEnv, clearOfWindowEdge, originUrl, payChallenge, sim, uniquePath } from "./support/paywall-client.ts";

/**
 * The operator's dashboard through the Worker in workerd: sign-in for a
 * session cookie, what a session sees, and what a request without one, or
 * from another site, gets (never data, never an action).
 */
const DASHBOARD = "/.well-known/l402/admin/dashboard";
const tokenIdOf = (macaroon: Uint8Array) => toHex(decodeMacaroon(macaroon).identifier.slice(34));
/** A form posted from the dashboard's own page. */
const SAME_ORIGIN = { Origin: BASE, "Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Mode": "navigate" };

/** Every dashboard answer a test saw, for the check that none carries a secret. */
const seen: Response[] = [];
/** As a browser asks: a navigation (a page opened, a form posted), unless the test says otherwise. */
async function dashboard(path: string, init: RequestInit = {}, overrides: Record<string, string> = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (!headers.has("sec-fetch-mode")) headers.set("Sec-Fetch-Mode", "navigate");
  const response = await callWith(overrides, `${DASHBOARD}${path}`, { redirect: "manual", ...init, headers });
  seen.push(response.clone());
  return response;
}
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

async function signIn(token = ADMIN_TOKEN, headers: Record<string, string> = {}): Promise<Response> {
  return dashboard("/sign-in", { method: "POST", headers: { ...SAME_ORIGIN, ...headers }, body: form({ token }) });
}
/** A signed-in session: its cookie, and the CSRF token its page's forms carry. */
async function session(): Promise<{ cookie: string; csrf: string; page: string }> {
  const signedIn = await signIn();
  const cookie = (signedIn.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
  const page = await (await dashboard("", { headers: { Cookie: cookie } })).text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1] ?? "";
  return { cookie, csrf, page };
}
const revoke = (id: string, headers: Record<string, string>, fields: Record<string, string>) =>
  dashboard(`/tokens/${id}/revoke`, { method: "POST", headers: { ...SAME_ORIGIN, ...headers }, body: form(fields) });

describe("the dashboard's sign-in", () => {
  it("without a session: the dashboard redirects to the sign-in form, which shows no data", async () => {
    const token = await buyToken(uniquePath("/vault/unseen"));
    await callWith({}, "/vault/unseen", { headers: { Authorization: token.authorization } });
    const dashboardPage = await dashboard("");
    expect(dashboardPage.status).toBe(303);
    expect(dashboardPage.headers.get("location")).toBe(`${DASHBOARD}/sign-in`);
    const signInPage = await dashboard("/sign-in");
    expect(signInPage.status).toBe(200);
    const text = await signInPage.text();
    expect(text).toContain('<input id="token" name="token" type="password"');
    expect(text).not.toContain(tokenIdOf(token.macaroon).slice(8, 24));
    expect(text).not.toContain("vault");
  });

  it("the admin token opens a session: a __Host- cookie, HttpOnly, Secure, SameSite=Strict, 12 h, holding no admin token", async () => {
    const response = await signIn();
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe(DASHBOARD);
    const cookie = response.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/^__Host-l402-dashboard=\d+\.[\w-]{22}\.[\w-]{43}; Max-Age=43200; Path=\/; HttpOnly; Secure; SameSite=Strict$/);
    expect(cookie).not.toContain(ADMIN_TOKEN);
    const page = await dashboard("", { headers: { Cookie: cookie.split(";")[0] ?? "" } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("Revenue per service per day");
  });

  it("a wrong admin token: 401, the form again, no cookie", async () => {
    for (const wrong of ["nope", `${ADMIN_TOKEN}x`, ADMIN_TOKEN.slice(0, -1), ""]) {
      const response = await signIn(wrong);
      expect(response.status, wrong).toBe(401);
      expect(response.headers.get("set-cookie"), wrong).toBeNull();
      expect(await response.text(), wrong).toContain("That is not the admin token.");
    }
  });

  it("a form longer than any of the dashboard's is read no further (sign-in takes posts from anyone): no session, whatever it holds", async () => {
    const response = await dashboard("/sign-in", { method: "POST", headers: SAME_ORIGIN, body: form({ token: ADMIN_TOKEN, padding: "x".repeat(9000) }) });
    expect(response.status).toBe(401);
    expect(response.headers.get("set-cookie")).toBeNull();
    // The same form, short: signed in.
    expect((await signIn()).headers.get("set-cookie")).toMatch(/^__Host-l402-dashboard=/);
  });

  it("a cookie not signed under this admin token, tampered, or expired is no session", async () => {
    const now = Math.floor(Date.now() / 1000);
    const { cookie } = await session();
    const value = cookie.split("=")[1] ?? "";
    const forged = [
      sessions("another-admin-token-0123456789abcdef-xyz").open(now),
      `${Number(value.split(".")[0]) + 3600}.${value.split(".").slice(1).join(".")}`,
      sessions(ADMIN_TOKEN).open(now - SESSION_SECONDS - 1),
      ADMIN_TOKEN,
    ];
    for (const candidate of forged) {
      const response = await dashboard("", { headers: { Cookie: `__Host-l402-dashboard=${candidate}` } });
      expect(response.status, candidate).toBe(303);
      expect(response.headers.get("location")).toBe(`${DASHBOARD}/sign-in`);
    }
    // The admin token elsewhere is no session either: rotating it ends every session.
    const rotated = await dashboard("", { headers: { Cookie: cookie } }, { L402_ADMIN_TOKEN: "a-rotated-admin-token-0123456789abcdef" });
    expect(rotated.status).toBe(303);
  });

  it("sign-in attempts are limited per client (an IPv6 /64 is one)", { timeout: 30_000 }, async () => {
    // The limiter counts in fixed 60 s windows: start well inside one, so the seven attempts share it.
    await clearOfWindowEdge(60);
    const tight = { ...env, L402_MINT_LIMITER: env.TIGHT_MINT_LIMITER };
    const network = `2001:db8:${crypto.randomUUID().slice(0, 4)}:${crypto.randomUUID().slice(0, 4)}`;
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      const response = await callWithEnv(tight, `${DASHBOARD}/sign-in`, { method: "POST", redirect: "manual", headers: { ...SAME_ORIGIN, "CF-Connecting-IP": `${network}::${i + 1}` }, body: form({ token: i === 6 ? ADMIN_TOKEN : "guess" }) });
      statuses.push(response.status);
    }
    // Even the right token, once the limit is reached.
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
  });

  it("signing out clears the cookie; the action needs the session's CSRF token", async () => {
    const { cookie, csrf } = await session();
    expect((await dashboard("/sign-out", { method: "POST", headers: { ...SAME_ORIGIN, Cookie: cookie }, body: form({}) })).status).toBe(403);
    const out = await dashboard("/sign-out", { method: "POST", headers: { ...SAME_ORIGIN, Cookie: cookie }, body: form({ csrf }) });
    expect(out.status).toBe(303);
    expect(out.headers.get("set-cookie")).toMatch(/^__Host-l402-dashboard=; Max-Age=0; Path=\/; Secure/);
  });
});

describe("the dashboard, fetched by a script", () => {
  it("a browser's request other than a navigation (or one not saying) is refused (403), session or not: a script on this host cannot read a page's CSRF token; the style sheet loads", async () => {
    const { cookie } = await session();
    for (const mode of ["cors", "same-origin", "no-cors"]) {
      const fetched = await dashboard("", { headers: { Cookie: cookie, "Sec-Fetch-Mode": mode, "Sec-Fetch-Dest": "empty", "Sec-Fetch-Site": "same-origin" } });
      expect([mode, fetched.status]).toEqual([mode, 403]);
      expect(await fetched.text()).not.toContain('name="csrf"');
    }
    // A browser that does not say (too old to send Sec-Fetch-Mode) cannot tell a script's fetch from a page: refused too, saying why.
    const unsaid = await callWith({}, DASHBOARD, { headers: { Cookie: cookie } });
    expect([unsaid.status, await unsaid.text()]).toEqual([403, expect.stringContaining("Sec-Fetch-Mode: navigate")]);
    const opened = await dashboard("", { headers: { Cookie: cookie, "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document", "Sec-Fetch-Site": "none" } });
    expect([opened.status, (await opened.text()).includes('name="csrf"')]).toEqual([200, true]);
    const style = await dashboard("/style.css", { headers: { "Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "style" } });
    expect([style.status, style.headers.get("content-type")]).toEqual([200, "text/css; charset=utf-8"]);
  });
});

describe("the dashboard, signed in", () => {
  it("shows a payment made through the Worker, with what the token has left; headers: CSP, no-store, no framing", async () => {
    const metered = await buyToken(uniquePath("/metered/seen"));
    for (let i = 0; i < 2; i++) expect((await callWith({}, "/metered/seen", { headers: { Authorization: metered.authorization } })).status).toBe(200);
    const id = tokenIdOf(metered.macaroon);
    const { cookie } = await session();
    const response = await dashboard("", { headers: { Cookie: cookie } });
    const page = await response.text();
    expect(page).toMatch(new RegExp(`<tr data-token="${id}"><td><code title="${id}">${id.slice(0, 16)}…</code></td><td>metered</td><td class="n">3 sats</td><td>[^<]+</td><td>\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d</td><td>1 of 3 uses</td>`));
    expect(response.headers.get("content-security-policy")).toBe("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(response.headers.get("x-frame-options")).toBe("DENY");
    expect(page).not.toMatch(/<script|\sstyle=|\son\w+=/i);
  });

  it("a balance token: what is left of its credit, read from its Durable Object", async () => {
    const balanceService = { L402_SERVICES: JSON.stringify([{ name: "credit", match: ["/credit/*"], price_sats: 2, balance: { amounts_sats: [10] }, timeout: 3600, origin: { url: originUrl() } }]) };
    const path = uniquePath("/credit/dash");
    const token = await payChallenge(await callWith(balanceService, path));
    expect((await callWith(balanceService, path, { headers: { Authorization: token.authorization } })).status).toBe(200);
    const signedIn = await dashboard("/sign-in", { method: "POST", headers: SAME_ORIGIN, body: form({ token: ADMIN_TOKEN }) }, balanceService);
    const cookie = (signedIn.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    const page = await (await dashboard("", { headers: { Cookie: cookie } }, balanceService)).text();
    expect(page).toMatch(new RegExp(`<tr data-token="${tokenIdOf(token.macaroon)}"><td>[^\\n]*?<td>credit</td><td class="n">10 sats</td>[^\\n]*<td>8 sats</td>\\n`));
  });

  it("a token's expiry: its mint plus its service's timeout, 'never' without one, 'expired' once past", async () => {
    const lasting = await buyToken(uniquePath("/vault/lasting"));
    expect((await callWith({}, "/vault/lasting", { headers: { Authorization: lasting.authorization } })).status).toBe(200);
    // A token of "short" (timeout 1 s) minted a minute ago and used then: written to the ledger as the Worker writes it, so no test waits on a clock.
    const now = Math.floor(Date.now() / 1000);
    const [paymentHash, expired] = [toHex(crypto.getRandomValues(new Uint8Array(32))), toHex(crypto.getRandomValues(new Uint8Array(32)))];
    const db = env.L402_LEDGER as D1Database;
    await db.batch([
      db.prepare("INSERT INTO challenges (payment_hash, token_id, service, price_msat, created_at) VALUES (?, ?, 'short', 1000, ?)").bind(paymentHash, expired, now - 60),
      db.prepare("INSERT INTO settlements (token_id, payment_hash, service, amount_msat, first_used_at) VALUES (?, ?, 'short', 1000, ?)").bind(expired, paymentHash, now - 60),
    ]);
    const { page } = await session();
    const expiresOf = (id: string) => new RegExp(`<tr data-token="${id}">(?:<td[^>]*>.*?</td>){4}<td>([^<]*)</td>`, "s").exec(page)?.[1];
    expect([expiresOf(tokenIdOf(lasting.macaroon)), expiresOf(expired)]).toEqual(["never", "expired"]);
  });

  it("revoking from the dashboard refuses the token's next request, and lists the revocation", async () => {
    const token = await buyToken(uniquePath("/vault/dash"));
    expect((await callWith({}, "/vault/dash", { headers: { Authorization: token.authorization } })).status).toBe(200);
    const id = tokenIdOf(token.macaroon);
    const { cookie, csrf } = await session();
    const done = await revoke(id, { Cookie: cookie }, { csrf, reason: "leaked in a log" });
    expect(done.status).toBe(303);
    expect(done.headers.get("location")).toBe(`${DASHBOARD}?revoked=${id}`);
    const refused = await callWith({}, "/vault/dash", { headers: { Authorization: token.authorization } });
    expect(refused.status).toBe(402);
    expect(await refused.json()).toMatchObject({ reason: "revoked" });
    const page = await (await dashboard(`?revoked=${id}`, { headers: { Cookie: cookie } })).text();
    expect(page).toContain(`Token ${id.slice(0, 16)}… revoked`);
    expect(page).toContain(`<tr data-token="${id}"><td><code title="${id}">${id.slice(0, 16)}…</code></td>`);
    expect(page).toContain('<td class="reason">leaked in a log</td>');
  });

  it("a token of a service that checks no revocations (a form the page does not offer, posted anyway): 409 saying so, nothing revoked", async () => {
    const token = await buyToken(uniquePath("/other/dash"));
    expect((await callWith({}, "/other/dash", { headers: { Authorization: token.authorization } })).status).toBe(200);
    const id = tokenIdOf(token.macaroon);
    const { cookie, csrf } = await session();
    const refused = await revoke(id, { Cookie: cookie }, { csrf, reason: "leaked" });
    expect([refused.status, await refused.text()]).toEqual([409, "conflict: other does not check revocations (set revocable = true on it): its tokens stay valid until they expire"]);
    expect(await (env.L402_LEDGER as D1Database).prepare("SELECT 1 FROM revocations WHERE token_id = ?").bind(id).first()).toBeNull();
  });

  it("a bad revocation: 400 naming the problem, nothing revoked", async () => {
    const { cookie, csrf } = await session();
    expect(await (await revoke("xyz", { Cookie: cookie }, { csrf })).text()).toBe("bad request: a token id is 64 hex characters");
    const response = await revoke("ab".repeat(32), { Cookie: cookie }, { csrf, reason: "x".repeat(201) });
    expect(response.status).toBe(400);
    expect(await response.text()).toBe("bad request: a reason is text of at most 200 characters");
    // A body that is no form: no CSRF token in it.
    const garbled = await dashboard(`/tokens/${"ab".repeat(32)}/revoke`, { method: "POST", headers: { Origin: BASE, Cookie: cookie, "Content-Type": "multipart/form-data; boundary=x" }, body: "not multipart" });
    expect(garbled.status).toBe(403);
    expect(await (env.L402_LEDGER as D1Database).prepare("SELECT 1 FROM revocations WHERE token_id = ?").bind("ab".repeat(32)).first()).toBeNull();
  });
});

describe("cross-site requests to the dashboard", () => {
  it("a revoke without the session's CSRF token, or from another site, or without a session, is refused and revokes nothing", async () => {
    const token = await buyToken(uniquePath("/vault/csrf"));
    expect((await callWith({}, "/vault/csrf", { headers: { Authorization: token.authorization } })).status).toBe(200);
    const id = tokenIdOf(token.macaroon);
    const mine = await session();
    const other = await session();
    const form = { "Content-Type": "application/x-www-form-urlencoded" };
    const cases = [
      ["no Origin, no Sec-Fetch-Site", { ...form, Cookie: mine.cookie }, { csrf: mine.csrf }, 403],
      ["another site's Origin", { ...form, Origin: "https://evil.example", Cookie: mine.cookie }, { csrf: mine.csrf }, 403],
      ["Sec-Fetch-Site cross-site", { ...form, "Sec-Fetch-Site": "cross-site", Cookie: mine.cookie }, { csrf: mine.csrf }, 403],
      ["a sibling host's Origin", { ...form, Origin: "https://blog.paywall.test", Cookie: mine.cookie }, { csrf: mine.csrf }, 403],
      ["no CSRF token", { ...SAME_ORIGIN, Cookie: mine.cookie }, {}, 403],
      ["another session's CSRF token", { ...SAME_ORIGIN, Cookie: mine.cookie }, { csrf: other.csrf }, 403],
      ["no session", { ...SAME_ORIGIN }, { csrf: mine.csrf }, 401],
    ] as const;
    for (const [name, headers, fields, status] of cases) {
      const response = await dashboard(`/tokens/${id}/revoke`, { method: "POST", headers, body: new URLSearchParams(fields).toString() });
      expect(response.status, name).toBe(status);
      expect(await response.text(), name).toMatch(/^refused: /);
    }
    expect((await callWith({}, "/vault/csrf", { headers: { Authorization: token.authorization } })).status).toBe(200);
    // Same origin with the token: done.
    expect((await revoke(id, { Cookie: mine.cookie, "Sec-Fetch-Site": "same-origin" }, { csrf: mine.csrf })).status).toBe(303);
  });

  it("a sign-in posted from another site is refused", async () => {
    const response = await signIn(ADMIN_TOKEN, { Origin: "https://evil.example" });
    expect(response.status).toBe(403);
    expect(response.headers.get("set-cookie")).toBeNull();
  });
});

/** Run-time overrides on, read again at once by each fresh env (callWith builds one per call). */
const LIVE = { L402_OVERRIDES: "on", L402_OVERRIDES_TTL: "1" };
const switchMode = (service: string, headers: Record<string, string>, fields: Record<string, string>, overrides: Record<string, string> = LIVE) =>
  dashboard(`/services/${service}/mode`, { method: "POST", headers: { ...SAME_ORIGIN, ...headers }, body: form(fields) }, overrides);
const modeOf = async (service: string): Promise<string | undefined> => {
  const listed = (await (await callWith(LIVE, "/.well-known/l402/admin/services", { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as { services: { name: string; mode: string }[] };
  return listed.services.find((candidate) => candidate.name === service)?.mode;
};

describe("a service's mode, switched from the dashboard", () => {
  afterEach(async () => {
    await (env.L402_LEDGER as D1Database).prepare("DELETE FROM service_overrides").run();
  });

  it("enforce → shadow: an unpaid request then passes; shadow → enforce: it is challenged again; the audit trail names the change", async () => {
    const { cookie, csrf } = await session();
    const page = await (await dashboard("", { headers: { Cookie: cookie } }, LIVE)).text();
    expect(page).toContain(`<tr data-service="plain"><td>plain</td><td class="mode">enforce</td><td><form method="post" action="${DASHBOARD}/services/plain/mode" class="mode"><input type="hidden" name="csrf" value="${csrf}"><input type="hidden" name="mode" value="shadow"><button type="submit">Switch to shadow</button></form></td></tr>`);
    expect((await callWith(LIVE, uniquePath("/plain"))).status).toBe(402);

    const toShadow = await switchMode("plain", { Cookie: cookie }, { csrf, mode: "shadow" });
    expect(toShadow.status).toBe(303);
    expect(toShadow.headers.get("location")).toBe(`${DASHBOARD}?switched=plain&to=shadow`);
    expect(await modeOf("plain")).toBe("shadow");
    const unpaid = await callWith(LIVE, uniquePath("/plain"));
    expect(unpaid.status).toBe(200);
    await unpaid.body?.cancel();
    const after = await (await dashboard("?switched=plain&to=shadow", { headers: { Cookie: cookie } }, LIVE)).text();
    expect(after).toContain("Service plain switched to shadow: every isolate serves it so within 1 s.");
    expect(after).toContain('<tr data-service="plain"><td>plain</td><td class="mode">shadow</td>');
    expect(after).toContain('<input type="hidden" name="mode" value="enforce"><button type="submit">Switch to enforce</button>');

    expect((await switchMode("plain", { Cookie: cookie }, { csrf, mode: "enforce" })).status).toBe(303);
    expect(await modeOf("plain")).toBe("enforce");
    expect((await callWith(LIVE, uniquePath("/plain"))).status).toBe(402);
    const audit = (await (await callWith(LIVE, "/.well-known/l402/admin/audit?limit=2", { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as { changes: { service: string; new: unknown }[] };
    expect(audit.changes.map((change) => [change.service, change.new])).toEqual([["plain", { mode: "enforce" }], ["plain", { mode: "shadow" }]]);
  });

  it("a switch without the session's CSRF token, from another site, or without a session is refused and changes nothing", async () => {
    const mine = await session();
    const other = await session();
    const plainForm = { "Content-Type": "application/x-www-form-urlencoded" };
    const cases = [
      ["no Origin, no Sec-Fetch-Site", { ...plainForm, Origin: "", Cookie: mine.cookie }, { csrf: mine.csrf, mode: "shadow" }, 403],
      ["another site's Origin", { Origin: "https://evil.example", Cookie: mine.cookie }, { csrf: mine.csrf, mode: "shadow" }, 403],
      ["Sec-Fetch-Site cross-site", { Origin: "", "Sec-Fetch-Site": "cross-site", Cookie: mine.cookie }, { csrf: mine.csrf, mode: "shadow" }, 403],
      ["no CSRF token", { Cookie: mine.cookie }, { mode: "shadow" }, 403],
      ["another session's CSRF token", { Cookie: mine.cookie }, { csrf: other.csrf, mode: "shadow" }, 403],
      ["no session", {}, { csrf: mine.csrf, mode: "shadow" }, 401],
    ] as const;
    for (const [name, headers, fields, status] of cases) {
      const withoutEmpty = Object.fromEntries(Object.entries({ ...SAME_ORIGIN, ...headers }).filter(([, value]) => value !== ""));
      const response = await dashboard("/services/plain/mode", { method: "POST", headers: withoutEmpty, body: form(fields) }, LIVE);
      expect(response.status, name).toBe(status);
      expect(await response.text(), name).toMatch(/^refused: /);
    }
    expect(await modeOf("plain")).toBe("enforce");
    expect((await (env.L402_LEDGER as D1Database).prepare("SELECT COUNT(*) AS n FROM service_overrides").first<{ n: number }>())?.n).toBe(0);
  });

  it("a paused service is not unpaused by a switch (a form from a page older than the pause): 409, still paused", async () => {
    const { cookie, csrf } = await session();
    const pause = await callWith(LIVE, "/.well-known/l402/admin/services/plain", { method: "PATCH", headers: { Authorization: `Bearer ${ADMIN_TOKEN}` }, body: JSON.stringify({ mode: "paused" }) });
    expect(pause.status).toBe(200);
    for (const mode of ["enforce", "shadow"]) {
      const response = await switchMode("plain", { Cookie: cookie }, { csrf, mode });
      expect([mode, response.status, await response.text()]).toEqual([mode, 409, "conflict: the service is paused; the admin API unpauses it (PATCH /services/{name})"]);
    }
    expect(await modeOf("plain")).toBe("paused");
  });

  it("a bad switch: 400 or 404 naming the problem, nothing changed", async () => {
    const { cookie, csrf } = await session();
    const bad: [string, Record<string, string>, number, string][] = [
      ["plain", { csrf, mode: "paused" }, 400, 'bad request: the mode a switch sets is "enforce" or "shadow"'],
      ["plain", { csrf }, 400, 'bad request: the mode a switch sets is "enforce" or "shadow"'],
      ["nope", { csrf, mode: "shadow" }, 404, "not found: no service of that name is configured (L402_SERVICES)"],
      ["bad%20name", { csrf, mode: "shadow" }, 400, "bad request: a service name is letters, digits, '.', '_' or '-' (at most 64)"],
    ];
    for (const [service, fields, status, text] of bad) {
      const response = await switchMode(service, { Cookie: cookie }, fields);
      expect([service, response.status, await response.text()]).toEqual([service, status, text]);
    }
    expect(await modeOf("plain")).toBe("enforce");
  });

  it("with run-time overrides off, the page says why there is no switch, and a switch posted anyway changes nothing (503)", async () => {
    const { cookie, csrf } = await session();
    const page = await (await dashboard("", { headers: { Cookie: cookie } })).text();
    expect(page).toContain('<tr data-service="plain"><td>plain</td><td class="mode">enforce</td></tr>');
    expect(page).toContain("L402_OVERRIDES");
    expect(page).not.toContain("/mode\"");
    const response = await switchMode("plain", { Cookie: cookie }, { csrf, mode: "shadow" }, {});
    expect(response.status).toBe(503);
    expect(await response.text()).toMatch(/^unavailable: .*L402_OVERRIDES/);
    expect((await callWith({}, uniquePath("/plain"))).status).toBe(402);
  });
});

describe("what this isolate decided, on the dashboard", () => {
  it("shadow's 'would have earned' per service, and refusals per service and reason, from the isolate's counters", async () => {
    // One env object each: one isolate's app and counters, as the dashboard of that isolate reads them.
    const shadowed = { ...env, L402_MODE: "shadow" };
    const enforcing = { ...env };
    for (const path of ["/plain/a", "/plain/b", "/api/c"]) await (await callWithEnv(shadowed, uniquePath(path))).body?.cancel();
    await (await callWithEnv(enforcing, uniquePath("/plain"), { headers: { Authorization: "L402 bm90IGEgbWFjYXJvb24=:00" } })).body?.cancel();
    await (await callWithEnv(enforcing, uniquePath("/plain"))).body?.cancel();
    const pageOf = async (isolate: object) => {
      const signedIn = await callWithEnv(isolate, `${DASHBOARD}/sign-in`, { method: "POST", redirect: "manual", headers: SAME_ORIGIN, body: form({ token: ADMIN_TOKEN }) });
      const cookie = (signedIn.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
      return (await callWithEnv(isolate, DASHBOARD, { headers: { Cookie: cookie, "Sec-Fetch-Mode": "navigate" } })).text();
    };
    const shadowPage = await pageOf(shadowed);
    expect(shadowPage).toContain('<tr data-service="plain"><td>plain</td><td class="n">2</td><td class="n">2 sats</td>');
    expect(shadowPage).toContain('<tr data-service="api"><td>api</td><td class="n">1</td><td class="n">10 sats</td>');
    expect(shadowPage).toContain("upper bound");
    const enforcePage = await pageOf(enforcing);
    expect(enforcePage).toMatch(/<tr data-service="plain" data-reason="malformed"><td>plain<\/td><td>malformed<\/td><td>challenged<\/td><td class="n">1<\/td><\/tr>/);
    expect(enforcePage).not.toContain('data-reason="missing"');
    expect(enforcePage).toContain("No service is in shadow mode here");
  });
});

describe("markup in a service's name", () => {
  it("cannot reach the page: the settings refuse such a name, and the Worker serves nothing, the dashboard included", async () => {
    const hostile = { L402_SERVICES: JSON.stringify([{ name: `<img src=x onerror="alert(1)">`, match: ["/x/*"], price_sats: 1, origin: { url: "http://127.0.0.1:9" } }]) };
    const response = await dashboard("/sign-in", {}, hostile);
    expect(response.status).toBe(500);
    expect(await response.json()).toMatchObject({ reason: "misconfigured" });
    const health = (await (await callWith(hostile, "/.well-known/l402/health")).json()) as { config: { errors: string[] } };
    expect(health.config.errors).toContain("L402_SERVICES[0].name: must be letters, digits, '.', '_' or '-' (at most 64)");
  });
});

describe("no secret in any dashboard answer", () => {
  it("neither the admin token, the master key, the node's macaroon nor the origin's secrets appear in a page or a header", async () => {
    await session();
    await dashboard("/style.css");
    await dashboard("/nothing");
    const secrets = [ADMIN_TOKEN, TEST_MASTER_KEY, sim().paywallMacaroonHex, ORIGIN_SECRET, ORIGIN_API_KEY];
    expect(seen.length).toBeGreaterThan(5);
    for (const response of seen) {
      const text = `${[...response.headers].map(([name, value]) => `${name}: ${value}`).join("\n")}\n${await response.text()}`;
      for (const secret of secrets) expect(text.includes(secret), `${response.url} ${secret.slice(0, 8)}`).toBe(false);
    }
  });
});
