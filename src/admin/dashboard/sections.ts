import { html } from "hono/html";
import type { DailyRevenue } from "../../paywall/index.ts";
import { daysBetween, revenueChart } from "./chart.ts";
import type { PaidToken, RevokedToken } from "./ports.ts";

/**
 * The dashboard's sections, one per concern, each a function of plain data
 * returning its `<section>`: the page (page.ts) lays out whatever list it is
 * given, and the app (app.ts) loads each section's data. Every value is
 * escaped by hono/html; nothing here reads a request or a binding.
 */
export type Markup = ReturnType<typeof html>;

/** What a section's forms need: where to post, and the session's CSRF token. */
export interface FormContext {
  readonly basePath: string;
  readonly csrfToken: string;
}

export function revenueSection(rows: readonly DailyRevenue[], window: { readonly since: number; readonly now: number; readonly days: number }): Markup {
  const total = rows.reduce((sum, row) => sum + row.revenueMsat, 0);
  return html`<section id="revenue"><h2>Revenue per service per day</h2>
<p class="summary">Last ${window.days} days: <strong>${sats(total)}</strong></p>
${revenueChart(rows, daysBetween(window.since, window.now))}
</section>`;
}

/** Challenges minted against tokens seen paid, per service, over the window. */
export function conversionSection(rows: readonly DailyRevenue[]): Markup {
  const byService = new Map<string, { challenges: number; paid: number; revenueMsat: number }>();
  for (const row of rows) {
    const sum = byService.get(row.service) ?? { challenges: 0, paid: 0, revenueMsat: 0 };
    byService.set(row.service, { challenges: sum.challenges + row.challenges, paid: sum.paid + row.settlements, revenueMsat: sum.revenueMsat + row.revenueMsat });
  }
  const services = [...byService].sort(([a], [b]) => a.localeCompare(b));
  return html`<section id="conversion"><h2>Challenges issued and paid</h2>
${services.length === 0
  ? html`<p class="empty">No challenges in this window.</p>`
  : html`<table><thead><tr><th>Service</th><th class="n">Challenges</th><th class="n">Paid</th><th class="n">Conversion</th><th></th><th class="n">Revenue</th></tr></thead><tbody>
${services.map(([service, sum]) => {
  const rate = sum.challenges === 0 ? undefined : Math.min(1, sum.paid / sum.challenges);
  return html`<tr data-service="${service}"><td>${service}</td><td class="n">${sum.challenges}</td><td class="n">${sum.paid}</td><td class="n">${rate === undefined ? "–" : `${Math.round(rate * 100)}%`}</td><td><meter min="0" max="1" value="${rate ?? 0}"></meter></td><td class="n">${sats(sum.revenueMsat)}</td></tr>`;
})}
</tbody></table>`}
<p class="note">A challenge is counted when minted (a cached one shown again is not); a token is counted paid at its first use. A token paid in one window and first used in the next counts there.</p>
</section>`;
}

/** A paid token as shown: what it has left (`"2 of 5 uses"`, `"1,200 sats"`), or undefined when nothing is counted for it. */
export interface ActiveToken extends PaidToken {
  readonly left: string | undefined;
  /** Whether its service checks revocations: revoking it would change nothing otherwise. */
  readonly revocable: boolean;
  /** Unix s; null: it never expires; undefined: not known (its service or its mint row gone). */
  readonly expiresAt: number | null | undefined;
}

