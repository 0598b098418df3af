import { isJsonObject } from "../json-object.ts";

/** Tokens an LLM API reports for one response: input (prompt, cache reads and writes included) and output. */
export interface LlmUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
}

/** A JSON object's members, as JSON.parse gives them. */
export type Fields = Readonly<Record<string, unknown>>;

export const isFields: (value: unknown) => value is Fields = isJsonObject;

/** A token count: a whole number, at least 0, that a double holds exactly. */
export const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;

/** A count that may be absent or null (then `fallback`); undefined when present but not a count. */
export const optionalCount = (value: unknown, fallback: number): number | undefined => (value === undefined || value === null ? fallback : isCount(value) ? value : undefined);
