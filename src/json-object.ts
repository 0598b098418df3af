/** A JSON object: not an array, not null. What a parsed document's members are read from. */
export const isJsonObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);
