import { bodyText, concatBytes } from "../bytes.ts";

/** The longest member value kept: a usage object is a few hundred bytes; a longer one is not usage, and is dropped. */
const MAX_VALUE_BYTES = 64 * 1024;
/** The longest member name read: the names asked for are short. */
const MAX_NAME_BYTES = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

export interface TopLevelMembers {
  /** The next bytes of the document, as they pass: read during the call, never kept. */
  push(chunk: Uint8Array): void;
  /** The members asked for that the document's top-level object holds, the last of each, as the JSON text of an object; "{}" when none. */
  readonly json: () => string;
}

/**
 * A JSON document read as its bytes pass, too large to hold (a JSON answer
 * past the most whole-answer.ts holds), keeping the raw text of the members
 * of its top-level object named in `names` (e.g. `usage`): nesting is
 * followed (strings and their escapes skipped), so a member of the same name
 * deeper down — a tool call's arguments, text the model wrote — is never
 * taken for it, wherever the API writes its own.
 */
export function createTopLevelMembers(names: ReadonlySet<string>): TopLevelMembers {
  const kept = new Map<string, Uint8Array>();
  let depth = 0;
  let inString = false;
  let escaped = false;
  // In the top-level object: whether the next string is a member's name, the name being read (bytes), the last name read.
  let inObject = false;
  let expectName = false;
  let nameParts: Uint8Array[] | undefined;
  let nameBytes = 0;
  let name: string | undefined;
  // The value of a member asked for, being read: its parts so far, and where it began in this chunk.
  let value: { name: string; parts: Uint8Array[]; bytes: number } | undefined;
  let valueFrom = 0;

  const keepValue = (chunk: Uint8Array, to: number): void => {
    if (value === undefined) return;
    value.bytes += to - valueFrom;
    if (value.bytes <= MAX_VALUE_BYTES) value.parts.push(chunk.slice(valueFrom, to));
  };
  const endValue = (chunk: Uint8Array, at: number): void => {
    if (value === undefined) return;
    keepValue(chunk, at);
    if (value.bytes <= MAX_VALUE_BYTES) kept.set(value.name, concatBytes(...value.parts));
    else kept.delete(value.name);
    value = undefined;
  };

  return {
    push(chunk) {
      valueFrom = 0;
      let nameFrom = 0;
      for (let at = 0; at < chunk.length; at++) {
        const byte = chunk[at] as number;
        if (inString) {
          if (escaped) escaped = false;
          else if (byte === BACKSLASH) escaped = true;
          else if (byte === QUOTE) {
            inString = false;
            if (nameParts !== undefined) {
              nameBytes += at - nameFrom;
              if (nameBytes <= MAX_NAME_BYTES) nameParts.push(chunk.subarray(nameFrom, at));
              name = nameBytes <= MAX_NAME_BYTES ? bodyText(concatBytes(...nameParts)) : undefined;
              nameParts = undefined;
            }
          }
          continue;
        }
        if (byte === QUOTE) {
          inString = true;
          if (depth === 1 && expectName) {
            expectName = false;
            nameParts = [];
            nameBytes = 0;
            nameFrom = at + 1;
          }
        } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
          depth++;
          if (depth === 1) expectName = inObject = byte === OPEN_BRACE;
        } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
          if (depth === 1) endValue(chunk, at);
          depth = Math.max(0, depth - 1);
        } else if (depth === 1 && byte === COLON) {
          if (name !== undefined && names.has(name)) {
            value = { name, parts: [], bytes: 0 };
            valueFrom = at + 1;
          }
          name = undefined;
        } else if (depth === 1 && byte === COMMA) {
          endValue(chunk, at);
          expectName = inObject;
        }
      }
      // What this chunk leaves open is kept: a name's start (copied: the chunk is the caller's), a value's.
      if (nameParts !== undefined && nameBytes + chunk.length - nameFrom <= MAX_NAME_BYTES) nameParts.push(chunk.slice(nameFrom));
      if (nameParts !== undefined) nameBytes += chunk.length - nameFrom;
      keepValue(chunk, chunk.length);
    },
    json: () => `{${[...kept].map(([member, text]) => `${JSON.stringify(member)}:${bodyText(text)}`).join(",")}}`,
  };
}
