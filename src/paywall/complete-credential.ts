import { MAX_CREDENTIAL_HEADER_CHARS } from "../l402/index.ts";
import type { Unavailable } from "./decision.ts";
import { isFreePath, matchService } from "./match.ts";
import type { Paywall } from "./paywall.ts";
import type { PaywallRequest } from "./request.ts";
import { claimingScheme } from "./schemes/claim.ts";

/**
 * Before the decision, which reads credentials with no I/O: a credential
 * whose scheme must ask something first (`complete`: an x402 payment naming
 * its invoice only, whose preimage the node supplies) is completed, for a
 * service that offers that scheme. The request as `decide` is to see it, or a
 * 503 when the answer cannot be had now (fail closed: nothing let through).
 */
export async function completeCredential(request: PaywallRequest, paywall: Paywall): Promise<{ readonly kind: "decide"; readonly request: PaywallRequest } | Unavailable> {
  const asItCame = { kind: "decide", request } as const;
  const scheme = claimingScheme(request.headers, paywall.schemes);
  if (scheme?.complete === undefined) return asItCame;
  const service = matchService(paywall.settings.services, request.url);
  if (service === undefined || !service.auth || isFreePath(service, request.url) || !service.schemes.includes(scheme.name)) return asItCame;
  // An oversized credential is refused by the decision, unparsed (431).
  if (scheme.credentialHeaders.some((name) => (request.headers.get(name)?.length ?? 0) > MAX_CREDENTIAL_HEADER_CHARS)) return asItCame;
  const completed = await scheme.complete({ request, service, keyring: paywall.settings.keyring, invoices: paywall.invoices });
  if (completed.ok) return { kind: "decide", request: { ...request, headers: completed.value } };
  const { reason, detail, retryAfterSeconds } = completed;
  return { kind: "unavailable", reason, detail, retryAfterSeconds, cookies: [], outcome: { outcome: reason === "node_unavailable" ? "node_unavailable" : "error", service: service.name, reason } };
}