export function activeTokensSection(tokens: readonly ActiveToken[], limit: number, now: number, form: FormContext): Markup {
  return html`<section id="tokens"><h2>Active tokens</h2>
<p class="note">The ${limit} most recently paid tokens not revoked. An expiry is read from the service's timeout now (a token keeps the one it was sold with). Revoking one refuses its next request (other colos within the revocation list's cache time); a service without <code>revocable</code> does not check revocations, so its tokens cannot be revoked.</p>
${tokens.length === 0
  ? html`<p class="empty">No paid tokens yet.</p>`
  : html`<table><thead><tr><th>Token</th><th>Service</th><th class="n">Paid</th><th>First used (UTC)</th><th>Expires (UTC)</th><th>Left</th><th>Revoke</th></tr></thead><tbody>
${tokens.map(
  (token) => html`<tr data-token="${token.tokenId}"><td><code title="${token.tokenId}">${short(token.tokenId)}</code></td><td>${token.service}</td><td class="n">${sats(token.amountMsat)}</td><td>${time(token.paidAt)}</td><td>${expiry(token.expiresAt, now)}</td><td>${token.left ?? "–"}</td>
<td>${token.revocable
    ? html`<form method="post" action="${form.basePath}/tokens/${token.tokenId}/revoke" class="revoke"><input type="hidden" name="csrf" value="${form.csrfToken}">
<input name="reason" maxlength="200" placeholder="reason" aria-label="Reason for revoking ${short(token.tokenId)}"><button type="submit">Revoke</button></form>`
    : html`<span class="note">not revocable</span>`}</td></tr>`,
)}
</tbody></table>`}
</section>`;
}

export function topBuyersSection(tokens: readonly PaidToken[], days: number): Markup {
  return html`<section id="top-buyers"><h2>Top buyers by token</h2>
<p class="note">The tokens paid in the last ${days} days, the largest payment first. A buyer is known by their token only; a balance's top-up is a token of its own.</p>
${tokens.length === 0
  ? html`<p class="empty">No payments in this window.</p>`
  : html`<table><thead><tr><th>Token</th><th>Service</th><th class="n">Paid</th><th>First used (UTC)</th></tr></thead><tbody>
${tokens.map((token) => html`<tr data-token="${token.tokenId}"><td><code title="${token.tokenId}">${short(token.tokenId)}</code></td><td>${token.service}</td><td class="n">${sats(token.amountMsat)}</td><td>${time(token.paidAt)}</td></tr>`)}
</tbody></table>`}
</section>`;
}

export function revocationsSection(revoked: readonly RevokedToken[]): Markup {
  return html`<section id="revocations"><h2>Recent revocations</h2>
${revoked.length === 0
  ? html`<p class="empty">No token has been revoked.</p>`
  : html`<table><thead><tr><th>Token</th><th>Revoked (UTC)</th><th>Reason</th></tr></thead><tbody>
${revoked.map((row) => html`<tr data-token="${row.tokenId}"><td><code title="${row.tokenId}">${short(row.tokenId)}</code></td><td>${time(row.revokedAt)}</td><td class="reason">${row.reason === "" ? "–" : row.reason}</td></tr>`)}
</tbody></table>`}
</section>`;
}

/** What a token has left, in words, from its service's terms and its counted state. */
export function tokenLeft(terms: { readonly uses: number | undefined; readonly balance: boolean }, state: { readonly usesTaken?: number | undefined; readonly balanceMsat?: bigint | undefined }): string | undefined {
  if (terms.uses !== undefined) return state.usesTaken === undefined ? undefined : `${Math.max(0, terms.uses - state.usesTaken)} of ${terms.uses} uses`;
  if (terms.balance && state.balanceMsat !== undefined) return sats(Number(state.balanceMsat));
  return undefined;
}

const SATS = new Intl.NumberFormat("en-US", { maximumFractionDigits: 3 });
export const sats = (msat: number): string => `${SATS.format(msat / 1000)} sats`;
/** The first 16 hex characters (the first 8 name the master key, so are shared): enough to tell tokens apart on a page; the full id is the row's data-token and the cell's title. */
const short = (tokenId: string): string => `${tokenId.slice(0, 16)}…`;
const expiry = (at: number | null | undefined, now: number): string => (at === undefined ? "–" : at === null ? "never" : at <= now ? "expired" : time(at));
export const time = (unix: number): string => new Date(unix * 1000).toISOString().replace("T", " ").slice(0, 16);
