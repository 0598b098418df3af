import type { Context } from "hono";

/**
 * Answers the paywall writes itself. gRPC clients get HTTP 200 with
 * `grpc-status` / `grpc-message`, as the reference does (Loop's interceptor looks
 * for status 13 "payment required"); everyone else gets the HTTP status and JSON.
 * A 5xx carries the request id (hono/request-id's `c.var.requestId`) when the
 * app has one, so an operator can find its log line.
 */
const GRPC_STATUS: Record<number, number> = { 400: 3, 402: 13, 403: 7, 404: 12, 429: 8, 431: 3, 500: 13, 502: 14, 503: 14, 504: 4 };

const isGrpc = (c: Context): boolean => (c.req.header("content-type") ?? "").toLowerCase().startsWith("application/grpc");

export function answer(
  c: Context,
  status: 400 | 402 | 403 | 404 | 429 | 431 | 500 | 502 | 503 | 504,
  body: { reason: string; detail: string; [key: string]: unknown },
  headers: Record<string, string | string[]> = {},
): Response {
  const out = { ...headers, "Cache-Control": "no-store" };
  if (isGrpc(c)) {
    const message = status === 402 ? "payment required" : encodeURIComponent(body.detail);
    return c.body(null, 200, { ...out, "Content-Type": "application/grpc", "grpc-status": String(GRPC_STATUS[status] ?? 2), "grpc-message": message });
  }
  const requestId = status >= 500 ? (c.var as { requestId?: string }).requestId : undefined;
  return c.json(requestId === undefined ? body : { ...body, request_id: requestId }, status, out);
}
