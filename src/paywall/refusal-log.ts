import type { Outcome, PaywallLogEntry, L402Outcome } from "./types.ts";

/** Where a paywall writes its log lines (the `log` option). */
export type PaywallLog = (entry: PaywallLogEntry) => void;

/**
 * The answers an operator needs to hear about: the ones the paywall gives on
 * its own side, with their cause. A 402 is the normal way to sell, and a
 * request let through is the app's to log.
 */
const LOGGED: ReadonlySet<Outcome> = new Set<Outcome>(["refused", "rate_limited", "node_unavailable", "error", "misconfigured"]);
/** What the operator must fix, or the node or a port failing; the rest is clients' doing. */
const ERRORS: ReadonlySet<Outcome> = new Set<Outcome>(["node_unavailable", "error", "misconfigured"]);

/** The default: one JSON line on the console, as an error or a warning. */
export const consoleLog: PaywallLog = (entry) => (ERRORS.has(entry.outcome) ? console.error : console.warn)(JSON.stringify(entry));

/**
 * Logs the paywall's answer to a request, when it was a refusal: the outcome,
 * and where. Built from chosen fields only: no header, query or credential has
 * a way in.
 */
export function logRefusal(log: PaywallLog, outcome: L402Outcome, answered: { readonly status: number; readonly method: string; readonly url: URL; readonly requestId?: string | undefined }): void {
  if (!LOGGED.has(outcome.outcome)) return;
  const { status, method, url, requestId } = answered;
  const entry: PaywallLogEntry = { ...outcome, status, method, path: url.pathname.slice(0, 512), ...(requestId === undefined ? {} : { requestId }) };
  try {
    log(entry);
  } catch {
    // A logger that throws must not turn the paywall's answer into a crash.
  }
}
