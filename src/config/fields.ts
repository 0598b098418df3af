/**
 * Reading untyped settings with errors that name the field. A reader never
 * throws: it records a problem and returns undefined, so one pass reports every
 * bad field at once. Errors never quote a value (it may be a secret).
 */
export class FieldErrors {
  readonly list: string[] = [];

  add(field: string, problem: string): undefined {
    this.list.push(`${field}: ${problem}`);
    return undefined;
  }

  string(value: unknown, field: string, options: { optional?: boolean; pattern?: { test(value: string): boolean }; patternHint?: string } = {}): string | undefined {
    if (value === undefined || value === null || value === "") return options.optional ? undefined : this.add(field, "is required");
    if (typeof value !== "string") return this.add(field, "must be a string");
    if (options.pattern && !options.pattern.test(value)) return this.add(field, options.patternHint ?? "has an invalid format");
    return value;
  }

  integer(value: unknown, field: string, options: { min: number; max: number; optional?: boolean }): number | undefined {
    if (value === undefined || value === null || value === "") return options.optional ? undefined : this.add(field, "is required");
    const number = typeof value === "string" && /^\d+$/.test(value) ? Number(value) : value;
    if (typeof number !== "number" || !Number.isSafeInteger(number) || number < options.min || number > options.max) {
      return this.add(field, `must be an integer from ${options.min} to ${options.max}`);
    }
    return number;
  }

  boolean(value: unknown, field: string, fallback: boolean): boolean {
    if (value === undefined || value === null) return fallback;
    if (typeof value === "boolean") return value;
    if (value === "true" || value === "false") return value === "true";
    this.add(field, "must be true or false");
    return fallback;
  }

  stringArray(value: unknown, field: string, pattern?: RegExp): string[] | undefined {
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value) || !value.every((item) => typeof item === "string")) return this.add(field, "must be an array of strings");
    const bad = pattern ? value.findIndex((item) => !pattern.test(item)) : -1;
    if (bad !== -1) return this.add(`${field}[${bad}]`, "has an invalid format");
    return value as string[];
  }

  object(value: unknown, field: string): Record<string, unknown> | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== "object" || Array.isArray(value)) return this.add(field, "must be an object");
    return value as Record<string, unknown>;
  }

  /** An http(s) URL without credentials. */
  url(value: unknown, field: string, options: { optional?: boolean } = {}): URL | undefined {
    const text = this.string(value, field, options);
    if (text === undefined) return undefined;
    try {
      const url = new URL(text);
      if (url.protocol !== "https:" && url.protocol !== "http:") return this.add(field, "must be an http or https URL");
      if (url.username || url.password) return this.add(field, "must not carry credentials (use a secret header)");
      return url;
    } catch {
      return this.add(field, "is not a URL");
    }
  }
}
