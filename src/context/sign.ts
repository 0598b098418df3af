import { toBase64Url, utf8 } from "../bytes.ts";
import { PAYMENT_CONTEXT_TYPE, type PaymentContextClaims } from "./claims.ts";
import type { ContextKeys } from "./keys.ts";

/**
 * The claims as a compact JWS (RFC 7515), EdDSA over Ed25519 with the
 * signer's key: `base64url(header).base64url(payload).base64url(signature)`.
 * Built by hand over WebCrypto rather than with jose: the Worker only ever
 * signs this one shape, and jose would add its module graph to the bundle
 * for three lines.
 */
export async function signPaymentContext(signer: ContextKeys["signer"], claims: PaymentContextClaims): Promise<string> {
  const header = encodePart({ alg: "EdDSA", kid: signer.kid, typ: PAYMENT_CONTEXT_TYPE });
  const signingInput = `${header}.${encodePart(claims)}`;
  const signature = await crypto.subtle.sign({ name: "Ed25519" }, signer.key, new TextEncoder().encode(signingInput));
  return `${signingInput}.${toBase64Url(new Uint8Array(signature))}`;
}

const encodePart = (value: object): string => toBase64Url(utf8(JSON.stringify(value)));
