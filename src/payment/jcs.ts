import canonicalize from "canonicalize";

/**
 * JSON in its RFC 8785 (JCS) canonical form: members sorted by UTF-16 code
 * units, numbers and strings as ECMAScript writes them, no whitespace. The
 * `canonicalize` package is the RFC authors' own implementation; its 4.x is
 * the last to support Node 20 (5.x asks for Node 22 and writes the same).
 */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError("the value has no JSON form");
  return text;
}

/** Whether JSON read from outside has a canonical form: not where it holds a number past the double range (parsed as Infinity) or a lone surrogate. */
export function hasCanonicalForm(value: unknown): boolean {
  try {
    return canonicalize(value) !== undefined;
  } catch {
    return false;
  }
}
