/**
 * A node's JSON answer, read field by field: a value of the wrong type is
 * absent, never coerced and never thrown. (`String()` or `Number()` of an
 * object whose `toString` is not a function throws; `BigInt(1.5)` throws; a
 * table indexed by a name from the wire finds `toString` on its prototype.)
 */
export const textOf = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

/** A JSON object (not null, not an array). */
export const objectOf = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;

/** A whole number ≥ 0 exact in a double (times, heights): a JSON number, or a decimal string as LND writes int64. */
export function wholeOf(value: unknown): number | undefined {
  const number = typeof value === "number" ? value : typeof value === "string" && /^\d{1,16}$/.test(value) ? Number(value) : undefined;
  return number !== undefined && Number.isSafeInteger(number) && number >= 0 ? number : undefined;
}

/** An amount ≥ 0: a whole JSON number exact in a double, or a decimal string of any size. */
export function amountOf(value: unknown): bigint | undefined {
  if (typeof value === "string") return /^\d{1,30}$/.test(value) ? BigInt(value) : undefined;
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0 ? BigInt(value) : undefined;
}

/** A table's own entry for a name from the wire. */
export const entryOf = <T>(table: Readonly<Record<string, T>>, name: unknown): T | undefined => (typeof name === "string" && Object.hasOwn(table, name) ? table[name] : undefined);
