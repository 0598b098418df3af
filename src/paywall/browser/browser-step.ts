import { randomBytes, toBase64Url } from "../../bytes.ts";
import { termsOf, type ServiceConfig } from "../../config/index.ts";
import type { CookieChange, Decision, Refusal, Reply } from "../decision.ts";
import type { Challenger } from "../issue-challenge.ts";
import { isFreePath, matchService } from "../match.ts";
import type { Paywall } from "../paywall.ts";
import type { PaywallRequest, RequestHeaders } from "../request.ts";
import { wantsPage } from "../wants-page.ts";
import { continuePage } from "../page.ts";
import { claimingScheme } from "../schemes/claim.ts";
import type { BrowserContext } from "./browser-context.ts";
import { answerBrowserRequest, BROWSER_HEADER, collect, holdsValidCookie, pendingOf } from "./browser-payments.ts";
import { configuredSpelling } from "./configured-spelling.ts";
import { clearCookie, readCookie } from "./cookies.ts";
import { pageChallenger } from "./page-challenge.ts";
import { cookieUse } from "./request-site.ts";

/**
 * What browser payments do around a decision, which knows nothing of them:
 *
 * before (this module): answer the page script's own requests (poll,
 * complete), read the credential cookie as the request's credential (or
 * refuse another site's unsafe use of it), and for a page: send a path typed
 * in another case to the service's spelling, collect the browser's pending
 * challenge once paid (303 to the content), and issue its challenge as a
 * page's (page-challenge.ts);
 *
 * after (`afterDecide`): the cookies the steps set, a credential cookie that
 * can never be accepted again cleared, and an answer paid by the cookie kept
 * private to the browser that sent it.
 */
export type BeforeDecide =
  | { readonly kind: "answered"; readonly answer: Reply | Refusal }
  | { readonly kind: "decide"; readonly step: BrowserStep | undefined };

export interface BrowserStep {
  /** The request as the decision sees it: the credential cookie read as its credential. */
  readonly request: PaywallRequest;
  readonly challenger: Challenger | undefined;
  readonly cookies: readonly CookieChange[];
  readonly byCookie: boolean;
}

/** Refusals that say nothing against a credential cookie in general: it may still serve other requests (a cheaper one, the one it was bound to). */
const KEEPS_COOKIE: ReadonlySet<string> = new Set(["capability_denied", "service_mismatch", "price_exceeds_token", "request_mismatch"]);

export async function beforeDecide(request: PaywallRequest, paywall: Paywall): Promise<BeforeDecide> {
  const kind = request.headers.get(BROWSER_HEADER);
  if (kind === null && !paywall.settings.services.some((service) => service.browser)) return { kind: "decide", step: undefined };
  const service = matchService(paywall.settings.services, request.url);
  if (service === undefined || !service.auth || isFreePath(service, request.url)) return { kind: "decide", step: undefined };
  if (kind !== null) {
    if (service.browser) return { kind: "answered", answer: await answerBrowserRequest({ request, paywall, service }, kind) };
    const detail = `this service takes no browser payments (${BROWSER_HEADER})`;
    return { kind: "answered", answer: { kind: "refuse", status: 400, reason: "browser_payments_off", detail, cookies: [], outcome: { outcome: "refused", service: service.name, reason: "browser_payments_off" } } };
  }
  if (!service.browser) return { kind: "decide", step: undefined };
  return withCookieCredential({ request, paywall, service });
}

