/**
 * A Worker that only forwards, to the origin in its `ORIGIN` binding: the floor
 * any Worker in front of an origin pays, against which the paywall's own cost
 * shows (throughput, start-up).
 */
export const BARE_WORKER = `export default {
  fetch(request, env) {
    const url = new URL(request.url);
    return fetch(env.ORIGIN + url.pathname + url.search, { method: request.method, headers: request.headers, body: request.body });
  },
};`;

/**
 * The least a paywall in front of an origin does on a paid request, beside the
 * bare Worker: a credential compared (standing in for a warm verification,
 * ~0.3 µs), taken off the request with the token id added, the origin's
 * headers awaited at most 30 s (a timer and an abort signal), and the answer
 * re-made to say `Cache-Control: private` (a fetched answer's headers cannot
 * be changed). No routing, no decision, no log line: what separates it from
 * the bare Worker is the part of a paid pass no paywall can leave out.
 */
export const MINIMAL_PAYWALL_WORKER = `export default {
  async fetch(request, env) {
    if (request.headers.get("authorization") !== env.CREDENTIAL) return new Response("payment required", { status: 402 });
    const url = new URL(request.url);
    const headers = new Headers(request.headers);
    headers.delete("authorization");
    headers.set("x-l402-token-id", "0123456789abcdef");
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), 30000);
    let response;
    try {
      response = await fetch(env.ORIGIN + url.pathname + url.search, { method: request.method, headers, body: request.body, redirect: "manual", signal: abort.signal });
    } finally {
      clearTimeout(timer);
    }
    const answer = new Response(response.body, response);
    answer.headers.set("cache-control", "private");
    return answer;
  },
};`;
