/**
 * Characters an origin may read as ASCII letters or signs though they are not:
 * what Unicode compatibility folding (NFKC) turns into ASCII (fullwidth `／`
 * and `ａ`, ligatures, `ſ`, the Kelvin sign), and the letters whose own
 * uppercase or lowercase is an ASCII letter (Turkish dotless `ı` is `I` in
 * uppercase, dotted `İ` is `i` in lowercase): .NET's ordinal comparison
 * ignoring case and Java's `equalsIgnoreCase` take `/admın` for `/admin`.
 */

/** A case mapping that is one ASCII character, combining marks after it at most (`İ` → `i̇`). */
const ASCII_WITH_MARKS = /^[\x00-\x7f]\p{M}*$/u;

/** The ASCII character `char` may be read as, or undefined. */
function asciiReading(char: string): string | undefined {
  if (char.charCodeAt(0) < 0x80) return char;
  const folded = char.normalize("NFKC");
  if (/[\x00-\x7f]/.test(folded)) return folded;
  for (const mapped of [char.toUpperCase(), char.toLowerCase()]) if (ASCII_WITH_MARKS.test(mapped)) return mapped[0];
  return undefined;
}

/** True when some non-ASCII character of `text` may be read as ASCII. */
export function foldsToAscii(text: string): boolean {
  for (const char of text) if (char.charCodeAt(0) >= 0x80 && asciiReading(char) !== undefined) return true;
  return false;
}

/** `text` with each character that may be read as ASCII written so: the name a case-ignoring origin may take it for. */
export function asciiFolded(text: string): string {
  // Most names are ASCII: nothing to do.
  if (!/[^\x00-\x7f]/.test(text)) return text;
  let out = "";
  for (const char of text) out += asciiReading(char) ?? char;
  return out;
}
