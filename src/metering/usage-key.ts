import { onWorkers } from "../platform.ts";

/**
 * Finding the usage keys (`"usage"`: OpenAI's, Anthropic's; `"usageMetadata"`:
 * Gemini's) in an event stream's bytes before any event is decoded: in one
 * event's data (llm-usage.ts reads an event only where one is), and in whole
 * events as they came (meterStream passes over those that cannot report usage).
 */

export const QUOTE = 0x22;
export const COLON = 0x3a;
export const BRACE = 0x7b;
const bytesOf = (text: string): Uint8Array => Uint8Array.from(text, (char) => char.charCodeAt(0));
/** What both keys begin with: `"usage"` (OpenAI's, Anthropic's) and `"usageMetadata"` (Gemini's) go on from it. */
const KEY_START = bytesOf('"usage');
const METADATA = bytesOf('Metadata"');
/** Boyer–Moore–Horspool: how far the search may move when the byte under the prefix's last place is this one (most bytes: its whole length). */
const KEY_SHIFT = new Uint8Array(256).fill(KEY_START.length);
for (let i = 0; i < KEY_START.length - 1; i++) KEY_SHIFT[KEY_START[i] as number] = KEY_START.length - 1 - i;
const KEY_START_LAST = KEY_START.length - 1;
const KEY_START_LAST_BYTE = KEY_START[KEY_START_LAST] as number;

/** Where a usage key (`"usage"` or `"usageMetadata"`) found at `from` or later (and ending before `to`) ends, just past its closing quote; or -1. */
export function indexPastUsageKey(data: Uint8Array, from: number, to: number): number {
  for (let end = from + KEY_START_LAST; end < to; end += KEY_SHIFT[data[end] as number] as number) {
    // Only where the prefix's last byte lies is the rest compared, back from it; then what follows it.
    if (data[end] !== KEY_START_LAST_BYTE) continue;
    let i = 1;
    while (i <= KEY_START_LAST && data[end - i] === KEY_START[KEY_START_LAST - i]) i++;
    if (i <= KEY_START_LAST) continue;
    if (end + 1 < to && data[end + 1] === QUOTE) return end + 2;
    // `Metadata"` takes end + 1 to end + METADATA.length, which must lie before `to`.
    if (end + 1 + METADATA.length <= to) {
      let j = 0;
      while (j < METADATA.length && data[end + 1 + j] === METADATA[j]) j++;
      if (j === METADATA.length) return end + 1 + METADATA.length;
    }
  }
  return -1;
}

/** Past the spaces and tabs (and VT, FF) from `at` (before `to`): what whitespace can be inside a line. */
function skipLineSpace(data: Uint8Array, at: number, to: number): number {
  for (; at < to; at++) {
    const byte = data[at] as number;
    if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0b && byte !== 0x0c) return at;
  }
  return at;
}

/** Whether the byte at `at` may begin what the pattern's `\s` allows beyond a line: a line end (the data may go on in the next data line), a byte beyond ASCII, or the range's end. */
const mayGoOn = (data: Uint8Array, at: number, to: number): boolean => at === to || data[at] === 0x0a || data[at] === 0x0d || (data[at] as number) >= 0x80;

/**
 * Whether whole events, as raw bytes (their lines, `data:` prefixes and all),
 * may hold one whose data llm-usage.ts's MAY_CARRY_USAGE passes: an event's
 * data is its data lines' values joined with LF, so a key it holds is in the
 * raw bytes as it is, and what follows it is the same up to the line's end.
 * Where that is reached before the `{`, they may (so the events are read).
 */
export function eventsMayCarryUsageInBytes(raw: Uint8Array, from: number, to: number): boolean {
  for (let past = indexPastUsageKey(raw, from, to); past !== -1; past = indexPastUsageKey(raw, past - 1, to)) {
    let next = skipLineSpace(raw, past, to);
    if (mayGoOn(raw, next, to)) return true;
    if (raw[next] !== COLON) continue;
    next = skipLineSpace(raw, next + 1, to);
    if (mayGoOn(raw, next, to) || raw[next] === BRACE) return true;
  }
  return false;
}

/** The bytes searched as text. What is searched for is ASCII, and a byte that is not UTF-8 becomes U+FFFD (an ASCII byte never is taken into one): beyond ASCII, as it was. */
const asText = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });
const isLineSpace = (code: number): boolean => code === 0x20 || code === 0x09 || code === 0x0b || code === 0x0c;
const mayGoOnInText = (text: string, at: number): boolean => at === text.length || text.charCodeAt(at) === 0x0a || text.charCodeAt(at) === 0x0d || text.charCodeAt(at) >= 0x80;

/** eventsMayCarryUsageInBytes, the same answer, from the bytes decoded and searched by String.prototype.indexOf. */
export function eventsMayCarryUsageInText(raw: Uint8Array, from: number, to: number): boolean {
  const text = asText.decode(raw.subarray(from, to));
  // `usage` sought, not `"usage`: a quote is JSON's commonest character, and indexOf would stop at each.
  for (let at = text.indexOf("usage", 1); at !== -1; at = text.indexOf("usage", at + 1)) {
    if (text.charCodeAt(at - 1) !== QUOTE) continue;
    let next = text.charCodeAt(at + 5) === QUOTE ? at + 6 : text.startsWith('Metadata"', at + 5) ? at + 14 : -1;
    if (next === -1) continue;
    while (isLineSpace(text.charCodeAt(next))) next++;
    if (mayGoOnInText(text, next)) return true;
    if (text.charCodeAt(next) !== COLON) continue;
    next++;
    while (isLineSpace(text.charCodeAt(next))) next++;
    if (mayGoOnInText(text, next) || text.charCodeAt(next) === BRACE) return true;
  }
  return false;
}

/**
 * What meterStream asks of every stretch of whole events. In workerd the
 * decode is native, at memory speed, and so is indexOf: the text search took
 * about half the CPU of the byte search (0.36 against 0.75 ms a MiB of an
 * OpenAI stream; a metered completion's CPU in workerd fell about a third).
 * Node's TextDecoder is slower (0.55 ms a MiB): there the bytes are searched.
 */
export const eventsMayCarryUsage = onWorkers() ? eventsMayCarryUsageInText : eventsMayCarryUsageInBytes;
