/** What a 402 carries: one invoice and the macaroon minted over its payment hash (every scheme's challenge is built from them). */
export interface ChallengeParts {
  readonly macaroon: Uint8Array;
  readonly invoice: string;
  /** Hex. */
  readonly paymentHash: string;
  /** Unix seconds. */
  readonly expiresAt: number;
}
