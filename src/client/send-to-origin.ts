import { isChallenge, refusalReason } from "./challenge-offer.ts";

const MAX_REDIRECTS = 20;
/** The caller's credentials, which a redirect to another origin does not carry (as undici's and curl's redirects drop them). */
const ORIGIN_BOUND_HEADERS = ["authorization", "proxy-authorization", "cookie", "cookie2"];
const isRedirect = (status: number) => status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
/**
 * A page or a worker of a browser, whose fetch hides where a redirect leads
 * (`redirect: "manual"` answers an opaque redirect): there the browser follows
 * redirects, and drops Authorization on the way to another origin, as the Fetch
 * standard has it (its cookies are its own; a script sends none).
 */
const IN_BROWSER = typeof (globalThis as { document?: unknown }).document === "object" || typeof (globalThis as { importScripts?: unknown }).importScripts === "function";

/** A credential: the header that carries it (`Authorization`, or x402's `PAYMENT-SIGNATURE`) and its value. */
export interface Credential {
  readonly header: string;
  readonly value: string;
}

/** An answer, and the origin that gave it (another than the one asked, at the end of a redirect). */
export interface Sent {
  readonly response: Response;
  readonly from: string;
  /**
   * The request the answer is for, where redirects led to another: what a paid
   * retry sends, since the first was answered (a 303 after a POST that placed
   * an order: sent again, it would place another). "unknown" where a browser
   * followed the redirects unseen, for a request other than GET or HEAD.
   */
  readonly answered?: Redirected | "unknown";
}

/** A request as a redirect left it: where, with what method and body (a 303 makes it a GET without one). */
export interface Redirected {
  readonly request: Request;
  readonly body: ArrayBuffer | null;
}

/** The headers that describe a body, which a redirect making the request a GET drops (as fetch() does). */
const BODY_HEADERS = ["content-type", "content-encoding", "content-language", "content-location"];

/**
 * A failure to send a redirect's next request: the first was sent and answered
 * (with its credential), whatever the failure's cause says of this one.
 */
export class FailedAfterRedirect extends TypeError {
  constructor(error: TypeError) {
    super(error.message, { cause: error.cause });
  }
}

/** A redirect not followed (no http(s) URL, too many, `redirect: "error"`): the request was answered, and sending it again gets the same. */
export class RedirectRefused extends TypeError {}

/**
 * Sends the request with `credential` (to the origin asked only), following
 * redirects here, not by the platform's fetch, as the request asks: so that a
 * credential is only ever sent to, and the answer read from, the origin that was asked.
 * In a browser, which shows no redirect, the browser follows them for an
 * `Authorization` credential (it drops that header on the way to another origin).
 */
