import { describe, expect, it } from "vitest";
import type { ServiceConfig } from "../../src/config/index.ts";
import { isFreePath, matchService, requiredCapabilities } from "../../src/paywall/match.ts";
import { readsAsAnotherService } from "../../src/paywall/path-readings.ts";
import { claimedOf, requestOf, serviceOf } from "./support/usage-services.ts";

/** The capabilities a request needs (paywall/match.ts), for every method it may be carried out as. */
describe("requiredCapabilities", () => {
  const service = serviceOf({
    name: "items",
    price_sats: 1,
    capabilities: ["create", "admin"],
    capability_rules: [
      { methods: ["POST"], path: "/items/*", capability: "create" },
      { path: "/items/*", capability: "admin" },
    ],
  });
  const needs = (init: RequestInit) => {
    const request = requestOf("https://api.example/items/7", init);
    return requiredCapabilities(service, claimedOf(request, service), request.url).sort();
  };

  it("a body that may claim any method (a form, JSON as Laravel knows it) is judged as a method no rule names too: a DELETE claimed in it needs what a DELETE needs", () => {
    expect(needs({ method: "DELETE", headers: { "Content-Length": "0" } })).toEqual(["admin"]);
    for (const type of ["application/x-www-form-urlencoded", "text/json", "application/json5"]) {
      expect(needs({ method: "POST", headers: { "Content-Type": type }, body: "_method=DELETE" }), type).toEqual(["admin", "create"]);
    }
    // A body no framework reads _method from: the POST it is.
    expect(needs({ method: "POST", headers: { "Content-Type": "text/plain" }, body: "x" })).toEqual(["create"]);
  });
});

/** A path with non-ASCII text is matched as sent and as an origin comparing Unicode reads it (unicode-reading.ts). */
describe("matchService, Unicode", () => {
  const cafe = serviceOf({ name: "cafe", match: ["/café/*"], price_sats: 1 });
  const cased = serviceOf({ name: "cased", match: ["/Café/*"], price_sats: 1, match_case: true });
  const prefix = serviceOf({ name: "prefix", match: ["/cafe*"], price_sats: 1 });
  const matched = (services: ServiceConfig[], url: string) => matchService(services, requestOf(url).url)?.name;

  it("another case or a decomposed letter is the service's, where it ignores case; matching case, only a decomposed letter", () => {
    for (const path of ["/café/x", "/CAFÉ/x", "/Café/x", "/cafe\u0301/x", "/CAFE\u0301/x"]) expect(matched([cafe], `https://a.example${path}`), path).toBe("cafe");
    expect(matched([cased], "https://a.example/Cafe\u0301/x")).toBe("cased");
    expect(matched([cased], "https://a.example/CAFÉ/x")).toBeUndefined();
  });

  it("a pattern written decomposed or in another case means the same path, and keeps its spelling (discovery, the page's respelling)", () => {
    const written = serviceOf({ name: "written", match: ["/CAFE\u0301/*"], price_sats: 1 });
    expect(matched([written], "https://a.example/café/x")).toBe("written");
    expect(matched([written], "https://a.example/CAFE\u0301/x")).toBe("written");
    expect(serviceOf({ name: "capitals", match: ["/CAFÉ/*"], price_sats: 1 }).patterns[0]?.pathname).toBe("/CAF%C3%89/*");
  });

  it("the path as sent still matches: an ASCII prefix followed by a combining mark is the prefix's", () => {
    expect(matched([prefix], "https://a.example/cafe\u0301s/x")).toBe("prefix");
  });

  it("capability rules see the path as read too", () => {
    const service = serviceOf({ name: "menu", match: ["/menu/*"], price_sats: 1, capabilities: ["edit"], capability_rules: [{ path: "/menu/crème/*", capability: "edit" }] });
    const request = requestOf("https://a.example/menu/CRE\u0300ME/x");
    expect(requiredCapabilities(service, claimedOf(request, service), request.url)).toEqual(["edit"]);
  });

  it("free paths match as sent and as written: another Unicode case or composition of a free path is charged", () => {
    const free = serviceOf({ name: "free", match: ["/café/*"], price_sats: 1, free_paths: ["/café/menu", "/cafe\u0301/list"] });
    expect(isFreePath(free, requestOf("https://a.example/café/menu").url)).toBe(true);
    expect(isFreePath(free, requestOf("https://a.example/CAFÉ/menu").url)).toBe(false);
    expect(isFreePath(free, requestOf("https://a.example/cafe\u0301/menu").url)).toBe(false);
    expect(isFreePath(free, requestOf("https://a.example/cafe\u0301/list").url)).toBe(true);
    expect(isFreePath(free, requestOf("https://a.example/café/list").url)).toBe(false);
  });

  it("a path falling under one service as sent and another as read is ambiguous, whichever comes first; one service either way, or none as sent, is not", () => {
    const dear = serviceOf({ name: "dear", match: ["/*"], price_sats: 100 });
    const ambiguous = (services: ServiceConfig[], path: string) => readsAsAnotherService(services, requestOf(`https://a.example${path}`).url);
    expect(ambiguous([cafe, dear], "/CAFÉ/report")).toBe(true);
    expect(ambiguous([cafe, dear], "/cafe\u0301/report")).toBe(true);
    expect(ambiguous([dear, cafe], "/CAFÉ/report")).toBe(false);
    expect(ambiguous([cafe, dear], "/café/report")).toBe(false);
    expect(ambiguous([cafe, dear], "/other/report")).toBe(false);
    expect(ambiguous([cafe], "/CAFÉ/report")).toBe(false);
    // The other way round: a pattern taking the path as sent (escaped, as an address bar copies it) before one taking it as read.
    const escaped = serviceOf({ name: "escaped", match: ["/CAF%C3%89/*"], price_sats: 1 });
    expect(ambiguous([escaped, cafe], "/CAFÉ/report")).toBe(true);
    const prefix = serviceOf({ name: "prefix", match: ["/files/cafe*"], price_sats: 1 });
    const files = serviceOf({ name: "files", match: ["/files/café/*"], price_sats: 100 });
    expect(ambiguous([prefix, files], "/files/cafe\u0301/x")).toBe(true);
    // A path that reads as itself under a service matching case is that service's both ways.
    const capitals = serviceOf({ name: "capitals", match: ["/CAFÉ/*"], price_sats: 1, match_case: true });
    expect(ambiguous([capitals, dear], "/CAFÉ/x")).toBe(false);
    expect(matched([capitals, dear], "https://a.example/CAFÉ/x")).toBe("capitals");
  });
});
