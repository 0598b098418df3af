import { addressPrefix, CLIENT_NETWORK, CUSTOMER_NETWORK } from "../client-network.ts";

/**
 * How many times a second one client may have the node asked about the
 * invoices its pages poll, per isolate: by its address (an IPv4 address, an
 * IPv6 /64), and by its network (/24, /48: one customer may hold a /48, and
 * poll from each of its /64s). A page polls the invoice it shows about once a
 * second (one per tab waiting for a payment); the lookup gate lets each
 * invoice be asked about once a second, so pending cookies collected over
 * time (each page view mints one, within the mint limit) and replayed together
 * from one address would otherwise make the node answer hundreds of lookups a
 * second. Past the bound a poll is told "pending", and its page asks again
 * 1.5 s later (page-script.ts: at least that, or the answer's Retry-After).
 */
export const POLL_LOOKUPS_PER_SECOND = { address: 8, network: 32 } as const;

/** Addresses and networks tracked per isolate: the oldest goes first past this. */
const MAX_TRACKED = 4096;

/** True when a client at `address` may have the node asked about an invoice in the second `now` (and it is counted). */
export type PollGate = (address: string | null, now: number) => boolean;

export function pollLookups(): PollGate {
  const seconds = new Map<string, { readonly second: number; asked: number }>();
  const countOf = (key: string, second: number) => {
    let current = seconds.get(key);
    if (current === undefined || current.second !== second) {
      seconds.delete(key);
      if (seconds.size >= MAX_TRACKED) seconds.delete(seconds.keys().next().value as string);
      current = { second, asked: 0 };
      seconds.set(key, current);
    }
    return current;
  };
  return (address, now) => {
    const second = Math.floor(now);
    const own = countOf(`address ${addressPrefix(address, CLIENT_NETWORK)}`, second);
    const network = countOf(`network ${addressPrefix(address, CUSTOMER_NETWORK)}`, second);
    if (own.asked >= POLL_LOOKUPS_PER_SECOND.address || network.asked >= POLL_LOOKUPS_PER_SECOND.network) return false;
    own.asked++;
    network.asked++;
    return true;
  };
}
