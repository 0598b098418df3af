import type { HeaderReader } from "../request.ts";
import type { PaymentScheme } from "./scheme.ts";

/**
 * The scheme whose credential a request carries: the one its `Authorization`
 * names (case-insensitive), else the first that finds one in another header;
 * undefined: no credential the paywall reads.
 */
export function claimingScheme(headers: HeaderReader, schemes: readonly PaymentScheme[]): PaymentScheme | undefined {
  const named = /^\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)/.exec(headers.get("authorization") ?? "")?.[1]?.toLowerCase();
  if (named !== undefined) {
    const scheme = schemes.find((candidate) => candidate.authorizations.some((name) => name.toLowerCase() === named));
    if (scheme !== undefined) return scheme;
  }
  return schemes.find((candidate) => candidate.carriesElsewhere?.(headers) === true);
}
