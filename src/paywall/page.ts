import { renderSVG } from "uqr";

/** The 402 as a person sees it in a browser: price, invoice, QR code. No scripts. */
export function challengePage(details: { service: string; priceSats: string; invoice: string; reason: string; detail: string }): string {
  const escape = (text: string) =>
    text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string);
  const invoice = escape(details.invoice);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Payment required: ${escape(details.service)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;color:#222}
svg{width:16rem;height:16rem}code{word-break:break-all;display:block;background:#f4f4f4;padding:.5rem;font-size:.8rem}</style>
</head><body>
<h1>Payment required</h1>
<p><strong>${escape(details.service)}</strong> costs <strong>${escape(details.priceSats)} sats</strong> per token, paid over Lightning.</p>
<p>${escape(details.detail)}</p>
<a href="lightning:${invoice}">${renderSVG(details.invoice.toUpperCase(), { border: 2 })}</a>
<p>Invoice:</p><code>${invoice}</code>
<p>Programs and agents: read the <code style="display:inline">WWW-Authenticate: L402</code> header of this response,
pay the invoice, then send <code style="display:inline">Authorization: L402 &lt;macaroon&gt;:&lt;preimage&gt;</code>.</p>
</body></html>
`;
}

/** True when the client asks for HTML before JSON (a browser), by Accept order and q-values. */
export function prefersHtml(accept: string | null): boolean {
  if (accept === null) return false;
  let html = -1;
  let json = -1;
  for (const [index, part] of accept.split(",").entries()) {
    const [type, ...params] = part.trim().toLowerCase().split(";");
    const q = Number(params.find((p) => p.trim().startsWith("q="))?.split("=")[1] ?? 1);
    const weight = q * 1000 - index;
    if (type === "text/html") html = Math.max(html, weight);
    if (type === "application/json" || type === "*/*") json = Math.max(json, type === "*/*" ? weight - 500 : weight);
  }
  return html > 0 && html > json;
}
