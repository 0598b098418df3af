import type { ServiceConfig } from "../../config/index.ts";
import type { Paywall } from "../paywall.ts";
import type { PaywallRequest } from "../request.ts";

/** A request to a browser-payments service, as the browser modules see it. */
export interface BrowserContext {
  readonly request: PaywallRequest;
  readonly paywall: Paywall;
  readonly service: ServiceConfig;
}
