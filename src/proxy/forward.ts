import type { OriginConfig } from "../config/index.ts";
import { fail, succeed, type Result } from "../l402/index.ts";
import { asGatewayReadsIt, type HeaderSpellings } from "../header-spellings.ts";
import { asReceived, DECODED_ACCEPT_ENCODING, fetchDecodes } from "./as-received.ts";
import { publicLocation } from "./public-location.ts";
import { bodyToSend } from "./request-body.ts";
import { unicodeReading } from "../unicode-reading.ts";

/** Headers that carry a credential (L402, Payment, x402), in any spelling a CGI-style origin reads as them; none reach the origin unless the service says so. */
const CREDENTIAL_HEADERS: ReadonlySet<string> = new Set(["authorization", "macaroon", "grpc-metadata-macaroon", "payment-signature"]);
export const TOKEN_ID_HEADER = "X-L402-Token-Id";
/**
 * Headers that name another host or path than the request's, which origins
 * route by (Rails and Symfony read X-Forwarded-Host, IIS and Symfony
 * X-Original-URL and X-Rewrite-URL, Spring X-Forwarded-Prefix): the paywall
 * matched the request's own, so a client's never reaches the origin.
 */
export const ROUTING_HEADERS = ["X-Forwarded-Host", "Forwarded", "X-Original-URL", "X-Rewrite-URL", "X-Original-Host", "X-Forwarded-Prefix", "X-Host"];

export interface ForwardOptions {
  readonly origin: OriginConfig | undefined;
  /** Hex token id of the paid credential; absent for free traffic. */
  readonly tokenId: string | undefined;
  /** `[header, secret]` proving to the origin that the request came through the paywall. */
  readonly originAuth: readonly [string, string] | undefined;
  /** The headers the paywall owns toward the origin (`headerSpellings`, made once); a client never sets them, in any spelling. */
  readonly reservedHeaders: HeaderSpellings;
  readonly headersTimeoutMs: number;
  /** The service matched ignoring case, so its `strip_prefix` is removed ignoring case too. */
  readonly ignoreCase: boolean;
  /** Cookies of the client's that are not the origin's business (the paywall's own), by name. */
  readonly withholdCookie: (name: string) => boolean;
  /**
   * The answer's body is read on its way (a metered stream): the origin is
   * asked for it uncoded, whatever coding the client asked for. One the
   * runtime does not decode (deflate, zstd) would pass unread.
   */
  readonly readsBody?: boolean;
  /**
   * The service's cost header (`cost_header`), as a CGI-style gateway reads it:
   * the origin's word to the paywall, so a client's own is never forwarded
   * (an origin that echoes request headers would report the client's cost).
   */
  readonly costHeader?: string | undefined;
  /** A header whose value is made for the upstream URL (the signed payment context), when this request has one. */
  readonly signed?: { readonly header: string; readonly value: (upstream: URL) => Promise<string> } | undefined;
}

/**
 * Sends the request on to the origin, at `url` (the canonical form of its URL,
 * the one the paywall matched) or the service's origin. Bodies stream both ways
 * (the request body is passed as a stream, the response returned as it
 * arrives), method, query and headers are kept, WebSocket upgrades pass through
 * (on Workers: Node's fetch refuses an upgrade);
 * the origin's redirects to itself are moved back to the paywall (public-location.ts).
 *
 * Why not `hono/proxy`: it drops the `Upgrade` header as hop-by-hop and rebuilds
 * the response without its `webSocket`, so a WebSocket could not pass.
 */
