import Negotiator from "negotiator";
import { fail, succeed, type Result } from "../result.ts";
import { canonicalUrl } from "./canonical-url.ts";

/** Headers as the paywall reads them: by name, case-insensitively (a Web `Headers` is one). */
export interface HeaderReader {
  get(name: string): string | null;
}

/**
 * A request as the paywall decides it: plain data, whatever the runtime or
 * framework it arrived through (the adapters read it: middleware.ts,
 * fetch-adapter.ts).
 */
export interface PaywallRequest {
  readonly method: string;
  /** The canonical URL (canonical-url.ts): what is matched, and what an origin receives. */
  readonly url: URL;
  readonly headers: HeaderReader;
  /** The client's address (for free allowances, the mint limit and the challenge cache), and its user agent. */
  readonly client: { readonly address: string | null; readonly userAgent: string | null };
  /** Unix seconds. */
  readonly now: number;
}

/**
 * Reads a request for the paywall: its URL put in canonical form, or a refusal
 * (a path with no single meaning; a GET or HEAD with a body, which fetch()
 * could not pass on, so no origin could receive it).
 */
export function readRequest(request: Request, client: PaywallRequest["client"], now: number): Result<PaywallRequest, "ambiguous_path" | "body_not_allowed"> {
  const canonical = canonicalUrl(new URL(request.url));
  if (!canonical.ok) return canonical;
  const { method, headers } = request;
  if ((method === "GET" || method === "HEAD") && request.body !== null && headers.get("content-length") !== "0") {
    return fail("body_not_allowed", `a ${method} request cannot carry a body`);
  }
  return succeed({ method, url: canonical.value, headers, client, now });
}

/** A browser asking for a page: HTML preferred to JSON in Accept, and no request body. */
export function wantsPage(headers: HeaderReader): boolean {
  if (headers.get("content-type") !== null) return false;
  const accept = headers.get("accept");
  if (accept === null) return false;
  return new Negotiator({ headers: { accept } }).mediaType(["application/json", "text/html"]) === "text/html";
}

/** A gRPC call, answered the reference's way (respond.ts). */
export const isGrpc = (headers: HeaderReader): boolean => (headers.get("content-type") ?? "").toLowerCase().startsWith("application/grpc");
