import { concatBytes } from "../bytes.ts";
import { fail, succeed, type Result } from "../result.ts";
import { canonicalUrl } from "../canonical-url.ts";
import type { ServiceConfig } from "../config/index.ts";
import { readsAsAnotherService } from "./path-readings.ts";

/** Headers as the paywall reads them: by name, case-insensitively (a Web `Headers` is one). */
export interface HeaderReader {
  get(name: string): string | null;
}

/** A request's headers: read by name, and listed by name, as a Web `Headers` lists them (lower case). */
export interface RequestHeaders extends HeaderReader {
  keys(): Iterable<string>;
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
  readonly headers: RequestHeaders;
  /** The client's address (for free allowances, the mint limit and the challenge cache), and its user agent. */
  readonly client: { readonly address: string | null; readonly userAgent: string | null };
  /** Unix seconds. */
  readonly now: number;
  /** The body's bytes, up to `limit` (undefined beyond it), read from a copy: what a request bound to its payment is hashed over. */
  readonly readBody?: (limit: number) => Promise<Uint8Array | undefined>;
}

/**
 * Reads a request for the paywall: its URL put in canonical form, or a refusal
 * (a path with no single meaning, or one falling under another of `services`
 * as an origin comparing Unicode reads it: path-readings.ts; a GET or HEAD with a body, which fetch()
 * could not pass on, so no origin could receive it).
 */
export function readRequest(request: Request, client: PaywallRequest["client"], now: number, services: readonly ServiceConfig[]): Result<PaywallRequest, "ambiguous_path" | "body_not_allowed"> {
  const canonical = canonicalUrl(new URL(request.url));
  if (!canonical.ok) return canonical;
  if (readsAsAnotherService(services, canonical.value)) return fail("ambiguous_path", "the path falls under another service where Unicode is composed or its case ignored");
  const { method, headers } = request;
  if ((method === "GET" || method === "HEAD") && request.body !== null && headers.get("content-length") !== "0") {
    return fail("body_not_allowed", `a ${method} request cannot carry a body`);
  }
  return succeed({ method, url: canonical.value, headers, client, now, readBody: bodyReader(request) });
}

/** Reads a copy of the body once, however often asked, up to the first limit asked for; the request keeps its own. */
function bodyReader(request: Request): (limit: number) => Promise<Uint8Array | undefined> {
  let read: Promise<Uint8Array | undefined> | undefined;
  return (limit) => (read ??= readUpTo(request.clone().body, limit));
}

async function readUpTo(body: ReadableStream<Uint8Array> | null, limit: number): Promise<Uint8Array | undefined> {
  if (body === null) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let length = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.byteLength;
    if (length > limit) {
      // Not awaited: cancelling one branch of a tee settles only once the other is cancelled or read to its end.
      void reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  return concatBytes(...chunks);
}
