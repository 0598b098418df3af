/** Why a macaroon could not be decoded. Always carries a human-readable detail. */
export class MacaroonFormatError extends Error {
  override readonly name = "MacaroonFormatError";
}
