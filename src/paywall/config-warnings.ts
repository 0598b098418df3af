import type { Config, ServiceConfig, UrlPattern } from "../config/index.ts";
import { matchService } from "./match.ts";

/**
 * Settings that are valid but probably not what the operator meant, for
 * `npm run check-config`:
 * - a pattern that does not match the path it is a prefix of (`/api/:rest+`
 *   leaves `/api` unmatched: free in `pass` mode, whatever the origin serves there);
 * - no mint rate limit: nothing but the challenge cache stands between unpaid
 *   traffic and the node's invoice database;
 * - a token that expires before its invoice does: a token's `timeout` runs from
 *   the challenge, so a payer taking the invoice's full time gets less, or nothing;
 * - the Payment scheme on testnet: draft-lightning-charge names mainnet, regtest
 *   and signet only, so strict clients may refuse a testnet charge.
 */
export function configWarnings(config: Config, bindings: { readonly mintLimiter: boolean }): string[] {
  const warnings = config.services.flatMap((service) => service.patterns.flatMap((pattern) => uncoveredPrefix(service, pattern)));
  for (const service of config.services) {
    if (service.timeoutSeconds !== undefined && service.timeoutSeconds <= config.invoiceExpirySeconds) {
      warnings.push(
        `${service.name}: its timeout (${service.timeoutSeconds} s) is not longer than an invoice stays payable (L402_INVOICE_EXPIRY, ${config.invoiceExpirySeconds} s): a token's time runs from the challenge, so one paid late is worth little or nothing`,
      );
    }
  }
  if (config.network === "testnet" && config.services.some((service) => service.schemes.payment)) {
    warnings.push('the "mpp" scheme on testnet: the lightning charge draft names mainnet, regtest and signet only, so strict Payment clients may refuse these charges');
  }
  if (!bindings.mintLimiter) {
    warnings.push(
      "L402_MINT_LIMITER is not bound: nothing caps how many invoices unpaid requests make the node create (the challenge cache only reuses one per client); add the [[ratelimits]] binding",
    );
  }
  return warnings;
}

function uncoveredPrefix(service: ServiceConfig, pattern: UrlPattern): string[] {
  const literal = /^[^*:({]*/.exec(pattern.pathname)?.[0].replace(/\\/g, "") ?? "";
  const prefix = literal.replace(/\/+$/, "");
  if (prefix === "" || prefix === pattern.pathname) return [];
  const host = /^[a-z0-9.-]+$/i.test(pattern.hostname) ? pattern.hostname : "example.com";
  if (matchService([service], new URL(`https://${host}${prefix}`)) !== undefined) return [];
  return [`${service.name}: the pattern ${pattern.pathname} does not match ${prefix} itself; if the origin serves ${prefix}, add it to match`];
}
