/**
 * Whether a pattern's test could take time growing faster than its input's
 * length. URLPattern compiles a pattern to a backtracking regular expression,
 * and every request, paid or not, is tested against the services' patterns:
 * in workerd, `/files/:name.:ext` took 213 ms for one crafted 16 KB path and
 * `/a/*\/b/*\/c/*\/d` half a second for a 4 KB one (its time grows with the
 * cube of the length); `/x-:a+` doubles with each character of its input.
 *
 * What makes it: two parts that may match more or less of the same text with
 * text after them that can fail — two variable parts in one segment, two
 * parts that may span segments — or a repetition of a part that is not
 * fenced off by a separator of its own (`/:a+` is `(?:/[^/]+)+`; `-:a+`
 * nests a repetition in a repetition). A `*` ending the pattern never fails
 * (it takes the rest), so it is not counted. Read from the pattern's syntax
 * (URLPattern's: `:name`, `(regex)`, `*`, `{…}` groups, the modifiers `?`,
 * `*`, `+`, `\` escapes), erring on the side of refusing: what is refused has
 * a linear spelling (`/files/:file`). `separator`: `/` for a path, `.` for a
 * hostname.
 */
export function backtrackingProblem(pattern: string, separator: "/" | "." = "/"): string | undefined {
  const parts = partsOf(pattern, separator);
  if (typeof parts === "string") return parts;
  const optional = parts.filter((part) => (part.kind === "variable" || part.kind === "close") && part.optional === true).length;
  if (optional > MOST_OPTIONAL_PARTS) return `holds ${optional} optional parts (each may double what URLPattern's test of a crafted request tries: with 20, seconds of CPU for one request); ${MOST_OPTIONAL_PARTS} at most`;
  const last = parts.at(-1);
  let spanning = 0;
  let inSegment = 0;
  // The count before each open group: an optional one may be absent, its separators with it, and what follows it then shares the segment before it.
  const before: number[] = [];
  for (const part of parts) {
    if (part.kind === "separator") inSegment = 0;
    if (part.kind === "open") before.push(inSegment);
    if (part.kind === "close") {
      const outside = before.pop() ?? 0;
      if (part.optional && outside > inSegment) inSegment = outside;
    }
    if (part.kind !== "variable" || (part === last && part.wildcard)) continue;
    if (++inSegment > 1) return `holds two variable parts in one ${separator === "/" ? "segment" : "label"} ${HOW_LONG}; one at most (\`/files/:file\`, not \`/files/:name.:ext\`)`;
    if (part.spans && ++spanning > 1) return `holds two parts that may span ${separator === "/" ? "segments" : "labels"} (\`*\`, \`:name+\`, \`:name*\`, a repeated \`{…}\` group, a regular expression that can match \`${separator}\`) ${HOW_LONG}; one at most, and a \`*\` ending the pattern`;
  }
  return undefined;
}

/** Optional parts (`:name?`, `{…}?`, `{…}*`) a pattern may hold: 2⁴ ways of matching a path at most. */
const MOST_OPTIONAL_PARTS = 4;

const HOW_LONG = "(URLPattern's test of a crafted request then takes time growing with a power of its length: seconds of CPU for one request)";
const UNFENCED = `repeats a part not fenced off by a separator of its own, or one that can match the separator (URLPattern's test of a crafted request then takes time growing exponentially with its length); repeat whole segments only (\`/:segment+\`, \`{/:segment}*\`)`;

type Part =
  | { readonly kind: "separator" | "literal" | "open" }
  | { readonly kind: "close"; readonly optional: boolean }
  | { readonly kind: "variable"; spans: boolean; readonly wildcard: boolean; readonly optional?: boolean };

const NAME = /^[\p{ID_Continue}$]+/u;

/** Reads the modifier after a part (or a group) whose parts begin at `first`: whether it repeats it, or why that repetition is refused. */
type Modified = (first: number, spans: boolean) => { readonly repeated: boolean } | string;

/** The pattern's parts in order, or what is wrong with it. */
function partsOf(pattern: string, separator: string): Part[] | string {
  const parts: Part[] = [];
  // Where each open `{` group's parts begin.
  const groups: number[] = [];
  let at = 0;
  // A modifier after a part (or a group): `?` makes it optional; `*` or `+` repeats it, sound only right after its own separator and never for what can match it.
  const modified: Modified = (first, spans) => {
    const modifier = pattern[at];
    if (modifier === "?") at++;
    if (modifier !== "*" && modifier !== "+") return { repeated: false };
    at++;
    // A group opening with the separator fences itself; a lone part only in a path, where URLPattern takes the `/` before it into the repetition.
    const fenced = parts[first]?.kind === "separator" || (separator === "/" && first === parts.length && parts.at(-1)?.kind === "separator");
    return fenced && !spans ? { repeated: true } : UNFENCED;
  };
  const variable = (spans: boolean, wildcard = false): string | undefined => {
    const modifier = pattern[at];
    const read = modified(parts.length, spans);
    if (typeof read === "string") return read;
    parts.push({ kind: "variable", spans: spans || read.repeated, wildcard: wildcard && modifier !== "?", optional: modifier === "?" });
    return undefined;
  };
  while (at < pattern.length) {
    const char = pattern[at] as string;
    let problem: string | undefined;
    if (char === "\\") {
      parts.push({ kind: "literal" });
      at += 2;
    } else if (char === separator) {
      parts.push({ kind: "separator" });
      at++;
    } else if (char === "*") {
      at++;
      problem = variable(true, true);
    } else if (char === ":" || char === "(") {
      if (char === ":") at += 1 + (NAME.exec(pattern.slice(at + 1))?.[0].length ?? 0);
      if (pattern[at] === "(") {
        const regex = regexAt(pattern, at, separator);
        if (typeof regex === "string") return regex;
        at = regex.end;
        problem = variable(regex.spans);
      } else {
        problem = variable(false);
      }
    } else if (char === "{") {
      parts.push({ kind: "open" });
      groups.push(parts.length);
      at++;
    } else if (char === "}") {
      at++;
      const first = groups.pop() ?? parts.length;
      parts.push({ kind: "close", optional: pattern[at] === "?" || pattern[at] === "*" });
      problem = repeatedGroup(parts, first, modified);
    } else {
      parts.push({ kind: "literal" });
      at++;
    }
    if (problem !== undefined) return problem;
  }
  return parts;
}

