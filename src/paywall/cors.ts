/** A CORS preflight for a paid path, answered at the edge so browsers can send Authorization. */
export const isPreflight = (request: Request): boolean =>
  request.method === "OPTIONS" && request.headers.has("origin") && request.headers.has("access-control-request-method");

export function preflightResponse(request: Request): Response {
  const requested = request.headers.get("access-control-request-headers");
  return new Response(null, {
    status: 204,
    headers: {
      "Access-Control-Allow-Origin": request.headers.get("origin") ?? "*",
      "Access-Control-Allow-Methods": "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS",
      "Access-Control-Allow-Headers": requested ?? "Authorization, Content-Type",
      "Access-Control-Expose-Headers": "WWW-Authenticate, X-L402-Token-Id",
      "Access-Control-Max-Age": "86400",
      Vary: "Origin",
    },
  });
}

/** Lets a browser read a forwarded answer when the origin itself says nothing about CORS. */
export function withCors(request: Request, response: Response): Response {
  const origin = request.headers.get("origin");
  if (origin === null || response.headers.has("access-control-allow-origin") || response.webSocket) return response;
  const headers = new Headers(response.headers);
  headers.set("Access-Control-Allow-Origin", origin);
  headers.append("Vary", "Origin");
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}
