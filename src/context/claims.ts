/**
 * What the payment context tells the origin about one paid request: a JWT
 * (RFC 7519) signed by the paywall, sent in a header of the forwarded request.
 * Shared by the signer (sign.ts) and the origin's helper (src/origin/).
 *
 * Registered claims: `iss` the paywall's origin (where its JWKS is), `aud`
 * the origin the request is forwarded to, `sub` the token id, `iat`/`exp`,
 * `jti` unique per context (an origin may refuse one seen twice). Amounts
 * are decimal strings of msat, as big as a token can hold.
 */
export interface PaymentContextClaims {
  readonly iss: string;
  readonly aud: string;
  /** Hex token id: tells paying clients apart (the one whose balance pays, for a top-up). */
  readonly sub: string;
  readonly iat: number;
  readonly exp: number;
  readonly jti: string;
  /** The service the request was admitted for. */
  readonly svc: string;
  /** How it was paid: `l402`, `payment` (the Payment scheme) or `x402`. */
  readonly scheme: string;
  /** What the token's payment was for (msat): its price, or the credit offer it bought. */
  readonly amount_msat: string;
  /** Requests left on a metered (`uses`) token after this one. */
  readonly remaining?: number;
  /** A balance token's balance after this request's reservation (msat). */
  readonly balance_msat?: string;
  /** When the token expires (unix seconds); absent: it does not. */
  readonly token_exp?: number;
  /** The request it was admitted for: its method, and its path as the origin receives it. */
  readonly method: string;
  readonly path: string;
  /** Its query as the origin receives it, without the `?` (empty: none): the price may have depended on it. */
  readonly query?: string;
}

/** The JWS header's `typ` (RFC 8725 §3.11): a payment context cannot pass for another JWT, nor another JWT for it. */
export const PAYMENT_CONTEXT_TYPE = "payment-context+jwt";
