/**
 * Whether this code runs on Cloudflare Workers, as Workers say of themselves
 * (`navigator.userAgent`): where `CF-Connecting-IP` is Cloudflare's word, not
 * the client's, and an NWC relay is reached by a fetch upgrade (lightning/nwc/relay-socket.ts).
 */
export const onWorkers = (): boolean => (globalThis as { navigator?: { userAgent?: string } }).navigator?.userAgent === "Cloudflare-Workers";
