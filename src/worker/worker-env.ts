import type { Handler, Hono, MiddlewareHandler } from "hono";
import type { Config } from "../config/index.ts";
import type { InvoiceBackend } from "../lightning/index.ts";
import type { L402Variables } from "../paywall/index.ts";
import type { IssuanceRecord } from "./issuance.ts";

/** The template Worker's own endpoints, for its log line (the paywall records its outcomes itself). */
export type Endpoint = "health" | "admin" | "discovery" | "misconfigured" | "internal_error";

/** The template Worker's Hono env: its bindings and the variables its middleware share. */
export type WorkerEnv = {
  Bindings: Env;
  Variables: L402Variables & { requestId: string; endpoint: Endpoint; runtime: Runtime };
};

/** Everything the template Worker builds from its env, once per isolate (runtime.ts). */
export interface Runtime {
  readonly config: Config;
  /** LND behind a circuit breaker (per isolate: it guards the node from this isolate's traffic). */
  readonly backend: InvoiceBackend;
  /** This isolate's last invoice made and last failure to make one (issuance.ts). */
  issuance(): IssuanceRecord;
  readonly paywall: MiddlewareHandler<WorkerEnv>;
  readonly forwarder: Handler<WorkerEnv>;
  /** The admin API, mounted at its path; absent without an admin token. */
  readonly admin: Hono | undefined;
  /** The discovery documents; absent when L402_DISCOVERY is off. */
  readonly discovery: Hono | undefined;
}
