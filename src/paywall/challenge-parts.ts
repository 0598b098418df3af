/**
 * One issued invoice and the token minted over its payment hash: what every
 * scheme a service offers writes its challenge over (schemes/), so one
 * payment is one token, whichever scheme presents it.
 */
export interface ChallengeParts {
  /** The minted macaroon, encoded (V2 binary). */
  readonly macaroon: Uint8Array;
  /** Hex: what tells this token's payer apart (its meter, its ledger row). */
  readonly tokenId: string;
  /** Unix seconds: the expiry minted into the token; undefined: it never expires. */
  readonly tokenValidUntil: number | undefined;
  /** What the invoice asks, in msat. */
  readonly amountMsat: bigint;
  readonly invoice: string;
  /** Hex. */
  readonly paymentHash: string;
  /** Unix seconds: when the invoice can no longer be paid. */
  readonly expiresAt: number;
}
