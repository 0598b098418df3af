/**
 * Why a credential was refused. These strings reach clients (402 bodies, CLI
 * output), so they are part of the public contract: add, never rename.
 */
export type FailureReason =
  | "missing" // no L402 credential in the request
  | "malformed" // a header, base64, hex or macaroon that does not parse
  | "invalid_identifier" // a macaroon, but not an L402 identifier (66 bytes, version 0)
  | "unknown_key" // minted under a master key that is not (or no longer) configured
  | "wrong_preimage" // sha256(preimage) is not the token's payment hash
  | "bad_signature" // the HMAC chain does not match: not ours, or tampered
  | "third_party_caveat" // an L402 verifier cannot discharge third-party caveats
  | "invalid_caveat" // a known condition with an unreadable value
  | "caveat_widened" // a later caveat tries to loosen an earlier one
  | "service_mismatch" // the token does not cover this service
  | "capability_denied" // the token does not grant what this request needs
  | "expired"
  | "exhausted" // a metered token has used every request it paid for
  | "revoked"; // the operator revoked this token
