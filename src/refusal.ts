/**
 * How the code refuses a request, wherever it does (the paywall's respond.ts,
 * the forwarder's 404/502/504): JSON `{ reason, detail, … }` with
 * `Cache-Control: no-store`, the request id on a 5xx (so an operator finds its
 * log line). gRPC clients get HTTP 200 with `grpc-status` / `grpc-message`, as
 * the reference does (Loop's interceptor looks for status 13 "payment required").
 */
const GRPC_STATUS: Record<number, number> = { 400: 3, 402: 13, 403: 7, 404: 12, 413: 8, 429: 8, 431: 3, 500: 13, 502: 14, 503: 14, 504: 4 };

export type RefusalStatus = 400 | 402 | 403 | 404 | 413 | 429 | 431 | 500 | 502 | 503 | 504;

export interface RefusalContext {
  /** The request's headers: a gRPC call is answered gRPC's way. */
  readonly headers: { get(name: string): string | null };
  /** The request's id, for 5xx answers. */
  readonly requestId?: string | undefined;
}

/** The request's id, where hono/request-id (or an app) put one in the context's variables (`c.var`). */
export function requestIdIn(variables: object): string | undefined {
  const id = (variables as { requestId?: unknown }).requestId;
  return typeof id === "string" ? id : undefined;
}

export function refusal(
  status: RefusalStatus,
  body: { readonly reason: string; readonly detail: string; readonly [member: string]: unknown },
  context: RefusalContext,
  headers: Headers | Readonly<Record<string, string>> = {},
): Response {
  const out = new Headers(headers);
  out.set("Cache-Control", "no-store");
  if ((context.headers.get("content-type") ?? "").toLowerCase().startsWith("application/grpc")) {
    out.set("Content-Type", "application/grpc");
    out.set("grpc-status", String(GRPC_STATUS[status] ?? 2));
    out.set("grpc-message", status === 402 ? "payment required" : encodeURIComponent(body.detail));
    return new Response(null, { status: 200, headers: out });
  }
  if (!out.has("Content-Type")) out.set("Content-Type", "application/json");
  const withId = status >= 500 && context.requestId !== undefined ? { ...body, request_id: context.requestId } : body;
  return new Response(JSON.stringify(withId), { status, headers: out });
}
