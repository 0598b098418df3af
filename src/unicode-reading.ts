/**
 * A path's non-ASCII text as an origin comparing Unicode may read it: composed
 * (NFC: macOS file systems and many frameworks normalize, so `e` followed by a
 * combining acute is `é`) and, where the service ignores case, each letter in
 * one case by its one-for-one mappings (`É` is `é`, `Σ` and `ς` are `σ`), as
 * Java's `equalsIgnoreCase` and Python's `re.IGNORECASE` compare them.
 * Percent-escapes stand for the text: the canonical path (canonical-url.ts)
 * keeps non-ASCII escaped, in upper case, and URLPattern escapes a pattern's so.
 *
 * The paywall matches a path both as sent and as read (paywall/match.ts), and
 * each pattern as written and in the read form (config/services.ts): `/CAFÉ/x`
 * and `/cafe%CC%81/x` are `/café/*`'s when an origin may serve them as
 * `/café/x`. ASCII is left to the patterns (canonical-url.ts refuses what folds
 * to ASCII, composed or not).
 * Not read so: full case folding (`ß` as `ss`), accents ignored (MySQL's `_ai_`
 * collations), compatibility forms (NFKC: halfwidth `ｶ` as `カ`).
 */

/** An escaped byte of a multi-byte UTF-8 character: canonical paths write them in upper case. */
const NON_ASCII_ESCAPE = /%[89A-F][0-9A-F]/;
const NON_ASCII_ESCAPES = /(?:%[89A-Fa-f][0-9A-Fa-f])+/g;
const NON_ASCII = /[^\x00-\x7f]+/g;

/**
 * `char` in one case: its uppercase's lowercase, one character for one. An
 * uppercase that expands (`ß` is `SS`, `ᾳ` is `ΑΙ`) is no simple mapping, which
 * Java and Python compare by: then the letter's own lowercase (`ᾼ` is `ᾳ`).
 */
function oneCase(char: string): string {
  const upper = char.toUpperCase();
  const lower = ([...upper].length === 1 ? upper : char).toLowerCase();
  return [...lower].length === 1 ? lower : char;
}

/** Text (non-ASCII written as itself) in its read form. */
function readForm(text: string, ignoreCase: boolean): string {
  const composed = text.normalize("NFC");
  return ignoreCase ? composed.replace(NON_ASCII, (run) => [...run].map(oneCase).join("")) : composed;
}

/** The escaped UTF-8 runs of `text` decoded; undefined when one is not UTF-8. */
function decodeEscapedRuns(text: string): string | undefined {
  try {
    return text.replace(NON_ASCII_ESCAPES, (run) => decodeURIComponent(run));
  } catch {
    return undefined;
  }
}

/**
 * The canonical path `pathname` as read, escaped as canonical paths are;
 * undefined when it reads as itself (every ASCII path: no work).
 */
export function unicodeReading(pathname: string, ignoreCase: boolean): string | undefined {
  if (!NON_ASCII_ESCAPE.test(pathname)) return undefined;
  const decoded = decodeEscapedRuns(pathname);
  if (decoded === undefined) return undefined;
  const read = readForm(decoded, ignoreCase).replace(NON_ASCII, (run) => encodeURIComponent(run));
  return read === pathname ? undefined : read;
}

/**
 * A pattern's text (from the config) in the read form. Its non-ASCII written as
 * itself; an escape is kept as written (inside a regular expression group,
 * URLPattern takes no non-ASCII).
 */
export function patternReading(text: string, ignoreCase: boolean): string {
  return /[^\x00-\x7f]/.test(text) ? readForm(text, ignoreCase) : text;
}

/** A price rule's value for a path parameter, as the path's read form gives the request's (paywall/price-rules.ts): read, and in lower case where the service ignores case. */
export function paramReading(value: string, ignoreCase: boolean): string {
  const read = readForm(value, ignoreCase);
  return ignoreCase ? read.toLowerCase() : read;
}
