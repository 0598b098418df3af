import type { IssueResult, Issued, NotIssued } from "../issue-challenge.ts";
import { rememberPending, resumePending } from "./browser-payments.ts";
import type { BrowserContext } from "./browser-context.ts";
import { configuredSpelling } from "./configured-spelling.ts";
import { clearCookie, readCookie, writeCookie } from "./cookies.ts";
import { isBounded, openPageInvoice, pageInvoiceKey, rememberPageInvoice } from "./open-page-invoice.ts";
import { openProbe, sealProbe } from "./page-probe.ts";

/**
 * The challenge a browser's 402 page shows.
 *
 * A page invoice is minted for one browser and never shared: its pending
 * cookie is the only key to the preimage (pending-challenge.ts), so two
 * browsers must never hold pending cookies for one invoice. It is still
 * bounded as JSON clients' challenges are (one per client, service and
 * window, challenge-cache.ts):
 *
 * - a browser with a pending challenge gets it again until it is paid (then
 *   collected) or expires;
 * - a client without an open page invoice gets one, with its pending cookie;
 * - a client that has one, asking without that cookie (another browser behind
 *   the same address and user agent, or a crawler that drops cookies), gets a
 *   page without an invoice (none it could collect) and a probe cookie
 *   (page-probe.ts); the page reloads, and a browser that sent the probe back
 *   gets an invoice of its own. The answer's WWW-Authenticate carries the
 *   client's shared challenge, so programs asking for HTML are answered as
 *   before. A crawler dropping cookies costs one page invoice and one shared
 *   challenge per window, however often it asks.
 *
 * Without a challenge cache (or with its window at 0) every page view mints,
 * as every JSON request then does.
 */
export type PageChallenge = { readonly ok: true; readonly value: PageIssued } | NotIssued | { readonly answered: Response };

export interface PageIssued extends Issued {
  /** A page without an invoice that reloads once its probe cookie is set; `returned`: the request sent a probe (cookies work; the client's invoice moved on). */
  readonly probe?: { readonly returned: boolean };
}

/** `issue(unshared)`: a challenge for this request (issue-challenge.ts), for this browser alone or the client's shared one. */
export async function pageChallenge(bc: BrowserContext, issue: (unshared: boolean) => Promise<IssueResult>): Promise<PageChallenge> {
  const { c } = bc;
  const respelled = c.req.method === "GET" || c.req.method === "HEAD" ? configuredSpelling(bc.service, bc.url) : undefined;
  if (respelled !== undefined) {
    bc.log({ outcome: "redirected", reason: "path_case" });
    return { answered: c.body(null, 303, { Location: `${respelled}${bc.url.search}`, "Cache-Control": "no-store" }) };
  }
  const resumed = await resumePending(bc);
  if (resumed !== undefined && "paid" in resumed) return { answered: resumed.paid };
  if (resumed !== undefined) return { ok: true, value: { parts: resumed.show, reused: true } };
  if (!isBounded(bc)) return mintOwn(bc, issue, undefined);
  const key = pageInvoiceKey(bc);
  return oneAtATime(key, async () => {
    const open = await openPageInvoice(bc, key);
    if (open === undefined) return mintOwn(bc, issue, key);
    const probe = readCookie(c, "probe", bc.service.name);
    if (probe !== undefined && openProbe(bc.paywall.keyring, bc.service.name, probe) === open) return mintOwn(bc, issue, key);
    const shared = await issue(false);
    if (!shared.ok) return shared;
    writeCookie(c, "probe", bc.service.name, sealProbe(bc.paywall.keyring, bc.service.name, open), bc.paywall.challengeCacheSeconds);
    return { ok: true, value: { ...shared.value, probe: { returned: probe !== undefined } } };
  });
}

/** An invoice for this browser alone: its pending cookie, and (bounded) the client's open page invoice. */
async function mintOwn(bc: BrowserContext, issue: (unshared: boolean) => Promise<IssueResult>, key: string | undefined): Promise<PageChallenge> {
  const issued = await issue(true);
  if (!issued.ok) return issued;
  rememberPending(bc, issued.value.parts);
  if (key !== undefined) {
    await rememberPageInvoice(bc, key, issued.value.parts);
    if (readCookie(bc.c, "probe", bc.service.name) !== undefined) clearCookie(bc.c, "probe", bc.service.name);
  }
  return issued;
}

/** Per client key, the page request being decided right now (per isolate): concurrent views of one client wait, then see its invoice. */
const deciding = new Map<string, Promise<PageChallenge>>();

async function oneAtATime(key: string, decide: () => Promise<PageChallenge>): Promise<PageChallenge> {
  for (let running = deciding.get(key); running !== undefined; running = deciding.get(key)) await running.catch(() => undefined);
  const ours = decide();
  deciding.set(key, ours);
  try {
    return await ours;
  } finally {
    if (deciding.get(key) === ours) deciding.delete(key);
  }
}
