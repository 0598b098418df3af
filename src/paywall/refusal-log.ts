import type { Context } from "hono";
import type { Outcome, PaywallEnv, PaywallLogEntry } from "./types.ts";

/** Where `l402Paywall()` writes its log lines (the `log` option). */
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

/** Logs the paywall's answer to this request, when it was a refusal. */
export function logRefusal(c: Context<PaywallEnv>, log: PaywallLog): void {
  const outcome = c.get("l402Outcome");
  if (outcome === undefined || !LOGGED.has(outcome.outcome)) return;
  const requestId = (c.var as { requestId?: unknown }).requestId;
  const entry: PaywallLogEntry = { ...outcome, status: c.res.status, method: c.req.method, path: new URL(c.req.url).pathname.slice(0, 512), ...(typeof requestId === "string" ? { requestId } : {}) };
  try {
    log(entry);
  } catch {
    // A logger that throws must not turn the paywall's answer into a crash.
  }
}
