/**
 * HTML built from a template with every value escaped, as hono/html's `html`
 * does, without Hono (the fetch adapter carries no framework): `html\`<p>${x}</p>\``
 * escapes `x`, unless it is itself `html` or `raw(...)`. Arrays are joined; `undefined`,
 * `null` and `false` write nothing.
 */
const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export class Html {
  readonly #text: string;
  constructor(text: string) {
    this.#text = text;
  }
  toString(): string {
    return this.#text;
  }
}

export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (char) => ESCAPES[char] as string);

/** Text written as it is: only for markup the code itself made (an SVG, a style sheet, the page's script). */
export const raw = (text: string): Html => new Html(text);

type Value = Html | string | number | boolean | null | undefined | readonly Value[];

function write(value: Value): string {
  if (value === undefined || value === null || value === false) return "";
  if (value instanceof Html) return value.toString();
  if (Array.isArray(value)) return value.map(write).join("");
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: readonly Value[]): Html {
  let out = strings[0] ?? "";
  values.forEach((value, index) => {
    out += write(value) + (strings[index + 1] ?? "");
  });
  return new Html(out);
}
