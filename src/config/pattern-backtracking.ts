/**
 * Whether a path pattern's test could take time growing faster than a path's
 * length. URLPattern compiles a pattern to a backtracking regular expression,
 * and every request, paid or not, is tested against the services' patterns:
 * in workerd, `/files/:name.:ext` took 213 ms for one crafted 16 KB path and
 * `/a/*\/b/*\/c/*\/d` half a second for a 4 KB one (its time grows with the
 * cube of the length). It takes two parts that may each match more or less
 * of the same text with text after them that can fail: two variable parts in
 * one segment, or two parts that may span segments. A `*` ending the pattern
 * never fails (it takes the rest), so it is not counted; nor is a part
 * segments keep apart from another (`/:org/:repo`).
 *
 * Read from the pattern's own syntax (URLPattern's: `:name`, `(regex)`, `*`,
 * `{…}` groups, the modifiers `?`, `*` and `+`, `\` escapes), erring on the
 * side of refusing: what is refused has a linear spelling (`/files/:file`).
 */
export function backtrackingProblem(path: string): string | undefined {
  const parts = partsOf(path);
  if (typeof parts === "string") return parts;
  const last = parts.at(-1);
  const counted = parts.filter((part) => part !== last || !(part.kind === "variable" && part.wildcard));
  let spanning = 0;
  let inSegment = 0;
  for (const part of counted) {
    if (part.kind === "slash") inSegment = 0;
    if (part.kind !== "variable") continue;
    if (++inSegment > 1) return `holds two variable parts in one segment ${HOW_LONG}; one per segment (\`/files/:file\`, not \`/files/:name.:ext\`)`;
    if (part.spans && ++spanning > 1) return `holds two parts that may span segments (\`*\`, \`:name+\`, \`:name*\`, a repeated \`{…}\` group, a regular expression that can match \`/\`) ${HOW_LONG}; one at most, and a \`*\` ending the pattern`;
  }
  return undefined;
}

const HOW_LONG = "(URLPattern's test of a crafted path then takes time growing with a power of its length: seconds of CPU for one request)";

type Part = { readonly kind: "slash" | "literal" } | { readonly kind: "variable"; readonly spans: boolean; readonly wildcard: boolean };

const NAME = /^[\p{ID_Continue}$]+/u;

/** The pattern's parts in order, or what is wrong with a regular expression in it. */
function partsOf(path: string): Part[] | string {
  const parts: Part[] = [];
  let at = 0;
  const variable = (spans: boolean, wildcard = false) => {
    // A `*` or `+` after a part repeats it across segments; `?` only makes it optional.
    const modifier = path[at];
    const repeated = modifier === "*" || modifier === "+";
    if (repeated || modifier === "?") at++;
    parts.push({ kind: "variable", spans: spans || repeated, wildcard: wildcard && !repeated && modifier !== "?" });
  };
  while (at < path.length) {
    const char = path[at] as string;
    if (char === "\\") {
      parts.push({ kind: "literal" });
      at += 2;
    } else if (char === "/") {
      parts.push({ kind: "slash" });
      at++;
    } else if (char === "*") {
      at++;
      variable(true, true);
    } else if (char === ":" || char === "(") {
      if (char === ":") at += 1 + (NAME.exec(path.slice(at + 1))?.[0].length ?? 0);
      if (path[at] !== "(") {
        variable(false);
        continue;
      }
      const regex = regexAt(path, at);
      if (typeof regex === "string") return regex;
      at = regex.end;
      variable(regex.spans);
    } else if (char === "}") {
      at++;
      const modifier = path[at];
      if (modifier === "?") at++;
      else if (modifier === "*" || modifier === "+") variable(true);
    } else {
      if (char !== "{") parts.push({ kind: "literal" });
      at++;
    }
  }
  return parts;
}

/**
 * A regular-expression group opening at `start`: where it ends, and whether
 * it may match a `/` (then it may span segments). Refused: a group in it, or
 * more than one unbounded repetition (`*`, `+`, `{n,}`): either can make it
 * backtrack on its own.
 */
function regexAt(path: string, start: number): { readonly end: number; readonly spans: boolean } | string {
  let at = start + 1;
  let inClass = false;
  let repetitions = 0;
  let spans = false;
  for (; at < path.length; at++) {
    const char = path[at] as string;
    if (char === "\\") {
      if (/[DSW/]/.test(path[at + 1] ?? "")) spans = true;
      at++;
    } else if (inClass) {
      if (char === "]") inClass = false;
    } else if (char === "[") {
      inClass = true;
      if (path[at + 1] === "^" && !path.slice(at, path.indexOf("]", at + 2) + 1).includes("/")) spans = true;
    } else if (char === "(") {
      return "holds a regular expression with a group inside (it can backtrack on its own: a path's test could take seconds of CPU); write it without one";
    } else if (char === ")") {
      return repetitions > 1 ? "holds a regular expression repeating more than one part (`*`, `+`, `{n,}`: it can backtrack on its own, a path's test taking seconds of CPU); repeat one part at most" : { end: at + 1, spans };
    } else if (char === "*" || char === "+" || (char === "{" && /^\{\d*,\}/.test(path.slice(at)))) {
      repetitions++;
    } else if (char === "." || char === "/") {
      spans = true;
    }
  }
  return "holds a regular expression that is never closed";
}
