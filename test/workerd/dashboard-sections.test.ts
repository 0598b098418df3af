import { describe, expect, it } from "vitest";
import { dashboardPage, signInPage } from "../../src/admin/dashboard/page.ts";
import { activeTokensSection, conversionSection, revenueSection, revocationsSection, topBuyersSection, type Markup } from "../../src/admin/dashboard/sections.ts";
import { refusalsSection, serviceModesSection, shadowEarningsSection } from "../../src/admin/dashboard/decision-sections.ts";

/**
 * Every string a dashboard section or page writes, hostile: each must come out
 * as text. The ledger's strings are checked where they enter (service names by
 * the settings, token ids as hex), but a page must not rely on that: a row
 * from an older configuration, or a column a later section adds, is written
 * the same way.
 */
const HOSTILE = `"><img src=x onerror=alert(1)><script>alert(2)</script>'`;
const ESCAPED = "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;alert(2)&lt;/script&gt;&#39;";
const now = Date.UTC(2026, 11, 2, 12) / 1000;
const since = now - 29 * 86_400;
const form = { basePath: `/admin${HOSTILE}`, csrfToken: HOSTILE };
const day = new Date(now * 1000).toISOString().slice(0, 10);
const token = { tokenId: HOSTILE, service: HOSTILE, amountMsat: 2000, paidAt: now, mintedAt: now };

const counts = (rows: { service: string; outcome: string; reason: string; count: number; askedMsat: bigint }[]) => ({ since: now, scope: "isolate" as const, counts: rows });
const hostileCounts = counts([
  { service: HOSTILE, outcome: "shadow_would_challenged", reason: HOSTILE, count: 3, askedMsat: 30_000n },
  { service: HOSTILE, outcome: "refused", reason: HOSTILE, count: 2, askedMsat: 0n },
]);

const rendered: [string, Markup][] = [
  ["revenue", revenueSection([{ service: HOSTILE, day, challenges: 2, settlements: 1, revenueMsat: 2000 }], { since, now, days: 30 })],
  ["conversion", conversionSection([{ service: HOSTILE, day, challenges: 2, settlements: 1, revenueMsat: 2000 }])],
  ["active tokens", activeTokensSection([{ ...token, left: HOSTILE, expiresAt: null, revocable: true }], 25, now, form)],
  ["top buyers", topBuyersSection([token], 30)],
  ["revocations", revocationsSection([{ tokenId: HOSTILE, revokedAt: now, reason: HOSTILE }])],
  ["shadow: would have earned", shadowEarningsSection(hostileCounts)],
  ["refusals by reason", refusalsSection(hostileCounts)],
  ["service modes", serviceModesSection([{ name: HOSTILE, mode: "shadow" }], form, { visibleWithinSeconds: 5 })],
  ["sign-in page", signInPage(form.basePath, HOSTILE)],
  ["dashboard page", dashboardPage(form, HOSTILE, [])],
];

describe("dashboard sections write every value as text", () => {
  it.each(rendered)("%s", async (_name, markup) => {
    const text = (await markup).toString();
    expect(text).toContain(ESCAPED);
    expect(text).not.toContain("<img");
    expect(text).not.toContain("<script");
    expect(text).not.toContain("onerror=alert(1)>");
  });

  it("an active token offers a revoke form only where its service checks revocations", async () => {
    const text = (await activeTokensSection([{ ...token, tokenId: "a".repeat(64), left: undefined, expiresAt: null, revocable: true }, { ...token, tokenId: "b".repeat(64), left: undefined, expiresAt: null, revocable: false }], 25, now, form)).toString();
    const rows = text.split("<tr data-token=").slice(1);
    expect(rows.map((row) => [row.includes("/revoke"), row.includes("not revocable")])).toEqual([
      [true, false],
      [false, true],
    ]);
  });

  it("the revenue chart draws a bar per service and day with revenue, stacked, on an axis rounded up", async () => {
    const rows = [
      { service: "a", day, challenges: 3, settlements: 2, revenueMsat: 40_000 },
      { service: "b", day, challenges: 1, settlements: 1, revenueMsat: 30_000 },
      { service: "c", day, challenges: 5, settlements: 0, revenueMsat: 0 },
    ];
    const text = (await revenueSection(rows, { since, now, days: 30 })).toString();
    expect([...text.matchAll(/<title>([^<]+)<\/title><\/rect>/g)].map((match) => match[1])).toEqual([`${day} a: 40 sats`, `${day} b: 30 sats`]);
    expect(text).toContain('class="axis">100</text>');
    expect(text).toContain("Last 30 days: <strong>70 sats</strong>");
  });

  it("'would have earned' adds up shadow's withheld challenges per service; refusals are counted per service and reason, a challenge without a credential not among them", async () => {
    const stats = counts([
      { service: "a", outcome: "shadow_would_challenged", reason: "missing", count: 3, askedMsat: 30_000n },
      { service: "a", outcome: "shadow_would_challenged", reason: "expired", count: 1, askedMsat: 10_000n },
      { service: "a", outcome: "shadow_would_paid", reason: "", count: 5, askedMsat: 0n },
      { service: "b", outcome: "challenged", reason: "missing", count: 7, askedMsat: 7000n },
      { service: "b", outcome: "challenged", reason: "expired", count: 2, askedMsat: 2000n },
      { service: "b", outcome: "refused", reason: "header_too_large", count: 1, askedMsat: 0n },
    ]);
    const earned = (await shadowEarningsSection(stats)).toString();
    expect([...earned.matchAll(/<tr data-service="([^"]+)"><td>[^<]+<\/td><td class="n">(\d+)<\/td><td class="n">([^<]+)<\/td>/g)].map((match) => match.slice(1))).toEqual([["a", "4", "40 sats"]]);
    expect(earned).toContain("upper bound");
    const refused = (await refusalsSection(stats)).toString();
    expect([...refused.matchAll(/<tr data-service="([^"]+)" data-reason="([^"]+)">(?:<td>[^<]*<\/td>){3}<td class="n">(\d+)<\/td>/g)].map((match) => match.slice(1))).toEqual([
      ["b", "expired", "2"],
      ["b", "header_too_large", "1"],
    ]);
  });

  it("without run-time overrides, the modes are listed with no switch and the reason why", async () => {
    const text = (await serviceModesSection([{ name: "a", mode: "enforce" }], { basePath: "/admin", csrfToken: "t" }, undefined)).toString();
    expect(text).toContain("L402_OVERRIDES");
    expect(text).not.toContain("<form");
  });
});