export async function forward(request: Request, url: URL, options: ForwardOptions): Promise<Result<Response, "origin_unreachable" | "origin_timeout" | "body_longer_than_stated" | "origin_range_decoded">> {
  const headers = new Headers(request.headers);
  // One pass over the names sent, a delete for each one found: each call on a Headers crosses into the runtime.
  let cookie = false;
  const names = [...headers.keys()];
  // Read only where sent (most requests, through Cloudflare, carry neither): a WebSocket's handshake goes on (Upgrade: websocket, Connection: Upgrade); any other upgrade (curl's h2c) is this hop's.
  const websocket = names.includes("upgrade") && headers.get("upgrade")?.trim().toLowerCase() === "websocket";
  const named = names.includes("connection") ? connectionOptions(headers.get("connection") ?? "") : NONE;
  const operatorSet = operatorHeaders(options.origin?.headers);
  for (const name of names) {
    // Every spelling an origin behind a CGI-style gateway reads as one the paywall owns (PHP, Django and WSGI make `X_L402_Token_Id` the token id too).
    const readAs = asGatewayReadsIt(name);
    // A forwarded credential goes as the paywall read it: another spelling of it, unchecked, never.
    if (options.reservedHeaders.wanted.has(readAs) || readAs === options.costHeader || operatorSet.has(readAs) || (CREDENTIAL_HEADERS.has(readAs) && (options.origin?.forwardAuthorization !== true || readAs !== name))) headers.delete(name);
    // The client's connection's own: Node's fetch refuses them.
    else if ((CONNECTION_HEADERS.has(name) || name === "upgrade" || named.has(name)) && !(websocket && (name === "connection" || name === "upgrade"))) headers.delete(name);
    else if (name === "cookie") cookie = true;
  }
  if (cookie) withoutCookies(headers, options.withholdCookie);
  if (names.includes("te")) onlyTrailers(headers);
  for (const [name, value] of options.origin?.headers ?? []) headers.set(name, value);
  // After the operator's headers: a meter that cannot read the answer would bill it at its first reservation. Where the fetch decodes (as-received.ts), a range decoded would not be the bytes asked for, and a coding it decodes unknown to this code would reach the client labelled.
  if (options.readsBody === true || (fetchDecodes() && headers.has("range"))) headers.set("accept-encoding", "identity");
  else if (fetchDecodes()) headers.set("accept-encoding", DECODED_ACCEPT_ENCODING);
  if (options.tokenId !== undefined) headers.set(TOKEN_ID_HEADER, options.tokenId);
  if (options.originAuth !== undefined) headers.set(options.originAuth[0], options.originAuth[1]);
  const upstream = upstreamUrl(url, options.origin, options.ignoreCase);
  // Parsed again only for a signature over it: fetch() takes the string.
  if (options.signed !== undefined) headers.set(options.signed.header, await options.signed.value(new URL(upstream)));

  const body = bodyToSend(request);
  // The timeout covers the wait for the origin's headers once the request is sent: neither a long upload nor a long download is cut.
  const abort = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let settled = false;
  const awaitAnswer = () => {
    if (!settled) timer = setTimeout(() => abort.abort(), options.headersTimeoutMs);
  };
  if (body.sent === undefined) awaitAnswer();
  else void body.sent.then(awaitAnswer);
  try {
    // A stream body, as Node's fetch needs said (workerd takes it as well).
    const init = { method: request.method, headers, body: body.stream, redirect: "manual", signal: abort.signal, ...(body.stream === null ? {} : { duplex: "half" }) } as RequestInit;
    const received = asReceived(await fetch(upstream, init));
    if (!received.ok) return received;
    const response = received.value;
    const location = response.headers.get("location");
    if (location === null) return succeed(response);
    const moved = publicLocation(location, url, options.origin);
    if (moved === location) return succeed(response);
    const answer = new Response(response.body, response);
    answer.headers.set("location", moved);
    return succeed(answer);
  } catch {
    if (await body.overran) return fail("body_longer_than_stated", "the request body is longer than its Content-Length");
    return abort.signal.aborted ? fail("origin_timeout", "the origin did not answer in time") : fail("origin_unreachable", "the origin did not answer");
  } finally {
    settled = true;
    if (timer !== undefined) clearTimeout(timer);
  }
}

/**
 * The names of a service's `origin.headers` as a CGI-style origin reads them:
 * a client's `X_Tier` would be read as the operator's `X-Tier` (and may win),
 * so every spelling of one is taken off before the operator's is set. Kept per
 * service's map, made once.
 */
const operatorHeadersRead = new WeakMap<ReadonlyMap<string, string>, ReadonlySet<string>>();
const NONE: ReadonlySet<string> = new Set();
function operatorHeaders(given: ReadonlyMap<string, string> | undefined): ReadonlySet<string> {
  if (given === undefined || given.size === 0) return NONE;
  let read = operatorHeadersRead.get(given);
  if (read === undefined) operatorHeadersRead.set(given, (read = new Set([...given.keys()].map(asGatewayReadsIt))));
  return read;
}

/**
 * Headers about the client's connection to this hop, not the request (RFC
 * 9110 §7.6.1), never forwarded: the runtime frames the request to the origin
 * itself. `Expect: 100-continue` (curl sends it with a body over 1 KiB) was
 * answered by this hop's server, the body streaming on. `TE` goes on as
 * `trailers` alone (onlyTrailers), and a WebSocket's `Upgrade` and `Connection`.
 */