export async function sendToOrigin(fetcher: typeof fetch, request: Request, body: ArrayBuffer | null, credential: Credential | undefined): Promise<Sent> {
  const asked = new URL(request.url);
  // The browser's own fetch only: another (a test's DOM on Node, a wrapper) may not drop what the browser's does.
  if (IN_BROWSER && fetcher === globalThis.fetch && (credential === undefined || credential.header.toLowerCase() === "authorization")) {
    const headers = new Headers(request.headers);
    if (credential !== undefined) headers.set(credential.header, credential.value);
    const response = await fetcher(asked.href, { method: request.method, headers, body, redirect: request.redirect, signal: request.signal });
    const from = new URL(response.url || asked.href).origin;
    return response.redirected && !SAFE_TWICE.has(request.method) ? { response, from, answered: "unknown" } : { response, from };
  }
  let url = asked;
  let method = request.method;
  let payload = body;
  const carried = new Headers(request.headers);
  /** The answer at `url`, and, after a redirect, the request it answers. */
  const answer = (response: Response, hops: number): Sent =>
    hops === 0 ? { response, from: url.origin } : { response, from: url.origin, answered: { request: new Request(url, { method, headers: carried, redirect: request.redirect, signal: request.signal }), body: payload } };
  for (let hops = 0; ; hops++) {
    const headers = new Headers(carried);
    if (url.origin !== asked.origin) for (const name of ORIGIN_BOUND_HEADERS) headers.delete(name);
    else if (credential !== undefined) headers.set(credential.header, credential.value);
    const response = await fetcher(url.href, { method, headers, body: payload, redirect: "manual", signal: request.signal }).catch((error: unknown) => {
      throw hops > 0 && error instanceof TypeError ? new FailedAfterRedirect(error) : error;
    });
    // A browser's (x402's header, which it would carry to another origin; or a fetch not its own): the request was answered, and
    // sending it again would do it twice; the caller gets the redirect as `redirect: "manual"` gives it. (Workers' Response types lack the type.)
    if ((response.type as string) === "opaqueredirect") return answer(response, hops);
    const location = response.headers.get("location");
    if (request.redirect === "manual" || !isRedirect(response.status) || location === null) return answer(response, hops);
    await response.body?.cancel();
    if (request.redirect === "error") throw new RedirectRefused(`redirect from ${url.href} refused (redirect: "error")`);
    if (hops >= MAX_REDIRECTS) throw new RedirectRefused(`more than ${MAX_REDIRECTS} redirects from ${asked.href}`);
    url = redirectTarget(location, url);
    if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === "POST")) {
      method = method === "HEAD" ? "HEAD" : "GET";
      payload = null;
      for (const name of BODY_HEADERS) carried.delete(name);
    }
  }
}

/**
 * Sends a paid credential for one request, and once more where sending fails
 * and sending again cannot do the request twice: one that never arrived is not
 * lost. A credential on a service sold by `uses` may be taken more than once,
 * so only a request that is the same done twice (GET, HEAD, OPTIONS) is sent
 * again after a failure it may have outlived, and any other only where no
 * connection was made for it (not for a redirect's next request: the first
 * was answered); none after a redirect not followed, which would come again.
 * One that did arrive and is refused as spent the second
 * time: its answer is what was lost, and the failure is the caller's answer,
 * not a 402 for a request that was served. `lost` is told of a failure after
 * which the credential may never have been answered (an abort, a connection
 * lost, one not sent again), so it can be kept for a retry.
 */
export async function sendPaidOnce(send: (credential: Credential) => Promise<Sent>, credential: Credential, method: string, lost: () => void = () => undefined): Promise<Sent> {
  try {
    return await send(credential);
  } catch (error) {
    const neverSent = !(error instanceof FailedAfterRedirect) && NEVER_CONNECTED.has(String((error as { cause?: { code?: unknown } }).cause?.code));
    if (!(error instanceof TypeError) || error instanceof RedirectRefused || !(SAFE_TWICE.has(method) || neverSent)) throw unanswered(error, lost);
    const again = await send(credential).catch((second: unknown) => {
      throw unanswered(second, lost);
    });
    if (!isChallenge(again.response) || (await refusalReason(again.response)) !== "spent") return again;
    await again.response.body?.cancel();
    throw error;
  }
}

/** `error`, after telling `lost` where the credential may never have been answered (not after a redirect, whose first request was). */
function unanswered(error: unknown, lost: () => void): unknown {
  if (!(error instanceof RedirectRefused || error instanceof FailedAfterRedirect)) lost();
  return error;
}

const SAFE_TWICE = new Set(["GET", "HEAD", "OPTIONS"]);
/** Failures before any connection was made (Node's and undici's codes): nothing was sent. */
const NEVER_CONNECTED = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);

/** Where a redirect leads; as fetch() has it, a Location that is no URL, or not an http(s) one, is a network error (a TypeError). */
function redirectTarget(location: string, from: URL): URL {
  let target: URL | undefined;
  try {
    target = new URL(location, from);
  } catch {
    target = undefined;
  }
  if (target?.protocol === "http:" || target?.protocol === "https:") return target;
  throw new RedirectRefused(`${from.href} redirected to ${JSON.stringify(location.slice(0, 200))}, which is not an http(s) URL`);
}
