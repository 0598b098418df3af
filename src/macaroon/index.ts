export { decodeMacaroon, encodeMacaroon, DEFAULT_LIMITS, type DecodeLimits } from "./codec.ts";
export { MacaroonFormatError } from "./errors.ts";
export { fastHmacSha256, keepPads, sha256, type HmacSha256 } from "./fast-hmac.ts";
export {
  attenuate,
  computeSignature,
  constantTimeEqual,
  createMacaroon,
  deriveMacaroonKey,
  hasValidSignature,
} from "./signature.ts";
export { isThirdParty, type Caveat, type Macaroon } from "./types.ts";
