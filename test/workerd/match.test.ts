import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/worker/load-config.ts";
import type { WorkerConfig } from "../../src/worker/worker-config.ts";
import { onlyMethod } from "../../src/paywall/claimed-methods.ts";
import { isFreePath, matchService, requiredCapabilities } from "../../src/paywall/match.ts";

const base = { L402_MASTER_KEYS: "44".repeat(32), LND_REST_URL: "https://node.example:8080/", LND_MACAROON: "0201ab" };
const configOf = (services: unknown[], extra: Record<string, unknown> = {}): WorkerConfig => {
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

describe("free paths", () => {
  const serviceWith = (free_paths: string[], extra: Record<string, unknown> = {}) => {
    const service = configOf([{ name: "s", match: ["/api/*"], price_sats: 1, free_paths, ...extra }]).services[0];
    if (service === undefined) throw new Error("no service");
    return service;
  };
  const freeOf = (free_paths: string[], extra: Record<string, unknown> = {}) => {
    const service = serviceWith(free_paths, extra);
    return (path: string) => isFreePath(service, new URL(`https://x.example${path}`));
  };

  it.each([
    // An exact entry frees that path, with or without a trailing slash, and nothing below or beside it.
    ["/api/exact", { free: ["/api/exact", "/api/exact/"], paid: ["/api/exact/x", "/api/exactx", "/api/exac", "/api", "/api/"] }],
    ["/api/exact/", { free: ["/api/exact", "/api/exact/"], paid: ["/api/exact/x", "/api/exactx"] }],
    // A directory entry frees the directory itself and everything below it.
    ["/api/open/*", { free: ["/api/open", "/api/open/", "/api/open/x", "/api/open/x/y/"], paid: ["/api/openx", "/api/ope", "/api"] }],
    ["/api/open/:rest*", { free: ["/api/open", "/api/open/", "/api/open/x/y"], paid: ["/api/openx"] }],
    // A segment parameter frees one segment.
    ["/api/items/:id", { free: ["/api/items/7", "/api/items/7/"], paid: ["/api/items", "/api/items/", "/api/items/7/8"] }],
    ["/api/items/:id.json", { free: ["/api/items/7.json", "/api/items/7.json/"], paid: ["/api/items/7", "/api/items/7.jsonx"] }],
    // The root of the service.
    ["/api", { free: ["/api", "/api/"], paid: ["/api/x", "/apix"] }],
  ])("%s", (entry, { free, paid }) => {
    const isFree = freeOf([entry]);
    for (const path of free) expect(isFree(path), path).toBe(true);
    for (const path of paid) expect(isFree(path), path).toBe(false);
  });

  it("match case, whatever the service's match_case (a free path over-matched would give away what a case-sensitive origin serves at another spelling)", () => {
    expect(freeOf(["/api/exact", "/api/open/*"])("/api/exact/")).toBe(true);
    expect(freeOf(["/api/exact", "/api/open/*"])("/API/Exact/")).toBe(false);
    expect(freeOf(["/api/exact", "/api/open/*"])("/Api/OPEN")).toBe(false);
    const exact = freeOf(["/api/exact", "/api/open/*"], { match_case: true });
    expect(exact("/api/exact/")).toBe(true);
    expect(exact("/api/open")).toBe(true);
    expect(exact("/API/exact")).toBe(false);
    expect(exact("/api/Open")).toBe(false);
  });
});
