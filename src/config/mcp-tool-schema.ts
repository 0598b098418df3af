import { URLPattern } from "#url-pattern";
import * as v from "valibot";
import { objectMessage } from "./schema-pieces.ts";
import { isJsonObject } from "../json-object.ts";

/**
 * A service sold as an MCP tool (README, "Paid MCP tools"): its name,
 * description and input schema as MCP clients list them, and the request a
 * call becomes (method and path; the arguments go in the query or a JSON
 * body). Its price is the service's. Messages never quote a value.
 */

/** What model APIs take as a tool name (the strictest of the common forms; MCP itself allows 128 characters and '.'). */
const TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;
export const TOOL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;
/** An input schema is configuration, not data: a few KiB describe any API's parameters. */
const MAX_SCHEMA_BYTES = 16 * 1024;

/** A JSON Schema for the arguments: an object schema (MCP requires `type: "object"`), as the operator wrote it. */
const inputSchema = v.pipe(
  v.custom<Record<string, unknown>>(isJsonObject, "must be a JSON Schema object"),
  v.check((schema) => schema["type"] === "object", 'must have "type": "object" (a tool takes named arguments)'),
  v.check((schema) => schema["properties"] === undefined || (isJsonObject(schema["properties"]) && Object.values(schema["properties"]).every((property) => isJsonObject(property) || typeof property === "boolean")), "has properties that are not schemas"),
  v.check((schema) => jsonBytes(schema) <= MAX_SCHEMA_BYTES, `must be at most ${MAX_SCHEMA_BYTES / 1024} KiB as JSON (and be JSON: no cycles, no BigInt)`),
  // A copy: what the endpoint lists is what was checked, whatever later becomes of the object given.
  v.transform((schema): Readonly<Record<string, unknown>> => JSON.parse(JSON.stringify(schema)) as Record<string, unknown>),
);

/** A value's size as JSON; past any bound where it is no JSON (a cycle, a BigInt: options given in code can hold them). A check must not throw: valibot would not catch it. */
function jsonBytes(value: unknown): number {
  try {
    return new TextEncoder().encode(JSON.stringify(value)).length;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/** Whether a path is the one a URL makes of it; false where it makes none (`//[`: a host that is not one). */
const isCanonicalPath = (path: string): boolean => URL.canParse(path, "https://tool.invalid") && new URL(path, "https://tool.invalid").pathname === path;

/** A path as URLs write it: no query, no dot segments, nothing to encode (the request a call makes is exactly this path). */
const toolPath = v.pipe(
  v.string("is required"),
  v.regex(/^\/[^\s?#]{0,511}$/, "must be a path starting with /, without a query (at most 512 characters)"),
  v.check(isCanonicalPath, "must be a canonical path (no dot segments, nothing left to percent-encode)"),
);

/** `{ "tool", "description", "input_schema", "method", "path" }`. */
export const mcpTool = v.strictObject(
  {
    tool: v.pipe(v.string("is required"), v.regex(TOOL_NAME, "must be 1 to 64 letters, digits, '_' or '-'")),
    description: v.optional(v.pipe(v.string("must be a string"), v.regex(/^[^\x00-\x08\x0b-\x1f\x7f]{1,1000}$/, "must be 1 to 1000 characters, without control characters other than newlines and tabs"))),
    input_schema: v.optional(inputSchema),
    method: v.optional(v.picklist(TOOL_METHODS, `must be one of ${TOOL_METHODS.map((method) => JSON.stringify(method)).join(", ")}`)),
    path: toolPath,
  },
  objectMessage,
);

/**
 * Whether a service's `match` pattern takes a path, as the paywall matches
 * (paywall/match.ts): with or without a trailing slash. Hosts are left out: a
 * tool is called on the host its MCP endpoint is reached on, and the endpoint
 * checks, call by call, that its service is the one sold there.
 */
export function patternTakesPath(pattern: string, path: string, ignoreCase: boolean): boolean {
  const compiled = new URLPattern({ pathname: pattern.slice(pattern.indexOf("/")) }, { ignoreCase });
  const toggled = path === "/" ? path : path.endsWith("/") ? path.slice(0, -1) : `${path}/`;
  return compiled.test({ pathname: path }) || compiled.test({ pathname: toggled });
}
