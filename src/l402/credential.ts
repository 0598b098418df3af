import { constantTimeEqual } from "../bytes.ts";
import { decodeMacaroon, MacaroonFormatError, type Macaroon } from "../macaroon/index.ts";
import { decodeCaveat } from "./caveats.ts";
import { fromBase64Lenient, fromHex } from "./encoding.ts";
import { MAX_CREDENTIAL_HEADER_CHARS } from "./limits.ts";
import { fail, succeed, type Result } from "./result.ts";
import type { Credential } from "./verify.ts";

/** The request headers that can carry an L402 credential (null when absent). */
export interface CredentialHeaders {
  readonly authorization: string | null;
  /** `Macaroon: <hex>` with the preimage inside as a final `preimage=` caveat. */
  readonly macaroon: string | null;
  readonly grpcMetadataMacaroon: string | null;
}

export type ParsedCredential = Result<Credential>;

const SCHEME = /^(L402|LSAT)\s+(.*)$/is;
const PREIMAGE = /^[0-9a-fA-F]{64}$/;

/** Which header carries the credential, and its text: `Authorization` when it has an L402 or LSAT scheme, else the hex forms. */
export function credentialSource(headers: CredentialHeaders): { readonly form: "authorization" | "macaroon"; readonly text: string } | undefined {
  if (headers.authorization !== null && SCHEME.test(headers.authorization.trim())) return { form: "authorization", text: headers.authorization };
  const hexForm = headers.macaroon ?? headers.grpcMetadataMacaroon;
  return hexForm === null ? undefined : { form: "macaroon", text: hexForm };
}

/**
 * Finds and parses the credential. `Authorization` wins when it carries an
 * L402 or LSAT scheme; the hex header forms are the reference's alternatives.
 */
export function readCredential(headers: CredentialHeaders): ParsedCredential {
  const source = credentialSource(headers);
  if (source === undefined) return fail("missing", "no L402 credential in the request");
  return source.form === "authorization" ? parseAuthorization(source.text) : parseMacaroonHeader(source.text);
}

/** Where one Authorization value ends and the next begins, when several arrive joined by commas. */
const NEXT_VALUE = /,\s*(?=(?:L402|LSAT)\s)/i;

/**
 * `L402 <base64 macaroon>:<hex preimage>`, scheme L402 or LSAT in any case,
 * base64 standard or URL-safe, padded or not, preimage hex in any case.
 *
 * Several values are accepted when they carry the same credential: Aperture's
 * Go client (`l402.SetHeader`) sends it twice, as `LSAT …` and `L402 …`, and the
 * two header lines reach the Worker joined by a comma. Different ones are refused.
 */
export function parseAuthorization(header: string): ParsedCredential {
  if (header.length > MAX_CREDENTIAL_HEADER_CHARS) {
    return fail("malformed", `Authorization header longer than ${MAX_CREDENTIAL_HEADER_CHARS} characters`);
  }
  const values = header.split(NEXT_VALUE).map(parseValue);
  const first = values[0] as ReturnType<typeof parseValue>;
  if (!first.ok) return first;
  for (const other of values.slice(1)) {
    if (!other.ok) return other;
    if (!constantTimeEqual(other.value.bytes, first.value.bytes) || !constantTimeEqual(other.value.credential.preimage, first.value.credential.preimage)) {
      return fail("malformed", "several Authorization values carry different credentials; send one");
    }
  }
  return succeed(first.value.credential);
}

/** One Authorization value: the credential, and the macaroon's bytes as sent (to compare with another value's). */
function parseValue(value: string): Result<{ readonly credential: Credential; readonly bytes: Uint8Array }> {
  const match = SCHEME.exec(value.trim());
  if (match === null) return fail("missing", "Authorization scheme is not L402 or LSAT");
  const token = (match[2] as string).trim();
  if (token.includes(",")) return fail("malformed", "more than one macaroon in one credential; send exactly one");
  const parts = token.split(":");
  if (parts.length !== 2) return fail("malformed", "expected <macaroon>:<preimage>");
  const [encoded, preimageHex] = parts as [string, string];
  if (!PREIMAGE.test(preimageHex)) return fail("malformed", "the preimage must be 64 hex characters");
  const bytes = fromBase64Lenient(encoded);
  if (bytes === undefined) return fail("malformed", "the macaroon is not valid base64");
  const macaroon = decode(bytes);
  if (!macaroon.ok) return macaroon;
  return succeed({ credential: { macaroon: macaroon.value, preimage: fromHex(preimageHex) as Uint8Array }, bytes });
}

/** The hex macaroon form, whose preimage travels inside as a final `preimage=` caveat. */
export function parseMacaroonHeader(header: string): ParsedCredential {
  if (header.length > MAX_CREDENTIAL_HEADER_CHARS) {
    return fail("malformed", `Macaroon header longer than ${MAX_CREDENTIAL_HEADER_CHARS} characters`);
  }
  const bytes = fromHex(header.trim());
  if (bytes === undefined) return fail("malformed", "the Macaroon header is not hex");
  const decoded = decode(bytes);
  if (!decoded.ok) return decoded;
  const macaroon = decoded.value;
  const last = macaroon.caveats.at(-1);
  const predicate = last === undefined ? undefined : decodeCaveat(last.id);
  if (predicate?.condition !== "preimage" || !PREIMAGE.test(predicate.value)) {
    return fail("malformed", "the macaroon's last caveat must be preimage=<64 hex>");
  }
  return succeed({ macaroon, preimage: fromHex(predicate.value) as Uint8Array });
}

function decode(bytes: Uint8Array): Result<Macaroon> {
  try {
    return succeed(decodeMacaroon(bytes));
  } catch (error) {
    if (error instanceof MacaroonFormatError) return fail("malformed", error.message);
    throw error;
  }
}

/** The Authorization value a client sends for a paid token. */
export const formatAuthorization = (macaroonBase64: string, preimageHex: string): string =>
  `L402 ${macaroonBase64}:${preimageHex.toLowerCase()}`;
