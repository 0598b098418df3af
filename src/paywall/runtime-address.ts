import { onWorkers } from "../platform.ts";

/**
 * The client's address as a fetch runtime hands it to its handler, beside the
 * request: a Worker's `CF-Connecting-IP` (Cloudflare sets it; elsewhere any
 * client could), Deno's `info.remoteAddr.hostname` (`Deno.serve`'s second
 * argument), Bun's `server.requestIP(request)` (`Bun.serve`'s), the socket's
 * address under @hono/node-server (`{ incoming }`). Null where the
 * runtime says nothing: every such client shares one free allowance and mint
 * limit, so `withPaywall` warns once.
 */
export function runtimeAddress(request: Request, second: unknown): string | null {
  if (onWorkers()) return request.headers.get("cf-connecting-ip");
  if (typeof second !== "object" || second === null) return null;
  const { remoteAddr, requestIP, incoming } = second as { readonly remoteAddr?: { readonly hostname?: unknown }; readonly requestIP?: unknown; readonly incoming?: { readonly socket?: { readonly remoteAddress?: unknown } } };
  if (typeof remoteAddr?.hostname === "string") return remoteAddr.hostname;
  if (typeof incoming?.socket?.remoteAddress === "string") return incoming.socket.remoteAddress;
  if (typeof requestIP === "function") {
    const address = (requestIP as (request: Request) => { readonly address?: unknown } | null).call(second, request)?.address;
    if (typeof address === "string") return address;
  }
  return null;
}
