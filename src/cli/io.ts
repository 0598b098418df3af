/** The command line's way out: one line on stderr and an exit code, never a stack trace. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** What this machine keeps for the command line is unusable (a token file or spend ledger unreadable, a lock held too long): said as it is, exit 70. */
export class LocalStateError extends Error {
  override readonly name = "LocalStateError";
}

export const EXIT = { ok: 0, refused: 1, usage: 2 } as const;

/** Characters that move a terminal's cursor, clear or recolour it (C0, DEL, C1: ESC and CSI among them) or reorder the text after them (bidi controls). */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
/** What JSON.stringify leaves raw of them (it escapes C0 only). */
const RAW_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
/** The most of a line said on stderr: a node's or a server's text quoted in it is cut there. */
const MAX_SAID_CHARS = 2000;

/** Text shown as it reads: each unprintable character as U+FFFD, so that text a server or a file wrote cannot rewrite the terminal. */
export const printable = (text: string): string => text.replace(UNPRINTABLE, "\ufffd");

/** One line on stderr, printable and bounded, after the program's name. */
export const say = (line: string): void => {
  const shown = printable(line);
  process.stderr.write(`l402-edge: ${shown.length > MAX_SAID_CHARS ? `${shown.slice(0, MAX_SAID_CHARS)}… (cut)` : shown}\n`);
};

/** How long and how deep JSON may be and still be indented: a host's deeply nested document, indented, grows with the square of its depth. */
const MOST_INDENTED_CHARS = 64 * 1024;
const MOST_INDENTED_DEPTH = 32;

/** JSON on stdout, indented unless long or deep, every unprintable character escaped (as \uXXXX: the same JSON). */
export const printJson = (value: unknown): void => {
  const compact = JSON.stringify(value);
  const indented = compact.length <= MOST_INDENTED_CHARS && depthOf(compact) <= MOST_INDENTED_DEPTH;
  const json = (indented ? JSON.stringify(value, null, 2) : compact).replace(RAW_IN_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  process.stdout.write(`${json}\n`);
};

/** How deep JSON text nests its arrays and objects (brackets in strings aside). */
function depthOf(json: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const char = json[i];
    if (inString) {
      if (char === "\\") i++;
      else if (char === '"') inString = false;
    } else if (char === '"') inString = true;
    else if (char === "[" || char === "{") deepest = Math.max(deepest, ++depth);
    else if (char === "]" || char === "}") depth--;
  }
  return deepest;
}
