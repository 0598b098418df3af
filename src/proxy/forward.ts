import type { OriginConfig } from "../config/index.ts";

/** Headers that carry an L402 credential; none reach the origin unless the service says so. */
const CREDENTIAL_HEADERS = ["authorization", "macaroon", "grpc-metadata-macaroon"];
export const TOKEN_ID_HEADER = "X-L402-Token-Id";

export interface ForwardOptions {
  readonly origin: OriginConfig | undefined;
  /** Hex token id of the paid credential; absent for free traffic. */
  readonly tokenId: string | undefined;
  /** `[header, secret]` proving to the origin that the request came through the paywall. */
  readonly originAuth: readonly [string, string] | undefined;
  /** The headers the paywall owns toward the origin; a client never sets them. */
  readonly reservedHeaders: readonly string[];
  readonly headersTimeoutMs: number;
}

export type ForwardResult =
  | { readonly ok: true; readonly response: Response }
  | { readonly ok: false; readonly status: 502 | 504; readonly reason: "origin_unreachable" | "origin_timeout" };

/**
 * Sends the request on to the origin. Bodies stream both ways (the request body
 * is passed as a stream, the response returned as it arrives), method, query and
 * headers are kept, WebSocket upgrades pass through.
 */
export async function forward(request: Request, options: ForwardOptions): Promise<ForwardResult> {
  const headers = new Headers(request.headers);
  for (const name of options.reservedHeaders) headers.delete(name);
  if (!options.origin?.forwardAuthorization) for (const name of CREDENTIAL_HEADERS) headers.delete(name);
  for (const [name, value] of options.origin?.headers ?? []) headers.set(name, value);
  if (options.tokenId !== undefined) headers.set(TOKEN_ID_HEADER, options.tokenId);
  if (options.originAuth !== undefined) headers.set(options.originAuth[0], options.originAuth[1]);

  // The timeout covers the origin's headers only: a long download must not be cut.
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), options.headersTimeoutMs);
  try {
    const response = await fetch(upstreamUrl(request.url, options.origin), {
      method: request.method,
      headers,
      body: request.body,
      redirect: "manual",
      signal: abort.signal,
    });
    return { ok: true, response };
  } catch {
    return abort.signal.aborted
      ? { ok: false, status: 504, reason: "origin_timeout" }
      : { ok: false, status: 502, reason: "origin_unreachable" };
  } finally {
    clearTimeout(timer);
  }
}

/** The request's own URL (Worker on a route), or the configured origin with the prefix swapped. */
export function upstreamUrl(requestUrl: string, origin: OriginConfig | undefined): string {
  if (origin?.url === undefined) return requestUrl;
  const incoming = new URL(requestUrl);
  let path = incoming.pathname;
  if (origin.stripPrefix !== "" && (path === origin.stripPrefix || path.startsWith(`${origin.stripPrefix.replace(/\/$/, "")}/`))) {
    path = path.slice(origin.stripPrefix.replace(/\/$/, "").length) || "/";
  }
  const target = new URL(origin.url);
  target.pathname = `${target.pathname.replace(/\/$/, "")}${path}`;
  target.search = incoming.search;
  return target.href;
}
