export {
  capabilitiesCondition,
  checkCaveats,
  grantFor,
  readCaveats,
  type CaveatReading,
  decodeCaveat,
  encodeCaveat,
  isValidServiceName,
  namedServices,
  serviceCaveats,
  SERVICES,
  usesCondition,
  priceCondition,
  requestCondition,
  creditCondition,
  topupCondition,
  validUntilCondition,
  type CaveatContext,
  type Grant,
  type Predicate,
} from "./caveats.ts";
export { formatChallenge, parseChallenge, type Challenge, type ParsedChallenge } from "./www-authenticate.ts";
export { parseAuthChallenges, quoteParam, type AuthChallenge } from "./auth-challenges.ts";
export {
  credentialSource,
  formatAuthorization,
  parseAuthorization,
  parseMacaroonHeader,
  readCredential,
  type CredentialHeaders,
  type ParsedCredential,
} from "./credential.ts";
export { fromBase64Lenient, fromHex, toBase64, toHex } from "./encoding.ts";
export { decodeIdentifier, encodeIdentifier, IDENTIFIER_LENGTH, type L402Identifier } from "./identifier.ts";
export { describeMacaroon, tokenFacts, type TokenDescription, type TokenFacts } from "./inspect.ts";
export { MAX_CHALLENGE_HEADER_CHARS, MAX_CREDENTIAL_HEADER_CHARS, MAX_INVOICE_CHARS } from "./limits.ts";
export {
  createKeyring,
  deriveRootKey,
  keyForToken,
  keyIdOf,
  keyIdOfToken,
  MIN_MASTER_KEY_BYTES,
  newTokenId,
  parseMasterKeys,
  type Keyring,
  type MasterKey,
} from "./keyring.ts";
export { DEFAULT_LOCATION, mint, type MintedToken } from "./mint.ts";
export { formatSats } from "./price.ts";
export type { FailureReason } from "./reasons.ts";
export { fail, succeed, type Failure, type Result } from "./result.ts";
export { authenticate, grantOf, verify, type Authenticated, type Credential, type VerifiedToken, type VerifyOptions } from "./verify.ts";
export { createVerifier, type Verification, type Verifier, type VerifierLimits } from "./cached-verifier.ts";
