/**
 * `/_sim/wallet`: a stand-in for a phone wallet, for trying browser payments in
 * `npm run dev`. Paste the invoice from a 402 page, press Pay; the simulator
 * pays it from its own funds, and the 402 page, polling, moves on by itself.
 */
const escape = (text: string): string => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

export function walletPage(state: { readonly invoice?: string; readonly outcome?: { readonly ok: boolean; readonly text: string } }): string {
  const outcome = state.outcome === undefined ? "" : `<p class="${state.outcome.ok ? "ok" : "error"}">${escape(state.outcome.text)}</p>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Simulator wallet</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem}textarea{width:100%;height:8rem;font:12px monospace}
button{font:inherit;font-weight:600;padding:.5rem 1rem}.ok{color:#176b2c}.error{color:#a11}</style></head>
<body><h1>Simulator wallet</h1>
<p>Stands in for a phone wallet: it pays invoices of this LND simulator. Paste one from a 402 page.</p>
${outcome}
<form method="post"><textarea name="invoice" placeholder="lnbcrt…" required>${escape(state.invoice ?? "")}</textarea>
<p><button type="submit">Pay</button></p></form></body></html>
`;
}
