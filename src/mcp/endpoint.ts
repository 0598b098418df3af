import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema, McpError, type CallToolResult, type Tool } from "@modelcontextprotocol/sdk/types.js";
import { CfWorkerJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/cfworker";
import type { JsonSchemaType, JsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/types.js";
import { chargeTermsOf, termsOf, type McpToolConfig, type ServiceConfig } from "../config/index.ts";
import { formatSats } from "../l402/index.ts";
import { matchService } from "../paywall/index.ts";
import { bodyText } from "../bytes.ts";
import { readAtMost } from "../read-at-most.ts";
import { fail } from "../result.ts";
import { credentialOf, toolRequest } from "./tool-request.ts";
import { failureResult, toolResult } from "./tool-result.ts";

/**
 * The MCP endpoint (Streamable HTTP, the MCP SDK's server): the services sold
 * as tools, listed with their input schemas; a call is checked against its
 * schema, made into the HTTP request it stands for (tool-request.ts) and run
 * through `run`, the paywall in front of the origin, so that a call pays,
 * counts and debits exactly as that request would; its answer is the result
 * (tool-result.ts). Stateless: a server and a transport per request (the
 * SDK's stateless transport serves one), JSON answers rather than a stream.
 */
export interface McpEndpointOptions {
  readonly services: readonly ServiceConfig[];
  /** The server's name, as clients show it. */
  readonly name: string;
  /** Headers of the MCP request a tool's request carries too (the client's address, as the host reports it; its User-Agent, which tells the programs behind one address apart, as for any request). */
  readonly passOn?: readonly string[];
}

/** The paywall and the origin behind it, as a tool's request goes through them. */
export type RunRequest = (request: Request) => Promise<Response>;
export type McpEndpoint = (request: Request, run: RunRequest) => Promise<Response>;

interface SoldTool {
  readonly service: ServiceConfig;
  readonly tool: McpToolConfig;
  readonly listed: Tool;
  readonly check: JsonSchemaValidator<unknown>;
}

/**
 * What a tool's listing says of its price: `static`, with the price a call
 * costs; `dynamic` (a call's price depends on its arguments: rules, a pricer)
 * or `balance` (the first payment buys credit, each call is debited), whose
 * amounts only the 402 (and the discovery documents) tell: a flat figure there
 * would be neither what a call costs nor a bound on it.
 */
function listedPrice(service: ServiceConfig): Record<string, string> {
  if (!service.auth) return { "l402/pricing": "free" };
  // Shadow: not charged yet; paused: not sold (tokens already bought still pass).
  const mode = service.mode === "enforce" ? {} : { "l402/mode": service.mode };
  if (service.balance !== undefined) return { "l402/pricing": "balance", ...mode };
  // Bound to its request (`bind_request`) at one price, a call still costs that price.
  const { rules, pricer, price } = service.pricing;
  if (rules.length > 0 || pricer !== undefined || price !== undefined) return { "l402/pricing": "dynamic", ...mode };
  return { "l402/pricing": "static", "l402/price_msat": String(service.priceMsat), ...mode };
}

/**
 * The price in the tool's description, which a model reads (clients seldom
 * show it `_meta`): what a call costs, or how it is decided, and what one
 * payment buys.
 */
function describedPrice(service: ServiceConfig, listed: Record<string, string>): string | undefined {
  const pricing = listed["l402/pricing"];
  if (pricing === "free") return undefined;
  const now = service.mode === "shadow" ? " Not charged yet." : service.mode === "paused" ? " Not sold at the moment." : "";
  // A token's terms where one is sold (one bound to its request buys that request); else what one charge or x402 payment buys.
  const terms = service.pricing.bindRequest ? "Each payment buys the one call it was priced for." : service.schemes.includes("l402") ? termsOf(service) : chargeTermsOf(service);
  if (pricing === "balance") return `Paid over Lightning from prepaid credit, each call debited (its 402 sells the credit).${now}`;
  if (pricing === "dynamic") return `Paid over Lightning; the price depends on the call (its 402 says it). ${terms}${now}`;
  const sats = formatSats(service.priceMsat);
  return `Paid over Lightning: ${sats} ${sats === "1" ? "sat" : "sats"}. ${terms}${now}`;
}

export function mcpEndpoint(options: McpEndpointOptions): McpEndpoint {
  // @cfworker/json-schema: no code generation (Workers forbid it), unlike the SDK's default Ajv.
  const validator = new CfWorkerJsonSchemaValidator();
  const tools = new Map<string, SoldTool>();
  for (const service of options.services) {
    const tool = service.mcp;
    if (tool === undefined) continue;
    const price = listedPrice(service);
    const priceText = describedPrice(service, price);
    const trimmed = tool.description?.trimEnd();
    const own = trimmed === undefined || priceText === undefined || /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
    const described = [own, priceText].filter((part) => part !== undefined).join(" ");
    const listed: Tool = {
      name: tool.name,
      ...(described === "" ? {} : { description: described }),
      inputSchema: tool.inputSchema as Tool["inputSchema"],
      _meta: { "l402/service": service.name, ...price },
    };
    tools.set(tool.name, { service, tool, listed, check: validator.getValidator(tool.inputSchema as JsonSchemaType) });
  }
  const listing = { tools: [...tools.values()].map((tool) => tool.listed) };

  return async (request, run) => {
    if (request.method !== "POST") {
      return Response.json({ reason: "method_not_allowed", detail: "the MCP endpoint is stateless: POST JSON-RPC messages to it" }, { status: 405, headers: { Allow: "POST, OPTIONS", "Cache-Control": "no-store" } });
    }
    const read = await readAtMost(request.body, MAX_MESSAGE_BYTES);
    if (read.truncated) return jsonRpcError(413, `an MCP request is ${MAX_MESSAGE_BYTES / 1024} KiB at most`);
    // Read once, as the SDK would (a byte order mark dropped, a byte that is not UTF-8 replaced), and handed to it read: what is checked is what runs.
    const parsed = jsonOf(read.bytes);
    const refused = parsed === undefined ? undefined : batchProblem(parsed.value);
    if (refused !== undefined) return jsonRpcError(400, refused);
    // With where it was answered (Cloudflare's `cf`), which each call's request carries on (tool-request.ts).
    const { cf } = request as { readonly cf?: RequestInit["cf"] };
    const message = new Request(request.url, { method: request.method, headers: request.headers, body: read.bytes, ...(cf === undefined ? {} : { cf }) });
    const server = new Server({ name: options.name, version: "1" }, { capabilities: { tools: {} }, jsonSchemaValidator: validator });
    server.setRequestHandler(ListToolsRequestSchema, () => listing);
    server.setRequestHandler(CallToolRequestSchema, async ({ params }): Promise<CallToolResult> => {
      const sold = tools.get(params.name);
      if (sold === undefined) throw new McpError(ErrorCode.InvalidParams, `no tool named ${JSON.stringify(params.name.slice(0, 64))}`);
      const args = params.arguments ?? {};
      const checked = sold.check(args);
      if (!checked.valid) return failureResult(fail("invalid_arguments", `the arguments do not match the tool's input schema: ${checked.errorMessage}`));
      const credential = credentialOf(params._meta);
      if (!credential.ok) return failureResult(credential);
      const paid = toolRequest({ tool: sold.tool, arguments: args, credential: credential.value }, message, options.passOn ?? []);
      // A service naming its hosts is sold on those alone; on another, the request would be another service's (or none's).
      if (matchService(options.services, new URL(paid.url)) !== sold.service) return failureResult(fail("tool_unavailable", "this tool's service is not sold on the host this endpoint was reached on"));
      return toolResult(await run(paid), paid.url);
    });
    const transport = new WebStandardStreamableHTTPServerTransport({ enableJsonResponse: true });
    await server.connect(transport);
    try {
      return await transport.handleRequest(message, parsed === undefined ? undefined : { parsedBody: parsed.value });
    } finally {
      await server.close();
    }
  };
}

/** What an MCP request may hold: a call's arguments, never a file (a tool that takes one takes its URL). */
const MAX_MESSAGE_BYTES = 1024 * 1024;

/**
 * Why a JSON-RPC batch (an array, which MCP has since dropped) is refused, if
 * it is: a tool call goes alone, since the calls of a batch run together and
 * each reads its answer (up to 4 MiB, tool-result.ts) into memory, so one
 * request with a reusable token could hold hundreds of megabytes; and a
 * cancellation goes alone, since the call it cancels is left unanswered and
 * the batch's answer, which waits for every call, would never come. Anything
 * else is the SDK's to read, and to refuse.
 */
function batchProblem(parsed: unknown): string | undefined {
  if (!Array.isArray(parsed) || parsed.length < 2) return undefined;
  const methods = parsed.map((message: unknown) => (typeof message === "object" && message !== null ? (message as { method?: unknown }).method : undefined));
  if (methods.includes("tools/call")) return "a tools/call is sent alone, not in a batch";
  if (methods.includes("notifications/cancelled")) return "a notifications/cancelled is sent alone, not in a batch";
  return undefined;
}

/** The body as JSON, if it is: what is not, the SDK answers (a parse error). */
function jsonOf(bytes: Uint8Array): { readonly value: unknown } | undefined {
  try {
    return { value: JSON.parse(bodyText(bytes)) };
  } catch {
    return undefined;
  }
}

/** A JSON-RPC error for the whole request, as the SDK answers one it cannot read. */
const jsonRpcError = (status: number, message: string): Response =>
  Response.json({ jsonrpc: "2.0", error: { code: -32600, message }, id: null }, { status, headers: { "Cache-Control": "no-store" } });
