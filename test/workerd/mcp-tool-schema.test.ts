import { describe, expect, it } from "vitest";
import { l402Discovery } from "../../src/discovery/app.ts";
import { PaywallConfigError, resolvePaywall } from "../../src/paywall/index.ts";
import { parseConfig } from "../../src/worker/load-config.ts";

/** A service's `mcp` tool as L402_SERVICES declares it: compiled, defaults, and every way it can be wrong. */
const base = { L402_MASTER_KEYS: "44".repeat(32), LND_REST_URL: "https://node.example:8080/", LND_MACAROON: "0201ab" };
const quote = { tool: "get_quote", description: "A quote for a symbol", input_schema: { type: "object", properties: { symbol: { type: "string" } }, required: ["symbol"] }, method: "GET", path: "/api/quote" };
const parse = (services: unknown, extra: Record<string, unknown> = {}) => parseConfig({ ...base, L402_SERVICES: services, ...extra });
const errorsOf = (services: unknown): string => {
  const result = parse(services);
  return result.ok ? "" : result.problems.join("\n");
};

describe("a service's MCP tool", () => {
  it("compiles into the service, with the endpoint's path (default /mcp, L402_MCP_PATH)", () => {
    const result = parse([{ name: "api", match: ["/api/*"], price_sats: 2, mcp: quote }]);
    if (!result.ok) throw new Error(result.problems.join("; "));
    expect(result.value.services[0]?.mcp).toEqual({ name: "get_quote", description: "A quote for a symbol", inputSchema: quote.input_schema, method: "GET", path: "/api/quote" });
    expect(result.value.mcpPath).toBe("/mcp");
    const moved = parse([{ name: "api", match: ["/api/*"], price_sats: 2, mcp: quote }], { L402_MCP_PATH: "/tools/mcp" });
    expect(moved.ok && moved.value.mcpPath).toBe("/tools/mcp");
    expect(parse([{ name: "api", match: ["/api/*"], price_sats: 2 }], { L402_MCP_PATH: "mcp" })).toMatchObject({ ok: false, problems: ["L402_MCP_PATH: must be a path below / (e.g. /admin): segments of letters, digits, _ . -, none empty, . or .."] });
  });

  it("defaults: GET, any object as input, the service's description", () => {
    const result = parse([{ name: "api", match: ["/api/*"], price_sats: 2, description: "Quotes", mcp: { tool: "q", path: "/api/q" } }]);
    expect(result.ok && result.value.services[0]?.mcp).toEqual({ name: "q", description: "Quotes", inputSchema: { type: "object" }, method: "GET", path: "/api/q" });
  });

  it.each([
    ["tool", { ...quote, tool: "get quote" }, '"api".mcp.tool: must be 1 to 64 letters, digits, \'_\' or \'-\''],
    ["tool", { ...quote, tool: undefined }, '"api".mcp.tool: is required'],
    ["method", { ...quote, method: "TRACE" }, '"api".mcp.method: must be one of "GET", "POST", "PUT", "PATCH", "DELETE"'],
    ["path", { ...quote, path: "api/quote" }, '"api".mcp.path: must be a path starting with /'],
    ["path", { ...quote, path: "/api/quote?x=1" }, '"api".mcp.path: must be a path starting with /, without a query'],
    ["path", { ...quote, path: "/api/../admin" }, '"api".mcp.path: must be a canonical path'],
    ["path", { ...quote, path: "//[" }, '"api".mcp.path: must be a canonical path'],
    ["path", { ...quote, path: "//x:99999" }, '"api".mcp.path: must be a canonical path'],
    ["path", { ...quote, path: "/api/a b" }, '"api".mcp.path: must be a path starting with /'],
    ["path", { ...quote, path: "/other/quote" }, '"api".mcp.path: is not a path this service matches'],
    ["input_schema", { ...quote, input_schema: { type: "string" } }, '"api".mcp.input_schema: must have "type": "object"'],
    ["input_schema", { ...quote, input_schema: [] }, '"api".mcp.input_schema: must be a JSON Schema object'],
    ["input_schema", { ...quote, input_schema: { type: "object", properties: { a: 3 } } }, '"api".mcp.input_schema: has properties that are not schemas'],
    ["input_schema", { ...quote, input_schema: { type: "object", description: "x".repeat(17 * 1024) } }, '"api".mcp.input_schema: must be at most 16 KiB as JSON'],
    ["description", { ...quote, description: "" }, '"api".mcp.description: must be 1 to 1000 characters'],
    ["setting", { ...quote, price: 3 }, '"api".mcp: has an unknown setting "price"'],
    ["a string", "get_quote", '"api".mcp: must be an object'],
  ])("refuses a bad %s", (_field, tool, message) => {
    expect(errorsOf([{ name: "api", match: ["/api/*"], price_sats: 2, mcp: tool }])).toContain(`L402_SERVICES ${message}`);
  });

  it("a tool name used twice; a path an earlier service matches first (it would be sold as that one)", () => {
    expect(errorsOf([
      { name: "a", match: ["/a/*"], price_sats: 1, mcp: { tool: "same", path: "/a/x" } },
      { name: "b", match: ["/b/*"], price_sats: 1, mcp: { tool: "same", path: "/b/x" } },
    ])).toContain('MCP tool name "same" is used twice');
    expect(errorsOf([
      { name: "wide", match: ["/*"], price_sats: 1 },
      { name: "narrow", match: ["/n/*"], price_sats: 1, mcp: { tool: "t", path: "/n/x" } },
    ])).toContain('L402_SERVICES "narrow".mcp.path: is matched first by service "wide", so a call would be sold as that service');
    // An earlier service on a host of its own takes the path there only: allowed (the endpoint checks each call's host).
    expect(parse([
      { name: "hosted", match: ["api.example.com/*"], price_sats: 1 },
      { name: "narrow", match: ["/n/*"], price_sats: 1, mcp: { tool: "t", path: "/n/x" } },
    ]).ok).toBe(true);
  });

  it("a tool's service takes L402 or Payment: a tool call carries its credential as Authorization, never an x402 payment (paid, it could not be used)", () => {
    const tool = { tool: "q", path: "/api/q" };
    expect(errorsOf([{ name: "api", match: ["/api/*"], price_sats: 2, schemes: ["x402"], mcp: tool }])).toContain('L402_SERVICES "api".mcp: needs "l402" or "mpp" among the schemes: a tool call cannot carry an x402 payment');
    for (const schemes of [["l402", "x402"], ["mpp", "x402"], ["mpp"]]) expect(errorsOf([{ name: "api", match: ["/api/*"], price_sats: 2, schemes, mcp: tool }])).not.toContain("a tool call cannot carry");
  });

  it("matching follows the service's case rule: a path in another case matches unless match_case", () => {
    expect(parse([{ name: "a", match: ["/A/*"], price_sats: 1, mcp: { tool: "t", path: "/a/x" } }]).ok).toBe(true);
    expect(errorsOf([{ name: "a", match: ["/A/*"], price_sats: 1, match_case: true, mcp: { tool: "t", path: "/a/x" } }])).toContain("mcp.path: is not a path this service matches");
  });

  it("the middleware serves no MCP endpoint: a tool there is refused, not ignored; discovery reads one", () => {
    // As JavaScript would pass it: the types (MountedService) leave `mcp` out.
    const withTool = { name: "a", price_sats: 1, mcp: { tool: "t", path: "/x" } };
    const middleware = () => resolvePaywall({ service: withTool }, base);
    expect(middleware).toThrow(PaywallConfigError);
    expect(middleware).toThrow("service.mcp: is served by the template Worker's MCP endpoint, not here");
    expect(() => resolvePaywall({ service: { name: "a", price_sats: 1 } }, base)).not.toThrow();
    expect(() => l402Discovery({ services: [{ name: "a", match: ["/a/*"], price_sats: 1, mcp: { tool: "t", path: "/a/x" } }] })).not.toThrow();
  });

  it("an input schema given in code that is no JSON (a cycle, a BigInt) is a configuration error naming it, not a crash", () => {
    const cyclic: Record<string, unknown> = { type: "object" };
    cyclic["self"] = cyclic;
    for (const input_schema of [cyclic, { type: "object", default: 1n }]) {
      const discovery = () => l402Discovery({ services: [{ name: "a", match: ["/a/*"], price_sats: 1, mcp: { tool: "t", path: "/a/x", input_schema } }] });
      expect(discovery).toThrow('l402Discovery: services "a".mcp.input_schema: must be at most 16 KiB as JSON (and be JSON: no cycles, no BigInt)');
    }
  });
});
