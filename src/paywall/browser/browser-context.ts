import type { Context } from "hono";
import type { ServiceConfig } from "../../config/index.ts";
import type { Verifier } from "../../l402/index.ts";
import type { ResolvedPaywall } from "../options.ts";
import type { L402Outcome, PaywallEnv } from "../types.ts";

/** A request to a browser-payments service, as the browser modules see it. */
export interface BrowserContext {
  readonly c: Context<PaywallEnv>;
  readonly paywall: ResolvedPaywall;
  readonly verifier: Verifier;
  readonly service: ServiceConfig;
  /** The canonical URL. */
  readonly url: URL;
  /** Unix seconds. */
  readonly now: number;
  readonly log: (entry: Omit<L402Outcome, "service">) => void;
}
