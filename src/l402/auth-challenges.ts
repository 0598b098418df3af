/**
 * `WWW-Authenticate` as RFC 9110 §11.6.1 writes it: challenges
 * `scheme [param=value *(, param=value)]`, themselves separated by commas (how
 * fetch joins several header lines). Shared by L402 (www-authenticate.ts) and
 * the Payment scheme (src/payment/).
 */
export interface AuthChallenge {
  /** Upper-cased: schemes are case-insensitive. */
  readonly scheme: string;
  /** Lower-cased names; the first occurrence of a name wins (a later one cannot override what the origin set). */
  readonly params: Map<string, string>;
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
export function parseAuthChallenges(text: string): AuthChallenge[] | undefined {
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

/**
 * An auth-param value as an RFC 9110 §5.6.4 quoted-string: `\` and `"` become
 * quoted-pairs; control characters other than tab, which the grammar cannot
 * carry, are dropped (a CR or LF would split the header).
 */
export function quoteParam(value: string): string {
  return `"${value.replace(/[\x00-\x08\x0a-\x1f\x7f]/g, "").replace(/["\\]/g, "\\$&")}"`;
}
