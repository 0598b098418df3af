import { fail, succeed, type Result } from "./result.ts";

/**
 * The L402 identifier, 66 bytes (Aperture's layout):
 *   version uint16 big-endian (= 0) || payment hash (32) || token id (32)
 */
export const IDENTIFIER_LENGTH = 66;
const IDENTIFIER_VERSION = 0;

export interface L402Identifier {
  readonly version: number;
  readonly paymentHash: Uint8Array;
  readonly tokenId: Uint8Array;
}

export function encodeIdentifier(paymentHash: Uint8Array, tokenId: Uint8Array): Uint8Array {
  if (paymentHash.length !== 32) throw new TypeError("payment hash must be 32 bytes");
  if (tokenId.length !== 32) throw new TypeError("token id must be 32 bytes");
  const out = new Uint8Array(IDENTIFIER_LENGTH);
  // bytes 0-1 stay zero: version 0, big-endian
  out.set(paymentHash, 2);
  out.set(tokenId, 34);
  return out;
}

/** Decodes an identifier, or says why it is not an L402 identifier. */
export function decodeIdentifier(bytes: Uint8Array): Result<L402Identifier, "invalid_identifier"> {
  if (bytes.length !== IDENTIFIER_LENGTH) {
    return fail("invalid_identifier", `identifier is ${bytes.length} bytes, an L402 identifier is ${IDENTIFIER_LENGTH}`);
  }
  const version = ((bytes[0] ?? 0) << 8) | (bytes[1] ?? 0);
  if (version !== IDENTIFIER_VERSION) return fail("invalid_identifier", `unsupported identifier version ${version}`);
  return succeed({ version, paymentHash: bytes.slice(2, 34), tokenId: bytes.slice(34, 66) });
}