/** A `{…}` group's modifier: a repeated group is one part that spans, sound when it opens with its separator and holds at most one variable part that cannot match it. */
function repeatedGroup(parts: Part[], first: number, modified: Modified): string | undefined {
  const inside = parts.slice(first).filter((part) => part.kind === "variable");
  const read = modified(first, inside.length > 1 || inside.some((part) => part.kind === "variable" && part.spans));
  if (typeof read === "string" || !read.repeated) return typeof read === "string" ? read : undefined;
  // Repeated: its variable part (or, with none, the group) spans.
  const [only] = inside;
  if (only?.kind === "variable") only.spans = true;
  else parts.push({ kind: "variable", spans: true, wildcard: false });
  return undefined;
}

/**
 * Whether one piece of a regular expression (a character, or an escape) can
 * never match the separator: letters, digits, `_`, `-`, `\d` and `\w`, and
 * an escaped or (in a class) bare `.` in a path. Anything else might.
 */
function neverSeparator(piece: string, inClass: boolean, separator: string): boolean {
  if (/^(?:[A-Za-z0-9_-]|\\[dw_-])$/.test(piece)) return true;
  return separator === "/" && (piece === "\\." || (inClass && piece === "."));
}

/**
 * A regular-expression group opening at `start`: where it ends, and whether
 * it may match the separator (then it may span segments): it may unless each
 * piece is one that never does (neverSeparator), or a quantifier. Refused: a
 * group in it, or more than one quantifier that varies its length (`*`, `+`,
 * `?`, `{n,m}`; an exact `{n}` does not, nor a `?` making the one before it
 * lazy): either can make it backtrack on its own (`x?x?x?…xxx`,
 * `[a-z]{0,9000}[a-z]{0,9000}`).
 */
function regexAt(pattern: string, start: number, separator: string): { readonly end: number; readonly spans: boolean } | string {
  let quantifiers = 0;
  let spans = false;
  // Whether the token before was a quantifier: a `?` after one makes it lazy.
  let quantified = false;
  for (let at = start + 1; at < pattern.length; at++) {
    const char = pattern[at] as string;
    const lazy: boolean = quantified && char === "?";
    quantified = false;
    if (char === "(") return "holds a regular expression with a group inside (it can backtrack on its own: a request's test could take seconds of CPU); write it without one";
    if (char === ")") {
      if (quantifiers > 1) return "holds a regular expression varying its length in more than one place (`*`, `+`, `?`, `{n,m}`: it can backtrack on its own, a request's test taking seconds of CPU); one at most";
      return { end: at + 1, spans };
    }
    if (char === "[") {
      const close = classEnd(pattern, at);
      if (close === undefined) break;
      spans ||= !classNeverSeparator(pattern.slice(at + 1, close), separator);
      at = close;
    } else if (char === "\\") {
      spans ||= !neverSeparator(pattern.slice(at, at + 2), false, separator);
      // `\p{…}`, `\u{…}`: the braces are the escape's, not a count.
      const braced = /^\\[pPu]\{[^}]*\}/.exec(pattern.slice(at));
      at += braced === null ? 1 : braced[0].length - 1;
    } else if (char === "{") {
      const count = /^\{\d*(,\d*)?\}/.exec(pattern.slice(at));
      if (count?.[1] !== undefined || count === null) quantifiers++;
      at += (count?.[0].length ?? 1) - 1;
      quantified = true;
    } else if (char === "*" || char === "+" || char === "?") {
      if (!lazy) quantifiers++;
      quantified = !lazy;
    } else if (!/[}\d,|^$]/.test(char)) {
      spans ||= !neverSeparator(char, false, separator);
    }
  }
  return "holds a regular expression that is never closed";
}

/** Where a character class opening at `start` closes (its `]`), escapes read. */
function classEnd(pattern: string, start: number): number | undefined {
  for (let at = start + 1; at < pattern.length; at++) {
    if (pattern[at] === "\\") at++;
    else if (pattern[at] === "]") return at;
  }
  return undefined;
}

/** A class that can never match the separator: not negated, each member one that never does, each range within letters or digits. */
function classNeverSeparator(members: string, separator: string): boolean {
  if (members.startsWith("^")) return false;
  const pieces = members.match(/\\.|[^\\]/g) ?? [];
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i] as string;
    if (pieces[i + 1] === "-" && pieces[i + 2] !== undefined) {
      const [from, to] = [piece, pieces[i + 2] as string];
      if (!/^(?:[a-z]-[a-z]|[A-Z]-[A-Z]|[0-9]-[0-9])$/.test(`${from}-${to}`)) return false;
      i += 2;
    } else if (!neverSeparator(piece, true, separator)) {
      return false;
    }
  }
  return true;
}
