import type { L402Variables } from "../paywall/index.ts";
import type { WorkerBindings } from "./bindings.ts";

/** The template Worker's own endpoints, for its log line (the paywall records its outcomes itself). */
export type Endpoint = "health" | "admin" | "discovery" | "mcp" | "misconfigured" | "internal_error";

/** The template Worker's Hono env: its bindings and the variables its middleware share. */
export type WorkerEnv = {
  Bindings: WorkerBindings;
  Variables: L402Variables & { requestId: string; endpoint: Endpoint };
};
