import { fail, succeed, type Result } from "../l402/index.ts";
import { decodeBase64UrlText, encodeBase64UrlText } from "./base64url.ts";
import { canonicalJson } from "./jcs.ts";

/** Method and intent of draft-lightning-charge: a BOLT 11 invoice, proven paid by its preimage. */
export const LIGHTNING = "lightning";
export const CHARGE = "charge";

/** The `request` of a lightning charge challenge (draft-lightning-charge §7). */
export interface LightningChargeRequest {
  /** Whole sats, as decimal text. */
  readonly amount: string;
  readonly currency: "sat";
  readonly description?: string;
  /** The merchant's reference. */
  readonly externalId?: string;
  readonly methodDetails: {
    /** Authoritative: the other fields repeat what it encodes. */
    readonly invoice: string;
    /** Lowercase hex. */
    readonly paymentHash: string;
    readonly network: string;
  };
}

/** base64url of the request's JCS form: the `request` parameter. */
export const formatChargeRequest = (request: LightningChargeRequest): string => encodeBase64UrlText(canonicalJson(request));

export function readChargeRequest(encoded: string): Result<LightningChargeRequest, "malformed"> {
  const text = decodeBase64UrlText(encoded);
  let json: unknown;
  try {
    json = text === undefined ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  const request = json as Partial<LightningChargeRequest> | undefined;
  const details = request?.methodDetails;
  if (typeof request?.amount !== "string" || request.currency !== "sat" || typeof details?.invoice !== "string" || typeof details.paymentHash !== "string" || !/^[0-9a-f]{64}$/.test(details.paymentHash)) {
    return fail("malformed", "the challenge's request is not a lightning charge");
  }
  return succeed(request as LightningChargeRequest);
}

/** The payload of a lightning charge credential: the preimage, 64 hex digits (lowercase, as written; either case read). */
export function chargePreimage(payload: Readonly<Record<string, unknown>>): string | undefined {
  const preimage = payload["preimage"];
  return typeof preimage === "string" && /^[0-9a-fA-F]{64}$/.test(preimage) ? preimage.toLowerCase() : undefined;
}
