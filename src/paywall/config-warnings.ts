import type { Config, ServiceConfig } from "../config/index.ts";
import { matchService } from "./match.ts";

/**
 * Settings that are valid but probably not what the operator meant, for
 * `npm run check-config`:
 * - a pattern that does not match the path it is a prefix of (`/api/:rest+`
 *   leaves `/api` unmatched: free in `pass` mode, whatever the origin serves there);
 * - no mint rate limit: nothing but the challenge cache stands between unpaid
 *   traffic and the node's invoice database.
 */
export function configWarnings(config: Config, bindings: { readonly mintLimiter: boolean }): string[] {
  const warnings = config.services.flatMap((service) => service.patterns.flatMap((pattern) => uncoveredPrefix(service, pattern)));
  if (!bindings.mintLimiter) {
    warnings.push(
      "L402_MINT_LIMITER is not bound: nothing caps how many invoices unpaid requests make the node create (the challenge cache only reuses one per client); add the [[ratelimits]] binding",
    );
  }
  return warnings;
}

function uncoveredPrefix(service: ServiceConfig, pattern: URLPattern): string[] {
  const literal = /^[^*:({]*/.exec(pattern.pathname)?.[0].replace(/\\/g, "") ?? "";
  const prefix = literal.replace(/\/+$/, "");
  if (prefix === "" || prefix === pattern.pathname) return [];
  const host = /^[a-z0-9.-]+$/i.test(pattern.hostname) ? pattern.hostname : "example.com";
  if (matchService([service], new URL(`https://${host}${prefix}`)) !== undefined) return [];
  return [`${service.name}: the pattern ${pattern.pathname} does not match ${prefix} itself; if the origin serves ${prefix}, add it to match`];
}
