/**
 * How many times a second one client may have the node asked about the
 * invoices its pages poll, per isolate. A page polls the invoice it shows
 * about once a second (one per tab waiting for a payment); the lookup gate
 * lets each invoice be asked about once a second, so pending cookies
 * collected over time (each page view mints one, within the mint limit) and
 * replayed together from one address would otherwise make the node answer
 * hundreds of lookups a second. Past the bound a poll is told "pending", and
 * its page asks again a second later.
 */
export const POLL_LOOKUPS_PER_SECOND = 8;

/** Clients tracked per isolate: the oldest goes first past this. */
const MAX_CLIENTS = 4096;

/** True when `client` (its address's network) may have the node asked about an invoice in the second `now`. */
export type PollGate = (client: string, now: number) => boolean;

export function pollLookups(): PollGate {
  const seconds = new Map<string, { readonly second: number; asked: number }>();
  return (client, now) => {
    const second = Math.floor(now);
    let current = seconds.get(client);
    if (current === undefined || current.second !== second) {
      seconds.delete(client);
      if (seconds.size >= MAX_CLIENTS) seconds.delete(seconds.keys().next().value as string);
      current = { second, asked: 0 };
      seconds.set(client, current);
    }
    if (current.asked >= POLL_LOOKUPS_PER_SECOND) return false;
    current.asked++;
    return true;
  };
}
