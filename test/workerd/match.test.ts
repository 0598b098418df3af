import { describe, expect, it } from "vitest";
import { parseConfig, type Config } from "../../src/config/index.ts";
import { onlyMethod } from "../../src/paywall/claimed-methods.ts";
import { matchService, requiredCapabilities } from "../../src/paywall/match.ts";

const base = { L402_MASTER_KEYS: "44".repeat(32), LND_REST_URL: "https://node.example:8080/", LND_MACAROON: "0201ab" };
const configOf = (services: unknown[], extra: Record<string, unknown> = {}): Config => {
  const result = parseConfig({ ...base, L402_SERVICES: services, ...extra });
  if (!result.ok) throw new Error(result.problems.join("; "));
  return result.value;
};

describe("matching", () => {
  const config = configOf([
    { name: "host", match: ["api.example.com/v1/*"], price_sats: 1 },
    { name: "path", match: ["/v1/*", "/v2/:id"], price_sats: 1, capabilities: ["r", "w"], capability_rules: [{ methods: ["POST"], path: "/v1/*", capability: "w" }, { path: "/v1/*", capability: "r" }] },
  ]);
  const find = (url: string) => matchService(config.services, new URL(url))?.name;

  it("by host and path, first match wins", () => {
    expect(find("https://api.example.com/v1/x")).toBe("host");
    expect(find("https://other.example/v1/x")).toBe("path");
    expect(find("https://other.example/v2/42")).toBe("path");
    expect(find("https://other.example/v2/42/more")).toBeUndefined();
    expect(find("https://other.example/v3")).toBeUndefined();
  });

  it("maps method and path to a capability, first rule wins, none when no rule matches", () => {
    const service = config.services[1];
    if (service === undefined) throw new Error("no service");
    expect(requiredCapabilities(service, onlyMethod("POST"), new URL("https://x/v1/a"))).toEqual(["w"]);
    expect(requiredCapabilities(service, onlyMethod("GET"), new URL("https://x/v1/a"))).toEqual(["r"]);
    expect(requiredCapabilities(service, onlyMethod("GET"), new URL("https://x/v2/1"))).toEqual([]);
  });
});