const CONNECTION_HEADERS: ReadonlySet<string> = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "expect"]);

/** The fields a Connection header names, which are this hop's too (RFC 9110 §7.6.1: h2c's HTTP2-Settings); never the body's own framing or the host: taken off, the origin would get a body it may refuse (411); nor TE, whose `trailers` goes on. */
function connectionOptions(value: string): ReadonlySet<string> {
  const named = new Set(value.split(",").map((token) => token.trim().toLowerCase()));
  // TE is named there as HTTP/1.1 asks of its sender: what goes on of it is onlyTrailers' to say.
  for (const kept of ["content-length", "content-type", "host", "te"]) named.delete(kept);
  return named;
}

/**
 * `TE` names the transfer codings this hop's client takes (RFC 9110 §10.1.4),
 * not the origin's: one the origin applied (`gzip`) would reach a meter
 * coded, its bytes counted as they are, its events unread. Only `trailers`
 * goes on (gRPC needs it).
 */
function onlyTrailers(headers: Headers): void {
  const trailers = (headers.get("te") ?? "").split(",").some((coding) => coding.split(";")[0]?.trim().toLowerCase() === "trailers");
  if (trailers) headers.set("te", "trailers");
  else headers.delete("te");
}

/**
 * The paywall's own cookies (credentials of browser payments) are its business,
 * never the origin's, in whatever spelling a client sends them
 * (paywall/browser/cookies.ts). Their values never hold `;` or `,`, so each
 * goes with the separator before it, however the client's Cookie lines were
 * joined; the visitor's other cookies pass as they came.
 */
const COOKIE_PAIR = /(^|[;,])([^;,]*)/g;

function withoutCookies(headers: Headers, withhold: (name: string) => boolean): void {
  const cookie = headers.get("cookie");
  if (cookie === null) return;
  const kept = cookie.replace(COOKIE_PAIR, (pair: string, _separator: string, text: string) => (withhold(text.split("=")[0] ?? "") ? "" : pair)).replace(/^[\s;,]+/, "");
  if (kept === "") headers.delete("cookie");
  else headers.set("cookie", kept);
}

/**
 * The request's own URL (Worker on a route), or the configured origin with the
 * prefix swapped. The prefix (canonical, as paths are: config/services.ts) is
 * compared with the path as sent, ignoring case unless the service matches
 * case, or else as an origin comparing Unicode reads both (unicode-reading.ts),
 * as the service's patterns are matched: `/CAFÉ/x` and `/cafe%CC%81/x` lose a
 * `/café` prefix.
 */
export function upstreamUrl(incoming: URL, origin: OriginConfig | undefined, ignoreCase = false): string {
  if (origin?.url === undefined) return incoming.href;
  const path = incoming.pathname;
  const prefix = origin.stripPrefix.replace(/\/$/, "");
  const rest = prefix === "" ? undefined : afterPrefix(path, prefix, ignoreCase);
  return `${originBase(origin.url, origin)}${rest === undefined ? path : rest || "/"}${incoming.search}`;
}

/** What follows `prefix` in `path`, a whole number of segments in; undefined when the path is not under it. */
function afterPrefix(path: string, prefix: string, ignoreCase: boolean): string | undefined {
  const comparable = (text: string) => (ignoreCase ? text.toLowerCase() : text);
  if (comparable(path) === comparable(prefix) || comparable(path).startsWith(`${comparable(prefix)}/`)) return path.slice(prefix.length);
  // As read: the path's first as many segments as the prefix has (a reading never moves a slash), the rest as sent.
  const head = path.split("/").slice(0, prefix.split("/").length).join("/");
  const read = (text: string) => comparable(unicodeReading(text, ignoreCase) ?? text);
  return read(head) === read(prefix) ? path.slice(head.length) : undefined;
}

const originBases = new WeakMap<OriginConfig, string>();

/**
 * The origin's URL without query, fragment or trailing slash, made once per
 * origin (a URL parsed and set anew cost ~5 µs a request in workerd). A path
 * joined to it is a URL's own (canonical, escaped), so the join is the URL that
 * setting the path and query would make.
 */
function originBase(url: URL, origin: OriginConfig): string {
  let base = originBases.get(origin);
  if (base === undefined) {
    const parsed = new URL(url);
    parsed.search = "";
    parsed.hash = "";
    base = parsed.href.replace(/\/$/, "");
    originBases.set(origin, base);
  }
  return base;
}
