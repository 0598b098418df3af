import { parseAuthChallenges, quoteParam } from "../l402/index.ts";
import type { HmacSha256 } from "../macaroon/index.ts";
import { encodeBase64Url } from "./base64url.ts";

/**
 * A `WWW-Authenticate: Payment` challenge (draft-httpauth-payment §5.1). `request`
 * and `opaque` are base64url of JCS JSON, as sent; the echo in a credential
 * carries them byte for byte.
 */
export interface PaymentChallenge {
  readonly id: string;
  readonly realm: string;
  readonly method: string;
  readonly intent: string;
  readonly request: string;
  /** RFC 3339. */
  readonly expires?: string;
  /** RFC 9530 content digest of the request body. */
  readonly digest?: string;
  /** For people; outside the id's binding. */
  readonly description?: string;
  readonly opaque?: string;
}

export const PAYMENT_SCHEME = "Payment";

/**
 * The challenge id as the draft recommends (§5.1.3.1): HMAC-SHA256 over seven
 * positional slots joined by "|" (absent optional ones empty), base64url. It
 * makes a challenge self-verifying: the server recognises its own without
 * storing it.
 */
export function challengeId(secret: Uint8Array, challenge: Omit<PaymentChallenge, "id" | "description">, mac: HmacSha256): string {
  return encodeBase64Url(mac(secret, new TextEncoder().encode(challengeIdInput(challenge))));
}

export function challengeIdInput(challenge: Omit<PaymentChallenge, "id" | "description">): string {
  const { realm, method, intent, request, expires = "", digest = "", opaque = "" } = challenge;
  return [realm, method, intent, request, expires, digest, opaque].join("|");
}

/** The header value: required parameters, then expires, digest, description, opaque when present. */
export function formatPaymentChallenge(challenge: PaymentChallenge): string {
  const params: [string, string | undefined][] = [
    ["id", challenge.id],
    ["realm", challenge.realm],
    ["method", challenge.method],
    ["intent", challenge.intent],
    ["request", challenge.request],
    ["expires", challenge.expires],
    ["digest", challenge.digest],
    ["description", challenge.description],
    ["opaque", challenge.opaque],
  ];
  return `${PAYMENT_SCHEME} ${params.flatMap(([name, value]) => (value === undefined ? [] : [`${name}=${quoteParam(value)}`])).join(", ")}`;
}

const REQUIRED = ["id", "realm", "method", "intent", "request"] as const;

/**
 * Every Payment challenge in a `WWW-Authenticate` value, in order. One missing
 * a required parameter is skipped, so that one malformed offer does not hide
 * the others; other schemes' challenges (L402 beside it) are ignored.
 */
export function parsePaymentChallenges(header: string): PaymentChallenge[] {
  const challenges = parseAuthChallenges(header) ?? [];
  return challenges.flatMap(({ scheme, params }) => {
    if (scheme !== PAYMENT_SCHEME.toUpperCase() || REQUIRED.some((name) => !params.get(name))) return [];
    const optional = (name: string) => (params.has(name) ? { [name]: params.get(name) as string } : {});
    const challenge = {
      id: params.get("id") as string,
      realm: params.get("realm") as string,
      method: params.get("method") as string,
      intent: params.get("intent") as string,
      request: params.get("request") as string,
      ...optional("expires"),
      ...optional("digest"),
      ...optional("description"),
      ...optional("opaque"),
    };
    return [challenge];
  });
}
