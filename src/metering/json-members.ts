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

const isSpace = (byte: number): boolean => byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
/** A UTF-8 byte order mark's (EF BB BF), which a decoder drops before the value. */
const isBomByte = (byte: number): boolean => byte === 0xef || byte === 0xbb || byte === 0xbf;

/**
 * The members to keep, by name in the top-level object (with
 * `arrayOfObjects`, in each object of a top-level array too: the last
 * element's win): `true`, its whole value; a set of names, those members of
 * its value (an object), as a Responses stream's event keeps its usage in
 * `response.usage`.
 */
export type WantedMembers = ReadonlyMap<string, true | ReadonlySet<string>>;

export interface JsonMembers {
  /** The next bytes of the document, as they pass: read during the call, never kept. */
  push(chunk: Uint8Array, from?: number, to?: number): void;
  /** The members asked for that the document holds, the last of each, as the JSON text of an object (those of a member's value within it); "{}" when none. */
  readonly json: () => string;
}

/** A value being kept: where it sits (its name, and its parent's for one a level down), and its bytes so far. */
interface Capture {
  readonly parent: string | undefined;
  readonly name: string;
  /** The depth of the object it is a member of. */
  readonly level: number;
  readonly parts: Uint8Array[];
  bytes: number;
}

/**
 * A JSON document read as its bytes pass, too large to hold (a JSON answer or
 * an event past the most the meter holds), keeping the raw text of the
 * members `wanted` names, at the top level or one level down: nesting is
 * followed (strings and their escapes skipped), so a member of the same name
 * deeper down — a tool call's arguments, text the model wrote — is never
 * taken for it, wherever the API writes its own. A document that is not one
 * whole JSON value (text around it, another after it, cut short) keeps
 * nothing: JSON.parse would read no usage from it.
 */
export function createJsonMembers(wanted: WantedMembers, options: { readonly arrayOfObjects?: boolean } = {}): JsonMembers {
  const kept = new Map<string, Uint8Array>();
  const keptWithin = new Map<string, Map<string, Uint8Array>>();
  let depth = 0;
  let inString = false;
  let escaped = false;
  // Outside the value: whether it began, and whether anything but whitespace (or a leading BOM) came around it.
  let begun = false;
  let malformed = false;
  // The depth of the members read as the document's own: 1 in a top-level object, 2 in the objects of a top-level array (Gemini's JSON stream).
  let top = 1;
  // Levels top (those members) and top + 1 (their members' members): whether each is an object, whether a name comes next, the last name read.
  const isObject = [false, false, false, false];
  const expectName = [false, false, false, false];
  const lastName: (string | undefined)[] = [undefined, undefined, undefined, undefined];
  // The top-level member whose value is being read, and which of its members are wanted (its value an object).
  let member: string | undefined;
  let within: ReadonlySet<string> | undefined;
  // A name being read: its level, its parts so far, and where it began in this chunk.
  let nameLevel = 0;
  let nameParts: Uint8Array[] | undefined;
  let nameBytes = 0;
  let capture: Capture | undefined;
  let valueFrom = 0;

  const keepValue = (chunk: Uint8Array, to: number): void => {
    if (capture === undefined) return;
    capture.bytes += to - valueFrom;
    if (capture.bytes <= MAX_VALUE_BYTES) capture.parts.push(chunk.slice(valueFrom, to));
  };
  const endValue = (chunk: Uint8Array, at: number, level: number): void => {
    if (capture?.level !== level) return;
    keepValue(chunk, at);
    let store = kept;
    if (capture.parent !== undefined) {
      store = keptWithin.get(capture.parent) ?? new Map<string, Uint8Array>();
      keptWithin.set(capture.parent, store);
    }
    if (capture.bytes <= MAX_VALUE_BYTES) store.set(capture.name, concatBytes(...capture.parts));
    else store.delete(capture.name);
    capture = undefined;
  };
  /** A name is read at level top, and at level top + 1 inside a member whose members are wanted. */
  const namesAt = (level: number): boolean => level === top || (level === top + 1 && within !== undefined);

  return {
    push(chunk, from = 0, to = chunk.length) {
      valueFrom = from;
      let nameFrom = from;
      for (let at = from; at < to; at++) {
        const byte = chunk[at] as number;
        if (inString) {
          if (escaped) escaped = false;
          else if (byte === BACKSLASH) escaped = true;
          else if (byte === QUOTE) {
            inString = false;
            if (nameParts !== undefined) {
              nameBytes += at - nameFrom;
              if (nameBytes <= MAX_NAME_BYTES) nameParts.push(chunk.subarray(nameFrom, at));
              lastName[nameLevel] = nameBytes <= MAX_NAME_BYTES ? bodyText(concatBytes(...nameParts)) : undefined;
              nameParts = undefined;
            }
          }
          continue;
        }
        if (depth === 0) {
          if ((byte === OPEN_BRACE || byte === OPEN_BRACKET) && !begun) {
            begun = true;
            top = byte === OPEN_BRACKET && options.arrayOfObjects === true ? 2 : 1;
          } else if (!isSpace(byte) && (begun || !isBomByte(byte))) malformed = true;
        }
        if (byte === QUOTE) {
          inString = true;
          if (depth <= top + 1 && expectName[depth] === true && namesAt(depth)) {
            expectName[depth] = false;
            nameLevel = depth;
            nameParts = [];
            nameBytes = 0;
            nameFrom = at + 1;
          }
        } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
          depth++;
          if (depth <= top + 1) expectName[depth] = isObject[depth] = byte === OPEN_BRACE;
          if (depth === top + 1) {
            const members = member === undefined ? undefined : wanted.get(member);
            within = byte === OPEN_BRACE && members !== true ? members : undefined;
          }
        } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
          endValue(chunk, at, depth);
          if (depth === top + 1) within = undefined;
          depth = Math.max(0, depth - 1);
        } else if (byte === COLON && depth <= top + 1 && namesAt(depth)) {
          const name = lastName[depth];
          lastName[depth] = undefined;
          if (depth === top) member = name;
          const keep = name !== undefined && (depth === top ? wanted.get(name) === true : within?.has(name) === true);
          if (keep) {
            capture = { parent: depth === top ? undefined : member, name, level: depth, parts: [], bytes: 0 };
            valueFrom = at + 1;
          }
        } else if (byte === COMMA && depth <= top + 1) {
          endValue(chunk, at, depth);
          expectName[depth] = isObject[depth] === true;
          if (depth === top) member = undefined;
        }
      }
      // What this chunk leaves open is kept: a name's start (copied: the chunk is the caller's), a value's.
      if (nameParts !== undefined && nameBytes + to - nameFrom <= MAX_NAME_BYTES) nameParts.push(chunk.slice(nameFrom, to));
      if (nameParts !== undefined) nameBytes += to - nameFrom;
      keepValue(chunk, to);
    },
    json: () => {
      if (malformed || !begun || depth > 0 || inString) return "{}";
      const members = [...kept].map(([name, text]) => `${JSON.stringify(name)}:${bodyText(text)}`);
      for (const [parent, values] of keptWithin) {
        members.push(`${JSON.stringify(parent)}:{${[...values].map(([name, text]) => `${JSON.stringify(name)}:${bodyText(text)}`).join(",")}}`);
      }
      return `{${members.join(",")}}`;
    },
  };
}
