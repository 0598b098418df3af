import { decodeMacaroon, MacaroonFormatError, type Macaroon } from "../macaroon/index.ts";
import { fromBase64Lenient, fromHex, parseAuthorization, type Credential } from "../l402/index.ts";
import { UsageError } from "./io.ts";

const SCHEME = /^\s*(L402|LSAT)\s/i;

/**
 * A token as a person pastes it: a whole `L402 <mac>:<preimage>` value, a
 * `<mac>:<preimage>` pair, or a bare macaroon in base64 or hex.
 */
export function readToken(input: string): { macaroon: Macaroon; preimage?: Uint8Array } {
  const text = input.trim();
  if (SCHEME.test(text) || text.includes(":")) return readCredential(text);
  const bytes = (/^[0-9a-fA-F]+$/.test(text) ? fromHex(text) : undefined) ?? fromBase64Lenient(text);
  if (bytes === undefined) throw new UsageError("the token is neither base64 nor hex");
  try {
    return { macaroon: decodeMacaroon(bytes) };
  } catch (error) {
    if (error instanceof MacaroonFormatError) throw new UsageError(`not a macaroon: ${error.message}`);
    throw error;
  }
}

export function readCredential(input: string): Credential {
  const text = input.trim();
  const parsed = parseAuthorization(SCHEME.test(text) ? text : `L402 ${text}`);
  if (!parsed.ok) throw new UsageError(`not an L402 credential: ${parsed.detail}`);
  return parsed.value;
}

export function readHex(value: string, what: string, bytes?: number): Uint8Array {
  const decoded = fromHex(value.trim());
  if (decoded === undefined) throw new UsageError(`${what} must be hex`);
  if (bytes !== undefined && decoded.length !== bytes) {
    throw new UsageError(`${what} must be ${bytes} bytes (${bytes * 2} hex characters)`);
  }
  return decoded;
}
