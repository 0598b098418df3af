import { html } from "hono/html";
import type { DailyRevenue } from "../../paywall/index.ts";

/**
 * Revenue per service per day as an SVG drawn here, on the server: a bar a
 * day, stacked by service, with a legend. No script, no style attribute (the
 * page's CSP allows neither), no library: presentation attributes only, and
 * every name and number through hono/html's escaping.
 */
const WIDTH = 720;
const HEIGHT = 240;
const LEFT = 56;
const BOTTOM = 28;
const TOP = 12;
const PALETTE = ["#2563eb", "#d97706", "#059669", "#db2777", "#7c3aed", "#0891b2", "#65a30d", "#dc2626"];

/** `days`: every UTC day of the window, oldest first (YYYY-MM-DD), so a day without payments shows as one. */
export function revenueChart(rows: readonly DailyRevenue[], days: readonly string[]) {
  const services = [...new Set(rows.filter((row) => row.revenueMsat > 0).map((row) => row.service))].sort();
  const sats = new Map(rows.map((row) => [`${row.day} ${row.service}`, row.revenueMsat / 1000]));
  const totals = days.map((day) => services.reduce((sum, service) => sum + (sats.get(`${day} ${service}`) ?? 0), 0));
  const top = niceCeiling(Math.max(0, ...totals));
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const slot = (WIDTH - LEFT) / Math.max(1, days.length);
  const barWidth = Math.max(2, slot * 0.7);
  const y = (value: number) => TOP + plotHeight - (value / top) * plotHeight;
  const colour = (service: string) => PALETTE[services.indexOf(service) % PALETTE.length] ?? "#555";

  const bars = days.flatMap((day, index) => {
    let base = 0;
    return services.flatMap((service) => {
      const value = sats.get(`${day} ${service}`) ?? 0;
      if (value === 0) return [];
      const rect = html`<rect x="${fixed(LEFT + index * slot + (slot - barWidth) / 2)}" y="${fixed(y(base + value))}" width="${fixed(barWidth)}" height="${fixed((value / top) * plotHeight)}" fill="${colour(service)}"><title>${day} ${service}: ${value} sats</title></rect>`;
      base += value;
      return [rect];
    });
  });
  const dayLabels = days.map((day, index) =>
    index % Math.ceil(days.length / 8) === 0 ? html`<text x="${fixed(LEFT + index * slot + slot / 2)}" y="${HEIGHT - 8}" text-anchor="middle" class="axis">${day.slice(5)}</text>` : "",
  );
  const legend = services.map((service) => html`<li><svg width="12" height="12" aria-hidden="true"><rect width="12" height="12" fill="${colour(service)}"></rect></svg> ${service}</li>`);

  return html`<figure class="chart">
<svg viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-labelledby="revenue-chart-title" id="revenue-chart">
<title id="revenue-chart-title">Revenue per day, in sats, stacked by service</title>
<line x1="${LEFT}" y1="${TOP + plotHeight}" x2="${WIDTH}" y2="${TOP + plotHeight}" stroke="#94a3b8"></line>
<line x1="${LEFT}" y1="${TOP}" x2="${WIDTH}" y2="${TOP}" stroke="#e2e8f0"></line>
<text x="${LEFT - 6}" y="${TOP + 4}" text-anchor="end" class="axis">${top}</text>
<text x="${LEFT - 6}" y="${TOP + plotHeight + 4}" text-anchor="end" class="axis">0</text>
${bars}${dayLabels}
</svg>
${services.length === 0 ? html`<figcaption>No revenue in this window yet.</figcaption>` : html`<figcaption><ul class="legend">${legend}</ul></figcaption>`}
</figure>`;
}

/** The axis's top: 1, 2 or 5 times a power of ten, at least the largest bar (1 when there is none). */
function niceCeiling(value: number): number {
  if (value <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  return ([1, 2, 5, 10].map((step) => step * power).find((candidate) => candidate >= value) ?? 10 * power);
}

const fixed = (value: number): string => value.toFixed(1);

/** The UTC days from `since` (unix s) to `now`, oldest first. */
export function daysBetween(since: number, now: number): string[] {
  const days: string[] = [];
  for (let at = Math.floor(since / 86_400) * 86_400; at <= now; at += 86_400) days.push(new Date(at * 1000).toISOString().slice(0, 10));
  return days;
}
