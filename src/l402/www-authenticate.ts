import { decodeMacaroon, MacaroonFormatError } from "../macaroon/index.ts";
import { fromBase64Lenient, toBase64 } from "./encoding.ts";
import { MAX_CHALLENGE_HEADER_CHARS, MAX_INVOICE_CHARS } from "./limits.ts";
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

interface AuthChallenge {
  readonly scheme: string;
  readonly params: Map<string, string>;
}

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
  if (version !== undefined && version !== "0") return fail("bad_challenge", `unsupported version ${version}`);
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

const TOKEN_CHAR = /[!#$%&'*+.^_`|~0-9A-Za-z-]/;
const SPACE = /[ \t]/;
/** A token68 credential after a scheme (e.g. `Basic dXNlcg==`), ending at a comma or the end. */
const TOKEN68 = /[A-Za-z0-9\-._~+/]+=*(?=[ \t]*(?:,|$))/y;

/**
 * RFC 9110 §11.6.1 challenges: `scheme [param=value *(, param=value)]`, with
 * challenges themselves separated by commas. A token68 form is skipped.
 * Undefined on syntax it cannot read.
 */
function parseAuthChallenges(text: string): AuthChallenge[] | undefined {
  const challenges: AuthChallenge[] = [];
  let i = 0;
  const skip = (pattern: RegExp): void => {
    while (i < text.length && pattern.test(text[i] as string)) i++;
  };
  const token = (): string => {
    const start = i;
    skip(TOKEN_CHAR);
    return text.slice(start, i);
  };
  // Liberal: a bare value runs to the next space or comma, so unquoted base64 ('/', '+', '=') reads whole.
  const bare = (): string => {
    const start = i;
    skip(/[^ \t,"]/);
    return text.slice(start, i);
  };
  const quoted = (): string | undefined => {
    let value = "";
    for (i++; i < text.length; i++) {
      const c = text[i] as string;
      if (c === '"') {
        i++;
        return value;
      }
      if (c === "\\") i++;
      value += text[i] ?? "";
    }
    return undefined;
  };

  while (i < text.length) {
    skip(/[ \t,]/);
    if (i >= text.length) break;
    const name = token();
    if (name === "") return undefined;
    skip(SPACE);
    const current = challenges.at(-1);
    if (text[i] === "=" && current !== undefined && text[i + 1] !== "=") {
      i++;
      skip(SPACE);
      const value = text[i] === '"' ? quoted() : bare();
      if (value === undefined) return undefined;
      const key = name.toLowerCase();
      if (!current.params.has(key)) current.params.set(key, value);
    } else {
      challenges.push({ scheme: name.toUpperCase(), params: new Map() });
      TOKEN68.lastIndex = i;
      if (TOKEN68.test(text)) i = TOKEN68.lastIndex;
    }
  }
  return challenges;
}
