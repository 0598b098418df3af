export { decodeMacaroon, encodeMacaroon, DEFAULT_LIMITS, type DecodeLimits } from "./codec.ts";
export { MacaroonFormatError } from "./errors.ts";
export {
  attenuate,
  computeSignature,
  constantTimeEqual,
  createMacaroon,
  deriveMacaroonKey,
  hasValidSignature,
  nobleHmacSha256,
  type HmacSha256,
} from "./signature.ts";
export { isThirdParty, type Caveat, type Macaroon } from "./types.ts";
