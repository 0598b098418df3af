import { html, raw } from "hono/html";
import { renderSVG } from "uqr";

/** The 402 as a person sees it in a browser: price, invoice, QR code. No scripts. */
export function challengePage(details: { service: string; priceSats: string; invoice: string; detail: string }): string {
  const qr = renderSVG(details.invoice.toUpperCase(), { border: 2 });
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Payment required: ${details.service}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;color:#222}
svg{width:16rem;height:16rem}code{word-break:break-all;display:block;background:#f4f4f4;padding:.5rem;font-size:.8rem}</style>
</head><body>
<h1>Payment required</h1>
<p><strong>${details.service}</strong> costs <strong>${details.priceSats} sats</strong> per token, paid over Lightning.</p>
<p>${details.detail}</p>
<a href="lightning:${details.invoice}">${raw(qr)}</a>
<p>Invoice:</p><code>${details.invoice}</code>
<p>Programs and agents: read the <code style="display:inline">WWW-Authenticate: L402</code> header of this response,
pay the invoice, then send <code style="display:inline">Authorization: L402 &lt;macaroon&gt;:&lt;preimage&gt;</code>.</p>
</body></html>
`.toString();
}
