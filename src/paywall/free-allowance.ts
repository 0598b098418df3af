import type { ServiceConfig } from "../config/index.ts";
import { addressPrefix, CUSTOMER_NETWORK } from "./client-network.ts";
import type { Freebies } from "./ports.ts";

/**
 * One free request for this client's network (/24, /48), if the service offers
 * any and some are left; the requests left after it. Only requests without any
 * credential spend them. Without a counter the client is asked to pay instead.
 */
export async function takeFreebie(freebies: Freebies | undefined, service: ServiceConfig, address: string | null, now: number): Promise<number | undefined> {
  if (service.freebies === undefined || freebies === undefined) return undefined;
  try {
    const { allowed, remaining } = await freebies.take(`${service.name}|${addressPrefix(address, CUSTOMER_NETWORK)}`, service.freebies, now);
    return allowed ? remaining : undefined;
  } catch {
    return undefined;
  }
}
