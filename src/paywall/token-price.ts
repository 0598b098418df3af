import type { ServiceConfig } from "../config/index.ts";
import type { Grant } from "../l402/index.ts";
import { fail, succeed, type Result } from "../result.ts";
import type { Refused } from "./decision.ts";
import type { Price, PriceFailure } from "./pricing.ts";
import type { ClaimedMethods } from "./claimed-methods.ts";
import { requestDigest } from "./request-binding.ts";
import type { PaywallRequest } from "./request.ts";

/**
 * Whether a token bought for one price may make this request, on a service
 * whose prices depend on the request: a cheap token never buys a dear
 * request. A token bound to its request (`bind_request`) makes that request
 * only. Every request is priced now and must cost no more than the token paid
 * (`<service>_price_msat`; a token minted before the service priced by
 * request paid the service's price): a bound one too, as its digest does not
 * cover the headers a rule or the pricer prices by, which make the same
 * request dearer.
 */
export type Covered = Result<void, "price_exceeds_token" | "request_mismatch" | "body_too_large" | PriceFailure> & Pick<Refused, "facts">;

export async function tokenCovers(service: ServiceConfig, grant: Grant, price: () => Promise<Price>, digest: () => Promise<Result<string, "body_too_large">>): Promise<Covered> {
  if (service.pricing.bindRequest && grant.request !== undefined) {
    const bound = await digest();
    if (!bound.ok) return bound;
    if (bound.value !== grant.request) return fail("request_mismatch", "the token was bought for another request (method, host, path, query, body or method override): pay for this one");
  }
  const priced = await price();
  if (!priced.ok) return priced;
  const paidMsat = grant.priceMsat ?? service.priceMsat;
  if (priced.value <= paidMsat) return succeed(undefined);
  return { ...fail("price_exceeds_token", `this request costs ${priced.value} msat; the token paid for requests of up to ${paidMsat} msat`), facts: { paid_msat: String(paidMsat) } };
}

/** The digest of the request, read once per decision (its body is read from a copy). */
export const digestOnce = (request: PaywallRequest, claimed: ClaimedMethods): (() => Promise<Result<string, "body_too_large">>) => {
  let digest: Promise<Result<string, "body_too_large">> | undefined;
  return () => (digest ??= requestDigest(request, claimed));
};
