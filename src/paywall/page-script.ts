/**
 * The 402 page's script, inlined under the response's CSP nonce. Plain
 * JavaScript for every browser of the last few years; the page works without it
 * (a static invoice, a QR code, and a link to reload once paid).
 *
 * A page without an invoice yet (the probe, browser/page-challenge.ts) reloads
 * once to send its cookie back; a `#l402-cookies-<n>` mark in the URL keeps it
 * from reloading forever in a browser that keeps no cookies, which is then told
 * so, or (three reloads at most) when another program keeps taking its invoice.
 *
 * A page with an invoice (a service taking browser payments), in a browser
 * that keeps cookies, counts down to its expiry (from the seconds left when
 * the page was made, so a wrong clock does not matter), copies the invoice,
 * offers a WebLN wallet (only a real one: an element with id "webln" is also
 * `window.webln`, by the DOM's named access), polls the page's own URL for a
 * payment made elsewhere (browser/browser-payments.ts), and reloads into the
 * content once the credential cookie is set, or into a fresh invoice once this
 * one has expired. A page of a service sold to programs runs nothing.
 */
export const PAGE_SCRIPT = `(() => {
  "use strict";
  const root = document.getElementById("l402");
  const status = document.getElementById("status");
  const say = (text) => { status.textContent = text; };
  const COOKIE_MARK = "#l402-cookies";
  const here = location.pathname + location.search;

  // The reloads the probe has made, counted in the URL's mark: one answered with a probe again and again (another program of this network, with this browser's user agent, taking the page's invoice slot each time) stops after three.
  const marked = new RegExp("^" + COOKIE_MARK + "(?:-([0-9]+))?$").exec(location.hash);
  const reloads = marked === null ? 0 : Number(marked[1] || "1");
  if (root.dataset.mode === "probe") {
    status.hidden = false;
    const returned = root.dataset.probeReturned === "1";
    if (returned ? reloads < 3 : marked === null) {
      history.replaceState(null, "", here + COOKIE_MARK + "-" + (reloads + 1));
      location.reload();
    } else if (returned) {
      // The mark goes: a reload by hand starts counting again.
      history.replaceState(null, "", here);
      say("Another browser or program on this network keeps taking this page's invoice: reload in a minute.");
    } else {
      say("This browser did not keep this site's cookie: allow cookies for " + location.host + ", then reload.");
    }
    return;
  }
  if (marked !== null) history.replaceState(null, "", here);
  // A service sold to programs alone: its page offers nothing to pay.
  if (root.dataset.mode !== "invoice") return;

  const invoice = root.dataset.invoice;
  // A browser refusing this site's cookies could pay but never receive what it paid for: no invoice to pay, then.
  if (navigator.cookieEnabled === false) {
    root.classList.add("no-cookies");
    say("This browser keeps no cookies for this site, so it could not receive what you pay for: allow cookies for " + location.host + ", then reload.");
    return;
  }
  const deadline = Date.now() + Number(root.dataset.expiresIn) * 1000;
  let finished = false;
  const reload = (text) => { finished = true; say(text); location.reload(); };
  // A control that went (the invoice expired, or was paid in another tab), or a link that lost its invoice, had the keyboard's focus (\`before\`): the status takes it, and is read.
  // (The browser moves the focus off such an element only at its next rendering, to the body: this asks what will be left.)
  const keepFocus = (before) => {
    if (before === null || !root.contains(before) || (before.getClientRects().length > 0 && (before.tagName !== "A" || before.hasAttribute("href")))) return;
    status.tabIndex = -1;
    status.focus();
  };

  const copy = document.getElementById("copy");
  copy.hidden = false;
  copy.addEventListener("click", async () => {
    const before = status.textContent;
    let told;
    try {
      await navigator.clipboard.writeText(invoice);
      copy.textContent = "Copied";
      told = "Invoice copied.";
    } catch {
      document.getElementById("invoice-box").open = true;
      getSelection().selectAllChildren(document.getElementById("invoice"));
      copy.textContent = "Selected: copy it";
      told = "Invoice selected: copy it.";
    }
    // Said for a moment, then what the status said before, unless the page has moved on since (paid, expired).
    if (!finished) say(told);
    setTimeout(() => {
      copy.textContent = "Copy invoice";
      if (status.textContent === told) say(before);
    }, 2000);
  });

  const countdown = document.getElementById("countdown");
  const tick = () => {
    const left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
    countdown.textContent = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
    if (left > 0) return setTimeout(tick, 1000 - ((deadline - Date.now()) % 1000));
    // Nothing is left to pay it with: its links lose their invoice (a keyboard still reached them), its buttons go (CSS).
    const focused = document.activeElement;
    root.classList.add("expired");
    for (const link of document.querySelectorAll('a[href^="lightning:"]')) link.removeAttribute("href"), link.removeAttribute("aria-label");
    if (!finished) say("This invoice has expired.");
    keepFocus(focused);
    // The poll learns whether it was paid in time, then reloads.
  };
  tick();

  const ask = (kind, headers) =>
    fetch(location.href, { headers: Object.assign({ "X-L402-Browser": kind, Accept: "application/json" }, headers), cache: "no-store", credentials: "same-origin" })
      .then(async (response) => ({ body: await response.json(), retryAfter: Number(response.headers.get("Retry-After")) || 0 }));
  // No pending challenge a few polls in a row: the browser did not keep its cookie (once may be another tab getting a new invoice).
  let unknown = 0;
  const settle = (body) => {
    unknown = body.status === "no_challenge" ? unknown + 1 : 0;
    // Paid earlier (another tab): a metered service's next request spends a use, which is the person's to spend, not this script's.
    // Its invoice goes: paying it too would buy a second token.
    if (body.status === "paid" && body.elsewhere === true && root.dataset.metered === "1") return (finished = true), root.classList.add("paid-elsewhere"), say("This browser has already paid here."), (document.getElementById("continue").hidden = false), keepFocus(document.activeElement), true;
    if (body.status === "paid") return reload("Paid. Loading…"), true;
    if (body.status === "expired") return reload("This invoice expired. Getting a new one…"), true;
    // Collected, and what it bought refused (the token expired meanwhile, its key was rotated out): said, never polled on as if unpaid.
    if (body.status === "refused") return (finished = true), say("Paid, but the site did not accept this payment: " + (body.detail || body.reason) + ". Its payment hash, for the site's operator: " + root.dataset.paymentHash), true;
    if (unknown >= 3) return (finished = true), say("This browser did not keep the payment cookie; allow cookies for this site and reload."), true;
    // Another tab of this browser showed a newer challenge, which is the one this browser can collect.
    if (body.status === "pending" && body.payment_hash && body.payment_hash !== root.dataset.paymentHash) return reload("Loading the current invoice…"), true;
    return false;
  };

  const poll = async () => {
    if (finished) return;
    let wait = 1500;
    try {
      const { body, retryAfter } = await ask("poll", {});
      if (settle(body)) return;
      wait = Math.max(wait, retryAfter * 1000);
    } catch {
      // A network hiccup: ask again.
    }
    // Long past expiry without an answer: a reload asks afresh.
    if (Date.now() > deadline + 120000) return reload("Getting a new invoice…");
    setTimeout(poll, wait);
  };
  setTimeout(poll, 1500);

  // A WebLN provider, or nothing: whatever else window.webln may be (a named element, a stub) is no wallet.
  const provider = () => {
    const webln = window.webln;
    return webln && typeof webln.enable === "function" && typeof webln.sendPayment === "function" ? webln : undefined;
  };
  const wallet = document.getElementById("pay-webln");
  const openWallet = document.getElementById("open-wallet");
  const offerWallet = () => {
    if (finished || !wallet.hidden || provider() === undefined) return;
    wallet.hidden = false;
    wallet.classList.add("primary");
    openWallet.classList.remove("primary");
  };
  offerWallet();
  // Wallet extensions may inject window.webln after the page's own script ran.
  window.addEventListener("load", offerWallet);
  setTimeout(offerWallet, 600);
  wallet.addEventListener("click", async () => {
    const webln = provider();
    if (webln === undefined) return;
    wallet.disabled = true;
    say("Waiting for your wallet…");
    try {
      await webln.enable();
      if (typeof webln.sendPayment !== "function") throw new Error("this browser wallet cannot pay invoices");
      const { preimage } = await webln.sendPayment(invoice);
      const { body } = await ask("complete", { Authorization: "L402 " + root.dataset.macaroon + ":" + preimage });
      // A refusal here is of the preimage the wallet handed over, not of the payment: the poll collects it from the node.
      if (body.status === "refused" || !settle(body)) say("Paid, but not accepted (" + (body.reason || "unknown") + "); waiting for the node to confirm…");
    } catch (error) {
      say("The wallet did not pay: " + ((error && error.message) || error));
      wallet.disabled = false;
    }
  });
})();`;