/** The credential cookie, where the request carries no credential of its own and may use the cookie; then a page's own steps. */
async function withCookieCredential(bc: BrowserContext): Promise<BeforeDecide> {
  const { request, paywall, service } = bc;
  const text = claimingScheme(request.headers, paywall.schemes) === undefined ? readCookie(request, "token", service.name) : undefined;
  // A metered token's cookie is spent by its own site's requests only: a browser sends
  // `Sec-Fetch-User` for any navigation a script makes inside a click, so another site's
  // button could spend a use. Arriving from elsewhere, the page's own poll finds the
  // cookie paid and reloads into the content (browser-payments.ts).
  const use = text === undefined ? "ignore" : cookieUse(request.method, request.headers, request.url.origin, service.uses === undefined);
  if (use === "refuse") {
    const detail = "a request from another origin cannot change anything with the paywall's cookie; send the credential in the Authorization header";
    return { kind: "answered", answer: { kind: "refuse", status: 403, reason: "cross_origin_cookie", detail, cookies: [], outcome: { outcome: "refused", service: service.name, reason: "cross_origin_cookie" } } };
  }
  const byCookie = use === "use";
  const seen = byCookie ? { ...request, headers: withAuthorization(request.headers, `L402 ${text}`) } : request;
  const isPage = (request.method === "GET" || request.method === "HEAD") && wantsPage(request.headers);
  if (isPage && use === "ignore" && text !== undefined && service.uses !== undefined && holdsValidCookie(bc, text)) return { kind: "answered", answer: continueReply(bc) };
  if (!isPage) return { kind: "decide", step: { request: seen, challenger: undefined, cookies: [], byCookie } };
  return pageSteps({ ...bc, request: seen }, byCookie);
}

/** A page: its configured spelling, then its pending challenge (collected once paid), then how its challenge is issued. */
async function pageSteps(bc: BrowserContext, byCookie: boolean): Promise<BeforeDecide> {
  const { request, service } = bc;
  const respelled = configuredSpelling(service, request.url);
  if (respelled !== undefined) return { kind: "answered", answer: redirect(service, `${respelled}${request.url.search}`, { outcome: "redirected", reason: "path_case" }, []) };
  const { pending, cookies } = pendingOf(bc);
  if (pending === undefined) return { kind: "decide", step: { request, challenger: pageChallenger(bc, undefined), cookies, byCookie } };
  const collected = await collect(bc, pending);
  if (collected.state === "paid") return { kind: "answered", answer: redirect(service, `${request.url.pathname}${request.url.search}`, { outcome: "collected", reason: "reload" }, collected.cookies) };
  // Pending, or the node cannot say right now: the same invoice is still the one to pay.
  const held = collected.state === "pending" || collected.state === "unavailable" ? pending : undefined;
  return { kind: "decide", step: { request, challenger: pageChallenger(bc, held), cookies: collected.cookies, byCookie } };
}

/** A page that offers to go on: this browser paid already, and a use is the person's to spend (page.ts). */
function continueReply({ request, service }: BrowserContext): Reply {
  const nonce = toBase64Url(randomBytes(16));
  const page = continuePage({ title: service.title ?? service.name, payee: request.url.host, terms: termsOf(service), nonce });
  return { kind: "reply", status: 200, body: { page, nonce }, headers: {}, cookies: [], outcome: { outcome: "already_paid", service: service.name } };
}

const redirect = (service: ServiceConfig, location: string, outcome: { outcome: "redirected" | "collected"; reason: string }, cookies: readonly CookieChange[]): Reply => ({
  kind: "reply",
  status: 303,
  body: undefined,
  headers: { Location: location },
  cookies,
  outcome: { ...outcome, service: service.name },
});

/** The decision with the browser steps' own cookies, and what a credential cookie's use means for it. */
export function afterDecide(decision: Decision, step: BrowserStep | undefined): Decision {
  if (step === undefined) return decision;
  const cookies = [...step.cookies];
  const service = decision.kind === "challenge" ? decision.service.name : undefined;
  // A cookie that can never be accepted again goes; one refused for this request alone stays.
  if (decision.kind === "challenge" && step.byCookie && !KEEPS_COOKIE.has(decision.failure.reason) && service !== undefined) cookies.push(clearCookie(step.request, "token", service));
  const withCookies = cookies.length === 0 ? decision : { ...decision, cookies: [...decision.cookies, ...cookies] };
  if (withCookies.kind === "pass" && step.byCookie && withCookies.private !== undefined) return { ...withCookies, private: { byCookie: true } };
  return withCookies;
}

/** The request's headers with another `Authorization`: the credential cookie, read as the credential it holds. */
function withAuthorization(headers: RequestHeaders, authorization: string): RequestHeaders {
  return { get: (name) => (name.toLowerCase() === "authorization" ? authorization : headers.get(name)), keys: () => headers.keys() };
}
