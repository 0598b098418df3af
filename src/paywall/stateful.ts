import type { ServiceConfig } from "../config/index.ts";
import type { Grant } from "../l402/index.ts";
import { addressPrefix, FREEBIE_NETWORK } from "../stateful/address-prefix.ts";

/**
 * The paid path of metered services and the free allowance, both counted in
 * Durable Objects. For a service using neither, both return at once without
 * touching a binding, so its paid requests stay free of I/O.
 */
export type MeterResult =
  | { readonly kind: "unmetered" }
  | { readonly kind: "allowed"; readonly remaining: number }
  | { readonly kind: "exhausted"; readonly limit: number }
  | { readonly kind: "unavailable" };

/**
 * Takes one use of a metered token: the number its `uses` caveat paid for (a
 * holder may have narrowed it), else the service's. Only services that meter
 * count: a holder's `uses` caveat elsewhere costs nothing.
 */
export async function meter(env: Env, service: ServiceConfig, grant: Grant, tokenIdHex: string): Promise<MeterResult> {
  if (service.uses === undefined) return { kind: "unmetered" };
  const limit = grant.uses ?? service.uses;
  if (env.L402_METER === undefined) return { kind: "unavailable" };
  try {
    const stub = env.L402_METER.get(env.L402_METER.idFromName(tokenIdHex));
    const { ok, remaining } = await stub.consume(limit, grant.mintedValidUntil);
    return ok ? { kind: "allowed", remaining } : { kind: "exhausted", limit };
  } catch {
    return { kind: "unavailable" };
  }
}

/** One free request for this client's network, if the service offers any and some are left. */
export async function takeFreebie(env: Env, service: ServiceConfig, request: Request, now: number): Promise<{ remaining: number } | undefined> {
  if (service.freebies === undefined || env.L402_FREEBIES === undefined) return undefined;
  const prefix = addressPrefix(request.headers.get("cf-connecting-ip"), FREEBIE_NETWORK);
  try {
    const stub = env.L402_FREEBIES.get(env.L402_FREEBIES.idFromName(`${service.name}|${prefix}`));
    const { ok, remaining } = await stub.take(service.freebies.count, service.freebies.periodSeconds, now);
    return ok ? { remaining } : undefined;
  } catch {
    // No allowance without the counter: the client is asked to pay instead.
    return undefined;
  }
}

/** Adds informational headers to a forwarded answer (not to a WebSocket upgrade, which cannot be re-wrapped). */
export function withHeaders(response: Response, headers: Record<string, string>): Response {
  if (response.webSocket || Object.keys(headers).length === 0) return response;
  const out = new Response(response.body, response);
  for (const [name, value] of Object.entries(headers)) out.headers.set(name, value);
  return out;
}
