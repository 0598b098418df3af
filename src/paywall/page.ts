import { html, raw } from "./html.ts";
import { renderSVG } from "uqr";
import { PAGE_SCRIPT } from "./page-script.ts";

export interface PageDetails {
  /** The heading: the service's `title`, else its name. */
  readonly title: string;
  /** What the service sells, in a sentence. */
  readonly description: string | undefined;
  /** Who is paid: the host the person asked for. */
  readonly payee: string;
  readonly priceSats: string;
  /** The price in the operator's currency, worded as an estimate (fiat-estimate.ts); undefined: sats only. */
  readonly fiat: string | undefined;
  /** What the payment buys, in words: "Access for 1 hour.", "3 requests, within 1 hour." */
  readonly terms: string;
  /** Why the request was refused, when it is more than a missing credential. */
  readonly detail: string | undefined;
  /** The service takes browser payments: the page shows the invoice, polls, offers WebLN and reloads into the content; else it shows no invoice (sold to programs). */
  readonly browserPayments: boolean;
  /** A metered service: the page never spends a use by itself (it offers to continue instead of reloading). */
  readonly metered: boolean;
  /** This response's CSP nonce. */
  readonly nonce: string;
  readonly offer: InvoiceOffer | ProbeOffer;
}

/** An invoice to pay. */
export interface InvoiceOffer {
  readonly kind: "invoice";
  readonly invoice: string;
  readonly paymentHash: string;
  /** Standard base64; in the page for a browser wallet's payment to be completed. */
  readonly macaroon: string;
  /** Seconds until the invoice expires, as the paywall counts them. */
  readonly expiresInSeconds: number;
}

/**
 * No invoice yet: this browser must first show it keeps cookies (the probe
 * cookie this answer sets, browser/page-challenge.ts), so the page reloads.
 * `returned`: the request carried a probe already (cookies work).
 */
export interface ProbeOffer {
  readonly kind: "probe";
  readonly returned: boolean;
}

