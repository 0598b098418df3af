import type { Mismatch } from "./invoices.ts";
import { paceSetting } from "./pace.ts";

/**
 * Faults the simulator injects, for tests of everything that talks to a node.
 * Set at start (`--failure`, `--latency-ms`, `--jitter-ms`, `--invoices-per-second`) or through `POST /_sim/faults`.
 */
export interface Faults {
  /** Delay before answering, in ms, plus or minus up to `jitterMs` (pace.ts). */
  latencyMs: number;
  jitterMs: number;
  /** AddInvoice makes at most this many invoices a second, the rest queue (pace.ts); 0: no limit. */
  invoicesPerSecond: number;
  /** `unavailable`: 503 code 14; `internal`: 500 code 2; `malformed`: 200 with broken JSON; `drop`: close the socket. */
  failure: "unavailable" | "internal" | "malformed" | "drop" | null;
  /** AddInvoice returns an invoice that does not match the request or its own r_hash. */
  mismatch: Mismatch;
  /** Only requests whose path starts with one of these are affected (all when empty). */
  paths: string[];
  /**
   * Payments route through a hop charging this fee (msat); a payment whose fee
   * limit is lower finds no route (FAILURE_REASON_NO_ROUTE), as LND's would.
   */
  routeFeeMsat: number;
  /** AddInvoice stamps its invoices this many seconds off the node's clock (negative: in the past), as a node whose clock is wrong would. */
  stampOffsetSeconds: number;
  /**
   * SendPaymentV2 takes the payment and does not say how it ended: its
   * connection closes before the final update (a proxy's timeout, a node
   * restarting) with the payment `settled`, or `in_flight` (its payee holds it
   * until `POST /_sim/held`); or, `error`, the stream ends with an error line
   * (a node shutting down mid-payment) and the payment settles all the same.
   * Its payer cannot tell which, but by TrackPaymentV2.
   */
  lostPaymentAnswer: "settled" | "in_flight" | "error" | null;
}

export const NO_FAULTS: Faults = { latencyMs: 0, jitterMs: 0, invoicesPerSecond: 0, failure: null, mismatch: null, paths: [], routeFeeMsat: 0, stampOffsetSeconds: 0, lostPaymentAnswer: null };

const FAILURES = ["unavailable", "internal", "malformed", "drop"] as const;
const MISMATCHES = ["amount", "hash", "network", "expiry"] as const;
const LOST_ANSWERS = ["settled", "in_flight", "error"] as const;

/** Validates a partial fault setting (from JSON or flags); throws a message on nonsense. */
export function parseFaults(input: unknown, base: Faults = NO_FAULTS): Faults {
  if (typeof input !== "object" || input === null) throw new Error("faults must be a JSON object");
  const raw = input as Record<string, unknown>;
  const faults = { ...base };
  for (const [key, value] of Object.entries(raw)) {
    if (key === "latencyMs") {
      if (typeof value !== "number" || !(value >= 0) || value > 600_000) throw new Error("latencyMs must be 0..600000");
      faults.latencyMs = value;
    } else if (key === "jitterMs") {
      faults.jitterMs = paceSetting("jitterMs", value, 600_000);
    } else if (key === "invoicesPerSecond") {
      faults.invoicesPerSecond = paceSetting("invoicesPerSecond", value, 1_000_000);
    } else if (key === "failure") {
      if (value !== null && !FAILURES.includes(value as (typeof FAILURES)[number])) throw new Error(`failure must be one of ${FAILURES.join(", ")} or null`);
      faults.failure = (value ?? null) as Faults["failure"];
    } else if (key === "mismatch") {
      if (value !== null && !MISMATCHES.includes(value as (typeof MISMATCHES)[number])) throw new Error(`mismatch must be one of ${MISMATCHES.join(", ")} or null`);
      faults.mismatch = (value ?? null) as Mismatch;
    } else if (key === "routeFeeMsat") {
      if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) throw new Error("routeFeeMsat must be a whole number of msat");
      faults.routeFeeMsat = value;
    } else if (key === "lostPaymentAnswer") {
      if (value !== null && !LOST_ANSWERS.includes(value as (typeof LOST_ANSWERS)[number])) throw new Error(`lostPaymentAnswer must be one of ${LOST_ANSWERS.join(", ")} or null`);
      faults.lostPaymentAnswer = (value ?? null) as Faults["lostPaymentAnswer"];
    } else if (key === "stampOffsetSeconds") {
      faults.stampOffsetSeconds = stampOffset(value);
    } else if (key === "paths") {
      if (!Array.isArray(value) || !value.every((p) => typeof p === "string")) throw new Error("paths must be an array of strings");
      faults.paths = value as string[];
    } else {
      throw new Error(`unknown fault "${key}"`);
    }
  }
  return faults;
}

/** A clock offset for invoice timestamps: whole seconds, within a year either way. */
export function stampOffset(value: unknown): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || Math.abs(value) > MAX_STAMP_OFFSET) throw new Error(`stampOffsetSeconds must be whole seconds within ±${MAX_STAMP_OFFSET}`);
  return value;
}

const MAX_STAMP_OFFSET = 365 * 86_400;

export const affects = (faults: Faults, path: string): boolean =>
  faults.paths.length === 0 || faults.paths.some((prefix) => path.startsWith(prefix));
