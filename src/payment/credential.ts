import { fail, succeed, type Result } from "../l402/index.ts";
import { decodeBase64UrlText, encodeBase64UrlText } from "./base64url.ts";
import { PAYMENT_SCHEME, type PaymentChallenge } from "./challenge.ts";
import { isJsonObject } from "../json-object.ts";

/**
 * `Authorization: Payment <base64url JSON>` (draft-httpauth-payment §5.2): the
 * challenge echoed unchanged, an optional payer `source`, and the method's
 * proof of payment in `payload`.
 */
export interface PaymentCredential {
  readonly challenge: PaymentChallenge;
  readonly source?: string;
  readonly payload: Readonly<Record<string, unknown>>;
}

/** Aperture's bound: a credential decodes to at most 64 KiB of JSON. */
const MAX_ENCODED_CHARS = Math.ceil((64 * 1024) / 3) * 4;
const SCHEME = /^payment[ \t]+/i;
const ECHOED = ["id", "realm", "method", "intent", "request", "expires", "description", "opaque", "digest"] as const;

/**
 * Several values are accepted when they are the same credential (two header
 * lines reach the Worker joined by a comma, as L402's do; base64url has no
 * comma); different ones are refused.
 */
export function parsePaymentCredential(header: string): Result<PaymentCredential, "malformed"> {
  const [first, ...others] = header.split(",").map((value) => value.trim());
  if (others.some((other) => other !== first)) return fail("malformed", "several Authorization values carry different credentials; send one");
  return parseOne(first ?? "");
}

function parseOne(trimmed: string): Result<PaymentCredential, "malformed"> {
  if (!SCHEME.test(trimmed)) return fail("malformed", "the Authorization scheme is not Payment");
  const token = trimmed.replace(SCHEME, "");
  if (token === "") return fail("malformed", "empty Payment credential");
  if (token.length > MAX_ENCODED_CHARS) return fail("malformed", "the Payment credential is too large");
  const text = decodeBase64UrlText(token);
  if (text === undefined) return fail("malformed", "the Payment credential is not base64url");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return fail("malformed", "the Payment credential is not JSON");
  }
  if (!isJsonObject(json) || !isJsonObject(json["challenge"]) || !isJsonObject(json["payload"])) return fail("malformed", "the Payment credential needs a challenge and a payload object");
  const echo = json["challenge"];
  const challenge: Record<string, string> = {};
  for (const name of ECHOED) {
    const value = echo[name];
    if (value === undefined) continue;
    if (typeof value !== "string") return fail("malformed", `challenge.${name} must be a string`);
    challenge[name] = value;
  }
  for (const name of ["id", "realm", "method", "intent", "request"]) {
    if (!challenge[name]) return fail("malformed", `the Payment credential lacks challenge.${name}`);
  }
  const source = json["source"];
  if (source !== undefined && typeof source !== "string") return fail("malformed", "source must be a string");
  return succeed({ challenge: challenge as unknown as PaymentChallenge, ...(source === undefined ? {} : { source }), payload: json["payload"] });
}

/**
 * The `Authorization` value for a credential, in the spelling other
 * implementations emit (Aperture's field order): challenge (id, realm, method,
 * intent, request, then expires, description, opaque, digest when present),
 * source, payload.
 */
export function formatPaymentCredential(credential: PaymentCredential): string {
  const echo: Record<string, string> = {};
  for (const name of ECHOED) {
    const value = credential.challenge[name];
    if (value !== undefined) echo[name] = value;
  }
  const body = { challenge: echo, ...(credential.source === undefined ? {} : { source: credential.source }), payload: credential.payload };
  return `${PAYMENT_SCHEME} ${encodeBase64UrlText(JSON.stringify(body))}`;
}
