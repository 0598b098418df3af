import { html } from "hono/html";
import type { FormContext, Markup } from "./sections.ts";

/**
 * The dashboard's two pages, as HTML: the sign-in form, and the dashboard,
 * which lays out the sections it is given in order. No script; the style
 * sheet is served beside them (STYLE_PATH), as the CSP allows nothing inline.
 */
export const STYLE_PATH = "/style.css";

function layout(basePath: string, title: string, body: Markup): Markup {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><meta name="referrer" content="no-referrer">
<title>${title}</title>
<link rel="stylesheet" href="${basePath}${STYLE_PATH}">
</head><body>${body}</body></html>
`;
}

export function signInPage(basePath: string, problem: string | undefined): Markup {
  return layout(
    basePath,
    "Sign in: l402-edge dashboard",
    html`<main class="sign-in"><h1>l402-edge dashboard</h1>
${problem === undefined ? "" : html`<p class="problem" role="alert">${problem}</p>`}
<form method="post" action="${basePath}/sign-in">
<label for="token">Admin token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>
<p class="note">The admin token (L402_ADMIN_TOKEN) opens a session of 12 hours in this browser. Rotating the token ends every session.</p>
</main>`,
  );
}

export function dashboardPage(form: FormContext, notice: string | undefined, sections: readonly Markup[]): Markup {
  return layout(
    form.basePath,
    "l402-edge dashboard",
    html`<header><h1>l402-edge dashboard</h1>
<form method="post" action="${form.basePath}/sign-out"><input type="hidden" name="csrf" value="${form.csrfToken}"><button type="submit">Sign out</button></form></header>
<main>${notice === undefined ? "" : html`<p class="notice" role="status">${notice}</p>`}
${sections}
</main>`,
  );
}

export const STYLE = `:root{color-scheme:light dark;--bg:#f8fafc;--card:#fff;--fg:#0f172a;--muted:#64748b;--line:#e2e8f0;--accent:#2563eb;--bad:#b91c1c}
@media (prefers-color-scheme:dark){:root{--bg:#0b1120;--card:#111827;--fg:#e5e7eb;--muted:#94a3b8;--line:#1f2937;--accent:#60a5fa;--bad:#f87171}}
*{box-sizing:border-box}body{margin:0;font:15px/1.5 system-ui,sans-serif;background:var(--bg);color:var(--fg)}
header{display:flex;justify-content:space-between;align-items:center;padding:.75rem 1.5rem;border-bottom:1px solid var(--line);background:var(--card)}
h1{font-size:1.2rem;margin:0}h2{font-size:1.05rem;margin:0 0 .5rem}
main{max-width:1100px;margin:0 auto;padding:1rem 1.5rem;display:grid;gap:1rem}
section{background:var(--card);border:1px solid var(--line);border-radius:.6rem;padding:1rem 1.25rem;overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid var(--line);vertical-align:middle}
th{color:var(--muted);font-weight:600}.n{text-align:right;font-variant-numeric:tabular-nums}
code{font-size:.85rem}.note,.empty,figcaption{color:var(--muted);font-size:.85rem}.summary{margin:.25rem 0}
.chart{margin:0}.chart>svg{width:100%;height:auto;display:block}.axis{font-size:11px;fill:var(--muted)}
.legend{list-style:none;display:flex;flex-wrap:wrap;gap:1rem;padding:0;margin:.5rem 0 0}.legend li{display:flex;align-items:center;gap:.35rem}
meter{width:8rem}.reason{word-break:break-word}
form.revoke{display:flex;gap:.4rem}form.revoke input{width:9rem}
input,button{font:inherit;padding:.35rem .6rem;border-radius:.4rem;border:1px solid var(--line);background:var(--bg);color:var(--fg)}
button{cursor:pointer;font-weight:600}
.sign-in{max-width:24rem;margin:4rem auto}.sign-in form{display:grid;gap:.5rem}
.problem{color:var(--bad);font-weight:600}.notice{background:var(--card);border:1px solid var(--line);border-radius:.6rem;padding:.5rem 1rem;margin:0}
`;
