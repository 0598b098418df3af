/**
 * An id for each request, to find its log line from an error answer's
 * `request_id`: Cloudflare's ray id when there is one (always, deployed), else
 * this isolate's random prefix and a count. Unique per isolate and unguessable
 * across isolates, and a fraction of the cost of a random UUID per request,
 * which showed in the paid path's profile where no ray id comes (workerd
 * locally, the benchmarks).
 */
let prefix: string | undefined;
let count = 0;

export function requestIdFor(rayId: string | undefined): string {
  if (rayId !== undefined) return rayId;
  // Drawn on the first request: a Worker may not draw random values at start-up.
  prefix ??= Array.from(crypto.getRandomValues(new Uint8Array(8)), (byte) => byte.toString(16).padStart(2, "0")).join("");
  count++;
  return `${prefix}-${count.toString(36)}`;
}
