import { MAX_CREDENTIAL_HEADER_CHARS } from "../l402/index.ts";
import { addressPrefix, CLIENT_NETWORK, CUSTOMER_NETWORK } from "./client-network.ts";
import type { Refusal, Unavailable } from "./decision.ts";
import { isFreePath, matchService } from "./match.ts";
import type { Paywall } from "./paywall.ts";
import type { PaywallRequest } from "./request.ts";
import { claimingScheme } from "./schemes/claim.ts";
import type { SettledInvoices } from "./schemes/scheme.ts";

/**
 * Before the decision, which reads credentials with no I/O: a credential
 * whose scheme must ask something first (`complete`: an x402 payment naming
 * its invoice only, whose preimage the node supplies) is completed, for a
 * service that offers that scheme. The request as `decide` is to see it, or a
 * 503 when the answer cannot be had now (fail closed: nothing let through).
 *
 * Asking the node is counted per client as a mint is, apart from its mints
 * (a payer completes one payment per challenge it was sold): the lookup gate
 * lets each invoice be asked about once a second, and invoices collected from
 * many addresses, replayed from one, would otherwise ask it without bound.
 */
export async function completeCredential(request: PaywallRequest, paywall: Paywall): Promise<{ readonly kind: "decide"; readonly request: PaywallRequest } | Unavailable | Refusal> {
  const asItCame = { kind: "decide", request } as const;
  const scheme = claimingScheme(request.headers, paywall.schemes);
  if (scheme?.complete === undefined) return asItCame;
  const service = matchService(paywall.settings.services, request.url);
  if (service === undefined || !service.auth || isFreePath(service, request.url) || !service.schemes.includes(scheme.name)) return asItCame;
  // An oversized credential is refused by the decision, unparsed (431).
  if (scheme.credentialHeaders.some((name) => (request.headers.get(name)?.length ?? 0) > MAX_CREDENTIAL_HEADER_CHARS)) return asItCame;
  // Only a completion that asks the node is counted (one carrying its preimage never does).
  let limited: string | undefined;
  const invoices: SettledInvoices = {
    async preimageOf(paymentHash) {
      limited = await overLookupLimit(request, paywall);
      return limited === undefined ? paywall.invoices.preimageOf(paymentHash) : { state: "unavailable", reason: "rate_limited", detail: "", retryAfterSeconds: 0 };
    },
  };
  const completed = await scheme.complete({ request, service, keyring: paywall.settings.keyring, invoices });
  if (completed.ok) return { kind: "decide", request: { ...request, headers: completed.value } };
  if (limited !== undefined) {
    const detail = `too many payments naming their invoice only from this ${limited}; retry later`;
    return { kind: "refuse", status: 429, reason: "rate_limited", detail, retryAfterSeconds: paywall.settings.mintRetryAfterSeconds, cookies: [], outcome: { outcome: "rate_limited", service: service.name, reason: "rate_limited" } };
  }
  const { reason, detail, retryAfterSeconds } = completed;
  return { kind: "unavailable", reason, detail, retryAfterSeconds, cookies: [], outcome: { outcome: reason === "node_unavailable" ? "node_unavailable" : "error", service: service.name, reason } };
}

/** Which of the client's limits (its address, its network) a lookup would go over, if one: the mint limiters, under keys of their own. */
async function overLookupLimit(request: PaywallRequest, paywall: Paywall): Promise<string | undefined> {
  const { mintLimiter, networkMintLimiter } = paywall.settings.ports;
  const { address } = request.client;
  if (mintLimiter !== undefined && !(await mintLimiter.allow(`lookup ${addressPrefix(address, CLIENT_NETWORK)}`))) return "address";
  if (networkMintLimiter !== undefined && !(await networkMintLimiter.allow(`lookup ${addressPrefix(address, CUSTOMER_NETWORK)}`))) return "address's network";
  return undefined;
}