/** The Content-Security-Policy of the page: nothing but its own inline style and script, and fetches to its own origin. */
export const pagePolicy = (nonce: string): string =>
  `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; img-src data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

const STYLE = `
:root{color-scheme:light dark;--fg:#1b1b1f;--muted:#5d5d66;--bg:#f6f5f2;--card:#fff;--line:#e4e2dc;--accent:#f7931a;--accent-fg:#1b1b1f}
@media (prefers-color-scheme:dark){:root{--fg:#ececf1;--muted:#a3a3ad;--bg:#141417;--card:#1e1e23;--line:#33333b}}
*{box-sizing:border-box}[hidden]{display:none!important}
body{margin:0;min-height:100vh;display:grid;place-items:center;background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif}
main{width:min(calc(100% - 2rem),26rem);margin:1rem;padding:1.5rem;background:var(--card);border:1px solid var(--line);border-radius:1rem;text-align:center}
.kicker{margin:0;font-size:.85rem;font-weight:600;letter-spacing:.04em;text-transform:uppercase;color:var(--muted)}
h1{margin:.25rem 0;font-size:1.3rem;font-weight:700;overflow-wrap:anywhere}
.description{margin:0 0 .5rem;color:var(--muted);overflow-wrap:anywhere}
.price{margin:.5rem 0 0;font-size:2.25rem;font-weight:700;line-height:1.2}
.fiat,.terms,.payee,.detail{margin:.25rem 0 0;color:var(--muted);font-size:.95rem;overflow-wrap:anywhere}
.payee strong{color:var(--fg)}
.qr{display:block;margin:1.25rem auto .75rem;width:min(100%,17rem);padding:.5rem;background:#fff;border-radius:.75rem}
.qr svg{display:block;width:100%;height:auto}
.expired .qr{opacity:.25;pointer-events:none}.expired #open-wallet,.expired #copy,.expired #pay-webln,.expired #invoice-box{display:none}
.paid-elsewhere .qr,.paid-elsewhere .expiry,.paid-elsewhere #open-wallet,.paid-elsewhere #copy,.paid-elsewhere #pay-webln,.paid-elsewhere #invoice-box{display:none}
.no-cookies .qr,.no-cookies .expiry,.no-cookies .actions,.no-cookies #invoice-box{display:none}
.status{min-height:1.5em;margin:.5rem 0;font-weight:500}.expiry{margin:0;color:var(--muted);font-size:.9rem}
.actions{display:flex;flex-wrap:wrap;gap:.5rem;justify-content:center;margin:1rem 0}
button,.button{font:inherit;font-weight:600;padding:.6rem 1rem;border-radius:.6rem;border:1px solid var(--line);background:transparent;color:var(--fg);cursor:pointer;text-decoration:none}
.primary{background:var(--accent);border-color:var(--accent);color:var(--accent-fg)}
button:disabled{opacity:.6;cursor:progress}
details{margin-top:.75rem;text-align:left;font-size:.9rem;color:var(--muted)}summary{cursor:pointer}
code{display:block;margin-top:.5rem;padding:.5rem;word-break:break-all;font-size:.75rem;background:var(--bg);border-radius:.4rem;color:var(--fg)}
.inline{display:inline;padding:0;background:none}`;

/**
 * The 402 as a person sees it: who is paid and for what, the price (and an
 * estimate in the operator's currency), then, on a service taking browser
 * payments, the invoice as a QR code with (script permitting) a live
 * countdown and payment, or, before a browser has an invoice of its own, a
 * page that reloads into one; on a service sold to programs, how a program
 * buys it. Every value goes through html.ts's escaping (as hono/html's).
 */
export function challengePage(details: PageDetails): string {
  const { offer } = details;
  // A service sold to programs: a person paying here would get nothing (the token is in this answer's header, which a browser keeps from them), so nothing here invites them to pay.
  const mode = offer.kind === "invoice" && !details.browserPayments ? "programs" : offer.kind;
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Payment required: ${details.title} (${details.payee})</title>
<style nonce="${details.nonce}">${raw(STYLE)}</style>
</head><body>
<main id="l402" data-mode="${mode}" data-metered="${details.metered ? "1" : "0"}"${offer.kind === "probe" ? html` data-probe-returned="${offer.returned ? "1" : "0"}"` : mode === "invoice" ? invoiceData(offer) : ""}>
<p class="kicker">Payment required</p>
<h1 dir="auto">${details.title}</h1>
${details.description === undefined ? "" : html`<p class="description" dir="auto">${details.description}</p>`}
<p class="price">${priceWords(details.priceSats)}</p>
${details.fiat === undefined ? "" : html`<p class="fiat">${details.fiat}</p>`}
<p class="terms">${details.terms}</p>
<p class="payee">Paid to <strong>${details.payee}</strong></p>
${details.detail === undefined ? "" : html`<p class="detail">${details.detail}</p>`}
${offer.kind === "probe" ? probeSection() : mode === "invoice" ? invoiceSection(offer) : programsSection()}
<details${mode === "programs" ? html` open` : ""}><summary>For programs and agents</summary>
<p>Read this response's <code class="inline">WWW-Authenticate: L402</code> header, pay its invoice, then send
<code class="inline">Authorization: L402 &lt;macaroon&gt;:&lt;preimage&gt;</code> with the request.</p></details>
</main>
<script nonce="${details.nonce}">${raw(PAGE_SCRIPT)}</script>
</body></html>
`.toString();
}

/** "1 sat", "21,000 sats", "0.5 sats": the price as the page's English reads it (`priceSats`: formatSats's digits). */
export function priceWords(priceSats: string): string {
  const [whole = "", fraction] = priceSats.split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+$)/g, ",");
  return `${fraction === undefined ? grouped : `${grouped}.${fraction}`} ${priceSats === "1" ? "sat" : "sats"}`;
}

const invoiceData = (offer: InvoiceOffer) =>
  html` data-invoice="${offer.invoice}" data-payment-hash="${offer.paymentHash}" data-expires-in="${offer.expiresInSeconds}" data-macaroon="${offer.macaroon}"`;

/** The invoice of a service that takes browser payments: paid here (a wallet, a phone's camera), the page continues into the content. */
function invoiceSection(offer: InvoiceOffer) {
  // The URI in capitals (QR's compact alphanumeric mode): a phone's camera offers a wallet for it, and a wallet reads it as the invoice.
  const qr = renderSVG(`LIGHTNING:${offer.invoice.toUpperCase()}`, { border: 2 });
  const minutes = Math.max(1, Math.round(offer.expiresInSeconds / 60));
  // "Open in wallet" is the main action unless the script finds a browser wallet (WebLN) to offer instead.
  return html`<a class="qr" href="lightning:${offer.invoice}" aria-label="Pay this invoice with a Lightning wallet">${raw(qr)}</a>
<p class="status" id="status" role="status" aria-live="polite">Scan with any Lightning wallet; this page continues once paid.</p>
<p class="expiry">Invoice expires in <span id="countdown">${minutes} min</span></p>
<div class="actions">
<button type="button" id="pay-webln" hidden>Pay with browser wallet</button>
<a class="button primary" id="open-wallet" href="lightning:${offer.invoice}">Open in wallet</a>
<a class="button primary" id="continue" href="" hidden>Continue</a>
<button type="button" id="copy" hidden>Copy invoice</button>
</div>
<noscript><p>Paid? <a href="">Reload this page</a> to continue.</p></noscript>
<details id="invoice-box"><summary>Invoice</summary><code id="invoice">${offer.invoice}</code></details>`;
}

/** A service sold to programs and agents alone: what it costs is said, and how a program buys it. */
const programsSection = () => html`<p class="status" id="status">Sold to programs and agents: it cannot be bought in a browser.</p>`;

const probeSection = () =>
  // Said by the script, which gets the invoice: without it, the link below does.
  html`<p class="status" id="status" role="status" aria-live="polite" hidden>Getting an invoice for this browser…</p>
<noscript><p><a class="button primary" href="">Show the invoice</a></p><p class="detail">This page needs cookies for this site.</p></noscript>`;

/**
 * A metered service's page reached from another site by a browser that holds
 * its cookie: the other site's navigation spends nothing (browser-step.ts), the
 * person's click on Continue (a navigation of this site's own) spends one use.
 */
export function continuePage(details: { readonly title: string; readonly payee: string; readonly terms: string; readonly nonce: string }): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${details.title} (${details.payee})</title>
<style nonce="${details.nonce}">${raw(STYLE)}</style>
</head><body>
<main id="l402" data-mode="continue">
<p class="kicker">Already paid</p>
<h1>${details.title}</h1>
<p class="terms">This browser has already paid ${details.payee} for this: ${details.terms} Continuing uses one of its requests.</p>
<div class="actions"><a class="button primary" id="continue" href="">Continue</a></div>
</main>
</body></html>
`.toString();
}
