/**
 * A caveat as it travels in a macaroon. A first-party caveat has only `id`
 * (its predicate, e.g. `services=svc:0`); a third-party caveat also carries a
 * `verificationId` and usually a `location`.
 */
export interface Caveat {
  readonly id: Uint8Array;
  readonly location?: string;
  readonly verificationId?: Uint8Array;
}

/** A decoded macaroon. `location` is a hint only: the signature does not cover it. */
export interface Macaroon {
  readonly location?: string;
  readonly identifier: Uint8Array;
  readonly caveats: readonly Caveat[];
  readonly signature: Uint8Array;
}

export const isThirdParty = (caveat: Caveat): boolean => caveat.verificationId !== undefined;
