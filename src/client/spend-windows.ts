import { formatSats } from "../l402/index.ts";
import { L402Error } from "./types.ts";

/** The most a client may spend over time, in sats, routing fees included; an absent limit is no limit. */
export interface SpendLimits {
  /** In any 60 minutes, at every host. */
  readonly perHourSats?: number;
  /** In any 24 hours, at every host. */
  readonly perDaySats?: number;
  /** In any 24 hours, at any one host (host and port). */
  readonly perHostSats?: number;
}

/** One payment, counted from the moment it was decided on: its price and the routing fee it may spend (the fee paid, once known). */
export interface SpendRecord {
  readonly id: string;
  /** Unix seconds. */
  readonly at: number;
  readonly host: string;
  readonly msat: string;
}

/**
 * Where payments are counted. `change` reads the records, applies `update` and
 * writes what it returns as one step that no other client sharing the ledger
 * interleaves with (a file ledger locks its file): the windows are checked and
 * a payment recorded together, so two clients cannot both fit in what is left.
 */
export interface SpendLedger {
  change<T>(update: (records: readonly SpendRecord[]) => { readonly records: readonly SpendRecord[]; readonly result: T }): Promise<T>;
}

/** A ledger for the life of the process: its clients share windows, other processes do not. */
export function memoryLedger(): SpendLedger {
  let kept: readonly SpendRecord[] = [];
  return {
    change: async (update) => {
      const { records, result } = update(kept);
      kept = records;
      return result;
    },
  };
}

const HOUR = 3600;
const DAY = 24 * HOUR;

/** A window as `spent()` shows it: what was spent in it and its limit (msat; no limit, none). */
export interface WindowSpent {
  readonly window: "per-hour" | "per-day" | "per-host";
  /** A per-host window's host. */
  readonly host?: string;
  readonly spentMsat: bigint;
  readonly limitMsat?: bigint;
}

/** The windows over `records` at `now`: the hour, the day, and each host paid in the day. */
export function windowsSpent(records: readonly SpendRecord[], limits: SpendLimits, now: number): WindowSpent[] {
  const sum = (since: number, host?: string) =>
    records.filter((r) => r.at > now - since && (host === undefined || r.host === host)).reduce((total, r) => total + msat(r.msat), 0n);
  const limit = (sats: number | undefined) => (sats === undefined ? {} : { limitMsat: BigInt(sats) * 1000n });
  const hosts = [...new Set(records.filter((r) => r.at > now - DAY).map((r) => r.host))].sort();
  return [
    { window: "per-hour", spentMsat: sum(HOUR), ...limit(limits.perHourSats) },
    { window: "per-day", spentMsat: sum(DAY), ...limit(limits.perDaySats) },
    ...hosts.map((host) => ({ window: "per-host" as const, host, spentMsat: sum(DAY, host), ...limit(limits.perHostSats) })),
  ];
}

/** A payment counted in the windows before it is made. */
export interface Reservation {
  /** Its record in the ledger: what a token kept in doubt names, to be released once the payment is known never made (`releaseRecord`). */
  readonly id: string;
  /** The routing fee the windows (and the request's budget) leave this payment. */
  readonly maxFeeMsat: bigint;
  /** Paid: count the price and the fee paid (over NWC, which sends no fee limit, it may exceed what was reserved) instead of the most it could cost. */
  settle(feeMsat: bigint): Promise<void>;
  /** Not paid (the wallet said so for certain): count nothing. */
  release(): Promise<void>;
}

/**
 * Counts a payment of `priceMsat` at `host`, with at most `maxFeeMsat` of
 * routing, in every window, or refuses it (`over_window`, naming the window,
 * nothing recorded) where the price alone does not fit. The fee allowed is cut
 * to what the tightest window leaves, so that the recorded worst case never
 * exceeds a limit. Records older than a day are dropped.
 */
export async function reserve(
  ledger: SpendLedger,
  limits: SpendLimits,
  payment: { readonly host: string; readonly priceMsat: bigint; readonly maxFeeMsat: bigint },
  now = Math.floor(Date.now() / 1000),
): Promise<Reservation> {
  const id = crypto.randomUUID();
  const maxFeeMsat = await ledger.change((records) => {
    const current = records.filter((r) => r.at > now - DAY);
    let feeMsat = payment.maxFeeMsat;
    for (const w of windowsSpent(current, limits, now)) {
      if (w.limitMsat === undefined || (w.host !== undefined && w.host !== payment.host)) continue;
      const left = w.limitMsat - w.spentMsat;
      if (payment.priceMsat > left) {
        throw new L402Error("over_window", `paying ${formatSats(payment.priceMsat)} sats would exceed the ${describe(w)} limit of ${formatSats(w.limitMsat)} sats (${formatSats(w.spentMsat)} spent); nothing was paid`);
      }
      if (left - payment.priceMsat < feeMsat) feeMsat = left - payment.priceMsat;
    }
    // A host not paid in the last day has no per-host row yet: the limit alone bounds it.
    if (limits.perHostSats !== undefined && !current.some((r) => r.host === payment.host)) {
      const limitMsat = BigInt(limits.perHostSats) * 1000n;
      if (payment.priceMsat > limitMsat) {
        throw new L402Error("over_window", `paying ${formatSats(payment.priceMsat)} sats would exceed the ${describe({ window: "per-host", host: payment.host })} limit of ${formatSats(limitMsat)} sats (0 spent); nothing was paid`);
      }
      if (limitMsat - payment.priceMsat < feeMsat) feeMsat = limitMsat - payment.priceMsat;
    }
    const record = { id, at: now, host: payment.host, msat: String(payment.priceMsat + feeMsat) };
    return { records: [...current, record], result: feeMsat };
  });
  // A payment made is counted even where its record is gone: another client sharing the ledger may have taken it for one never made (a wallet asked before the payment began).
  const settle = (msatNow: bigint) =>
    ledger.change((records) => ({
      records: records.some((r) => r.id === id) ? records.map((r) => (r.id === id ? { ...r, msat: String(msatNow) } : r)) : [...records, { id, at: now, host: payment.host, msat: String(msatNow) }],
      result: undefined,
    }));
  return {
    id,
    maxFeeMsat,
    settle: (feeMsat) => settle(payment.priceMsat + feeMsat),
    release: () => releaseRecord(ledger, id),
  };
}

/** Uncounts a reservation by its record (`Reservation.id`), from another run than the one that made it: nothing if it is gone. */
export function releaseRecord(ledger: SpendLedger, id: string): Promise<void> {
  return ledger.change((records) => ({ records: records.filter((r) => r.id !== id), result: undefined }));
}

function describe(w: { readonly window: WindowSpent["window"]; readonly host?: string }): string {
  return w.window === "per-hour" ? "per-hour window (the last 60 minutes)" : w.window === "per-day" ? "per-day window (the last 24 hours)" : `per-host window for ${w.host ?? ""} (the last 24 hours)`;
}

/** An amount a ledger kept (a file ledger checks its records as it reads them). */
const msat = (text: string): bigint => (/^\d{1,19}$/.test(text) ? BigInt(text) : 0n);

/** A URL's host as the per-host window counts it: host and port, a host's trailing dots dropped (`a.example.` is `a.example`, as DNS has it). */
export const windowHost = (url: string): string => {
  const { hostname, port } = new URL(url);
  const host = hostname.replace(/\.+$/, "");
  return port === "" ? host : `${host}:${port}`;
};
