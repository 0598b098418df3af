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
