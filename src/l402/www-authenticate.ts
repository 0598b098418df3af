import { decodeMacaroon, MacaroonFormatError } from "../macaroon/index.ts";
import { fromBase64Lenient, toBase64 } from "./encoding.ts";
import { MAX_CHALLENGE_HEADER_CHARS, MAX_INVOICE_CHARS } from "./limits.ts";
import { parseAuthChallenges } from "./auth-challenges.ts";
import { fail, succeed, type Result } from "./result.ts";

/**
 * The 402 challenge. One value per scheme, L402 first, then LSAT:
 *
 *   L402 macaroon="<std base64>", invoice="<bolt11>"
 *   LSAT macaroon="<std base64>", invoice="<bolt11>"
 *
 * On the wire they are one `WWW-Authenticate` line, the two values joined by
 * `", "`: workerd joins repeated values of a known header when it writes a
 * response, so a Worker cannot send two lines. Every client parser reads the
 * joined line (test/node/worker-wire.test.ts reads the bytes).
 *
 * Why this order: lnget and L402sdk read the first value and accept either
 * scheme; Aperture's Go interceptor matches `(LSAT|L402) macaroon="(.*?)",
 * invoice="(.*?)"` (literal spaces) and lnget `(?i)(LSAT|L402)\s+macaroon="…",\s*invoice="…"`,
 * both taking the first match; L402 is the name current specs and clients use,
 * and the LSAT value keeps clients that only know the old name working.
 * `macaroon` before `invoice`, separated by exactly `", "`, as the regexes expect.
 */
export function formatChallenge(macaroon: Uint8Array, invoice: string): [string, string] {
  const params = `macaroon="${toBase64(macaroon)}", invoice="${invoice}"`;
  return [`L402 ${params}`, `LSAT ${params}`];
}

export interface Challenge {
  readonly scheme: "L402" | "LSAT";
  readonly macaroon: Uint8Array;
  readonly invoice: string;
}

export type ParsedChallenge = Result<Challenge, "bad_challenge">;

/**
 * Reads the first L402 or LSAT challenge from `WWW-Authenticate`. Accepts the
 * values joined by commas (what fetch's `Headers.get` returns for several header
 * lines), any scheme case, and the newer `token=` / `version=` parameters.
 */
export function parseChallenge(header: string): ParsedChallenge {
  if (header.length > MAX_CHALLENGE_HEADER_CHARS) {
    return fail("bad_challenge", `WWW-Authenticate longer than ${MAX_CHALLENGE_HEADER_CHARS} characters`);
  }
  const challenges = parseAuthChallenges(header);
  if (challenges === undefined) return fail("bad_challenge", "WWW-Authenticate does not parse");
  const l402 = challenges.find((c) => c.scheme === "L402" || c.scheme === "LSAT");
  if (l402 === undefined) return fail("bad_challenge", "no L402 or LSAT challenge");
  const version = l402.params.get("version");
  if (version !== undefined && version !== "0") return fail("bad_challenge", `unsupported version ${JSON.stringify(version.slice(0, 16))}${version.length > 16 ? " (cut)" : ""}`);
  const encoded = l402.params.get("macaroon") ?? l402.params.get("token");
  const invoice = l402.params.get("invoice");
  if (encoded === undefined || invoice === undefined) return fail("bad_challenge", "challenge lacks macaroon or invoice");
  if (invoice.length === 0 || invoice.length > MAX_INVOICE_CHARS) return fail("bad_challenge", "invoice length out of range");
  const macaroon = fromBase64Lenient(encoded);
  if (macaroon === undefined) return fail("bad_challenge", "macaroon is not base64");
  try {
    decodeMacaroon(macaroon);
  } catch (error) {
    if (error instanceof MacaroonFormatError) return fail("bad_challenge", `macaroon: ${error.message}`);
    throw error;
  }
  return succeed({ scheme: l402.scheme as "L402" | "LSAT", macaroon, invoice });
}
