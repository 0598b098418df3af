/**
 * Answers the paywall writes itself. gRPC clients get HTTP 200 with
 * `grpc-status` / `grpc-message`, as the reference does (Loop's interceptor looks
 * for status 13 "payment required"); everyone else gets the HTTP status and JSON.
 */
const GRPC_STATUS: Record<number, number> = { 402: 13, 404: 12, 429: 8, 500: 13, 502: 14, 503: 14, 504: 4 };

export const isGrpc = (request: Request): boolean =>
  (request.headers.get("content-type") ?? "").toLowerCase().startsWith("application/grpc");

export function respond(
  request: Request,
  status: number,
  body: Record<string, unknown>,
  headers: HeadersInit = {},
): Response {
  const out = new Headers(headers);
  out.set("Cache-Control", "no-store");
  if (isGrpc(request)) {
    out.set("Content-Type", "application/grpc");
    out.set("grpc-status", String(GRPC_STATUS[status] ?? 2));
    out.set("grpc-message", status === 402 ? "payment required" : encodeURIComponent(String(body["detail"] ?? body["reason"])));
    return new Response(null, { status: 200, headers: out });
  }
  out.set("Content-Type", "application/json");
  return new Response(`${JSON.stringify(body)}\n`, { status, headers: out });
}

/** A request id for logs and error bodies: Cloudflare's ray id when present. */
export const requestIdOf = (request: Request): string => request.headers.get("cf-ray") ?? crypto.randomUUID();
