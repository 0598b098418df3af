import { utf8 } from "../bytes.ts";
import type { McpToolConfig } from "../config/index.ts";
import { fail, succeed, type Result } from "../result.ts";

/**
 * A tool call as the HTTP request it stands for: the tool's method and path
 * on the host the MCP endpoint was reached on, its arguments in the query
 * (GET, DELETE) or a JSON body, and the credential from the call's `_meta` as
 * the `Authorization` header. The paywall then judges it as any request.
 */

/** Where a call carries its credential: the `Authorization` value an HTTP request would (`L402 <macaroon>:<preimage>`, `Payment <…>`). */
export const CREDENTIAL_KEY = "l402/credential";

/** A header value, as a request may carry one: visible ASCII and spaces (the paywall bounds its length: 431 past 8 KiB). */
const HEADER_VALUE = /^[\x20-\x7e]+$/;

/** The credential a call's `_meta` carries: none, or text a header can hold. */
export function credentialOf(meta: Readonly<Record<string, unknown>> | undefined): Result<string | undefined, "invalid_credential"> {
  const credential = meta?.[CREDENTIAL_KEY];
  if (credential === undefined) return succeed(undefined);
  if (typeof credential !== "string" || !HEADER_VALUE.test(credential)) {
    return fail("invalid_credential", `_meta["${CREDENTIAL_KEY}"] must be the Authorization value an HTTP request would carry (e.g. "L402 <macaroon>:<preimage>")`);
  }
  return succeed(credential);
}

export interface ToolCall {
  readonly tool: McpToolConfig;
  readonly arguments: Readonly<Record<string, unknown>>;
  readonly credential: string | undefined;
}

/**
 * The request for a call made to the endpoint at `endpoint`. Headers named in
 * `passOn` (the client's address, as the host reports it; its ray id) are
 * copied from the MCP request, and where it was answered (`cf`); nothing else of it is.
 */
export function toolRequest(call: ToolCall, endpoint: Request, passOn: readonly string[]): Request {
  const { tool } = call;
  const url = new URL(tool.path, endpoint.url);
  const headers = new Headers();
  for (const name of passOn) {
    const value = endpoint.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  if (call.credential !== undefined) headers.set("Authorization", call.credential);
  // Where the MCP request was answered (Cloudflare's `cf`: its colo and country), which the call's log line and data point tell as any request's.
  const cf = (endpoint as { readonly cf?: unknown }).cf;
  const where = cf === undefined ? {} : { cf };
  if (tool.method === "GET" || tool.method === "DELETE") {
    for (const [name, value] of Object.entries(call.arguments)) for (const text of queryValues(value)) url.searchParams.append(name, text);
    return new Request(url, { method: tool.method, headers, ...where } as RequestInit);
  }
  // Its length said, as a client's would be: prices and rules by Content-Length read it (a Request built here carries none of its own).
  const body = utf8(JSON.stringify(call.arguments));
  headers.set("Content-Type", "application/json");
  headers.set("Content-Length", String(body.length));
  return new Request(url, { method: tool.method, headers, body, ...where } as RequestInit);
}

/** An argument as query values: text as it is, numbers and booleans as JSON writes them, a list as one value per item, anything else as JSON. */
function queryValues(value: unknown): string[] {
  if (value === null || value === undefined) return [];
  if (Array.isArray(value)) return value.flatMap((item) => (typeof item === "object" && item !== null ? [JSON.stringify(item)] : queryValues(item)));
  if (typeof value === "string") return [value];
  if (typeof value === "number" || typeof value === "boolean") return [String(value)];
  return [JSON.stringify(value)];
}
