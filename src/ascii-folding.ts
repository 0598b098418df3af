/**
 * Characters an origin may read as ASCII letters or signs though they are not:
 * what Unicode compatibility folding (NFKC) turns into ASCII (fullwidth `／`
 * and `ａ`, ligatures, `ſ`, the Kelvin sign), and the letters whose own
 * uppercase or lowercase is an ASCII letter (Turkish dotless `ı` is `I` in
 * uppercase, dotted `İ` is `i` in lowercase): Java's `equalsIgnoreCase` and
 * Python's `re.IGNORECASE` take `/admın` for `/admin`.
 */

/** U+0130 İ: its lowercase is `i` to Java (a simple mapping); JavaScript's adds a combining dot. */
const DOTTED_CAPITAL_I = "\u0130";

/** The ASCII character `char` may be read as, or undefined. */
function asciiReading(char: string): string | undefined {
  if (char.charCodeAt(0) < 0x80) return char;
  const folded = char.normalize("NFKC");
  if (/[\x00-\x7f]/.test(folded)) return folded;
  if (char === DOTTED_CAPITAL_I) return "i";
  // One character for one: a case mapping that expands (ß to "SS", ǰ to J and a mark) is not read so ignoring case.
  for (const mapped of [char.toUpperCase(), char.toLowerCase()]) if (mapped.length === 1 && mapped.charCodeAt(0) < 0x80) return mapped;
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
