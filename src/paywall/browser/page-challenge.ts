import { turnsByKey } from "../../shared-flight.ts";
import { tokenFacts } from "../../l402/index.ts";
import type { CookieChange } from "../decision.ts";
import type { Challenger, ChallengeNeed, IssueResult } from "../issue-challenge.ts";
import { offerKey } from "../offer.ts";
import type { Paywall } from "../paywall.ts";
import type { BrowserContext } from "./browser-context.ts";
import { clearCookie, cookie, readCookie } from "./cookies.ts";
import { isBounded, mintedOffer, openPageInvoice, pageInvoiceKey, rememberPageInvoice } from "./open-page-invoice.ts";
import { openProbe, sealProbe } from "./page-probe.ts";
import { PENDING_GRACE_SECONDS, sealPending, type PendingChallenge } from "./pending-challenge.ts";

/**
 * How a browser's 402 page gets its challenge (decide.ts asks this instead of
 * the paywall's shared challenger, for a page on a browser-payments service).
 *
 * A page invoice is minted for one browser and never shared: its pending
 * cookie is the only key to the preimage (pending-challenge.ts), so two
 * browsers must never hold pending cookies for one invoice. It is still
 * bounded as JSON clients' challenges are (one per client, service and
 * window, challenge-cache.ts):
 *
 * - a browser with a pending challenge still payable gets it again
 *   (`held`, opened and asked about before the decision: browser-step.ts);
 * - a client without an open page invoice gets one, with its pending cookie;
 * - a client that has one, asking without that cookie (another browser behind
 *   the same address and user agent, or a crawler that drops cookies), gets a
 *   page without an invoice (none it could collect) and a probe cookie
 *   (page-probe.ts); the page reloads, and a browser that sent the probe back
 *   gets an invoice of its own. The answer's WWW-Authenticate carries the
 *   client's shared challenge, so programs asking for HTML are answered as
 *   before. A crawler dropping cookies costs one page invoice and one shared
 *   challenge per window, however often it asks (on a service offering x402,
 *   whose invoices are never shared, a shared challenge per answer: the mint
 *   limit bounds them).
 *
 * A browser holds one pending challenge per service: a page of a
 * request-priced service at another price replaces it with its own (the tab
 * showing the earlier one reloads to it); that earlier invoice, if paid
 * afterwards, is not collected by the browser.
 *
 * Without a challenge cache (or with its window at 0) every page view mints,
 * as every JSON request then does.
 */
export function pageChallenger(bc: BrowserContext, held: PendingChallenge | undefined): Challenger {
  return {
    async issue(need) {
      // The browser's pending invoice, while it sells what this page does: a dearer page of a request-priced service (or another request, bound) is another offer.
      if (held !== undefined && sells(bc, held, need)) return { ok: true, value: { parts: held, reused: true } };
      if (!isBounded(bc)) return mintOwn(bc, need, undefined);
      const key = pageInvoiceKey(bc, need.offer.caveats);
      return turnsOf(bc.paywall)(key, async () => {
        const open = await openPageInvoice(bc, key);
        if (open === undefined) return mintOwn(bc, need, key);
        const probe = readCookie(bc.request, "probe", bc.service.name);
        const { keyring } = bc.paywall.settings;
        if (probe !== undefined && openProbe(keyring, bc.service.name, probe) === open) return mintOwn(bc, need, key);
        const shared = await bc.paywall.challenger.issue(need);
        if (!shared.ok) return shared;
        const probeCookie = cookie(bc.request, "probe", bc.service.name, sealProbe(keyring, bc.service.name, open), bc.paywall.settings.challengeCacheSeconds);
        return { ok: true, value: { ...shared.value, probe: { returned: probe !== undefined }, cookies: [probeCookie] } };
      });
    },
  };
}

/**
 * Whether a pending challenge sells this page's offer: its amount, the price
 * and request its token was minted with, and the service's terms as they are
 * now (a deploy since may have changed them): the same uses and capabilities,
 * and, where the service has a timeout, an expiry one minted within the
 * invoice's life would have (a timeout changed by less than that life is not
 * told apart).
 */
function sells(bc: BrowserContext, held: PendingChallenge, need: ChallengeNeed): boolean {
  const { service, request } = bc;
  if (held.amountMsat !== need.offer.amountMsat || offerKey(service, mintedOffer(service.name, held.macaroon)) !== offerKey(service, need.offer.caveats)) return false;
  const facts = tokenFacts(held.macaroon, service.name);
  if (!facts.ok) return false;
  const { uses, capabilities, validUntil } = facts.value;
  const timeout = service.timeoutSeconds;
  // Shown while its invoice is open, so minted less than the invoice's life (and the cookie's grace) ago.
  const life = bc.paywall.settings.invoiceExpirySeconds + PENDING_GRACE_SECONDS;
  const expiring = timeout === undefined ? validUntil === undefined : validUntil !== undefined && validUntil <= request.now + timeout && validUntil > request.now + timeout - life;
  return expiring && uses === service.uses && sameSet(capabilities, service.capabilities);
}

/** Two capability lists naming the same capabilities, whatever their order or repeats (undefined: no caveat). */
const sameSet = (a: readonly string[] | undefined, b: readonly string[] | undefined): boolean =>
  a === undefined || b === undefined ? a === b : new Set(a).size === new Set(b).size && a.every((name) => b.includes(name));

/** An invoice for this browser alone: its pending cookie, and (bounded) the client's open page invoice. */
async function mintOwn(bc: BrowserContext, need: ChallengeNeed, key: string | undefined): Promise<IssueResult> {
  const issued = await bc.paywall.challenger.mintFresh(need);
  if (!issued.ok) return issued;
  const { parts } = issued.value;
  const sealed = sealPending(bc.paywall.settings.keyring, { ...parts, service: bc.service.name });
  const cookies: CookieChange[] = [cookie(bc.request, "pending", bc.service.name, sealed, parts.expiresAt - bc.request.now + PENDING_GRACE_SECONDS)];
  if (key !== undefined) {
    await rememberPageInvoice(bc, key, parts);
    if (readCookie(bc.request, "probe", bc.service.name) !== undefined) cookies.push(clearCookie(bc.request, "probe", bc.service.name));
  }
  return { ok: true, value: { ...issued.value, cookies } };
}

/** Per paywall, client key by client key, the page request being decided right now (per isolate): concurrent views of one client wait, then see its invoice. */
const deciding = new WeakMap<Paywall, (key: string, decide: () => Promise<IssueResult>) => Promise<IssueResult>>();

/** How long a view waits for the one before it: its node calls at their longest timeout. */
const DECIDING_FOR_MS = 60_000;

function turnsOf(paywall: Paywall): (key: string, decide: () => Promise<IssueResult>) => Promise<IssueResult> {
  let turns = deciding.get(paywall);
  if (turns === undefined) deciding.set(paywall, (turns = turnsByKey(DECIDING_FOR_MS)));
  return turns;
}
