import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cookieUse, requestSite } from "../../src/paywall/browser/request-site.ts";

const ORIGIN = "https://shop.example";
const headers = (entries: Record<string, string>) => new Headers(entries);
/** What a browser sends when a person follows a link (or submits a form) from another site: a top-level navigation they activated. */
const LINK_FOLLOWED = { "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document", "Sec-Fetch-User": "?1" };

describe("requestSite", () => {
  it.each([
    [{ "Sec-Fetch-Site": "same-origin" }, "same-origin"],
    [{ "Sec-Fetch-Site": "none" }, "same-origin"],
    [{ "Sec-Fetch-Site": "same-site" }, "cross-origin"],
    [{ "Sec-Fetch-Site": "cross-site" }, "cross-origin"],
    // Sec-Fetch-Site is what browsers set; an Origin claim does not outvote it.
    [{ "Sec-Fetch-Site": "cross-site", Origin: ORIGIN }, "cross-origin"],
    // Only the exact token counts: anything else is another origin (fail closed).
    [{ "Sec-Fetch-Site": "Same-Origin" }, "cross-origin"],
    [{ "Sec-Fetch-Site": "same-origin, same-origin" }, "cross-origin"],
    [{ "Sec-Fetch-Site": "" }, "cross-origin"],
    [{ Origin: ORIGIN }, "same-origin"],
    [{ Origin: "https://shop.example:8443" }, "cross-origin"],
    [{ Origin: "http://shop.example" }, "cross-origin"],
    [{ Origin: "null" }, "cross-origin"],
    [{}, "unknown"],
  ])("%j → %s", (entries, site) => {
    expect(requestSite(headers(entries), ORIGIN)).toBe(site);
  });
});

describe("cookieUse", () => {
  it.each([
    ["GET", { "Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "cors" }, "use"],
    ["POST", { "Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "cors" }, "use"],
    // A person following a link from elsewhere.
    ["GET", { "Sec-Fetch-Site": "cross-site", ...LINK_FOLLOWED }, "use"],
    ["GET", { "Sec-Fetch-Site": "same-site", ...LINK_FOLLOWED }, "use"],
    // A sibling subdomain's hidden iframe, clicked into or not: not a link followed.
    ["GET", { "Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "iframe" }, "ignore"],
    ["GET", { "Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "iframe", "Sec-Fetch-User": "?1" }, "ignore"],
    ["GET", { "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "frame", "Sec-Fetch-User": "?1" }, "ignore"],
    ["GET", { "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "embed" }, "ignore"],
    ["GET", { "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "object" }, "ignore"],
    // Another site's script re-navigating a window it opened: top level, but no user activation.
    ["GET", { "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document" }, "ignore"],
    ["GET", { "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document", "Sec-Fetch-User": "?0" }, "ignore"],
    // The old reading (navigate alone) is not enough any more.
    ["GET", { "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate" }, "ignore"],
    // Other spellings of the same headers: only the exact values browsers send count.
    ["GET", { "Sec-Fetch-Site": "cross-site", ...LINK_FOLLOWED, "Sec-Fetch-User": "?T" }, "ignore"],
    ["GET", { "Sec-Fetch-Site": "cross-site", ...LINK_FOLLOWED, "Sec-Fetch-User": "1" }, "ignore"],
    ["GET", { "Sec-Fetch-Site": "cross-site", ...LINK_FOLLOWED, "Sec-Fetch-User": "?1, ?1" }, "ignore"],
    ["GET", { "Sec-Fetch-Site": "cross-site", ...LINK_FOLLOWED, "Sec-Fetch-User": "?1;x" }, "ignore"],
    ["GET", { "Sec-Fetch-Site": "cross-site", ...LINK_FOLLOWED, "Sec-Fetch-Mode": "Navigate" }, "ignore"],
    ["GET", { "Sec-Fetch-Site": "cross-site", ...LINK_FOLLOWED, "Sec-Fetch-Dest": "Document" }, "ignore"],
    ["GET", { "Sec-Fetch-Site": "cross-site", ...LINK_FOLLOWED, "Sec-Fetch-Dest": "document, iframe" }, "ignore"],
    // A navigation is a GET: a HEAD or OPTIONS from elsewhere reads nothing with the cookie.
    ["HEAD", { "Sec-Fetch-Site": "cross-site", ...LINK_FOLLOWED }, "ignore"],
    ["GET", { "Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "no-cors" }, "ignore"],
    ["HEAD", { "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "cors" }, "ignore"],
    ["POST", { "Sec-Fetch-Site": "same-site", ...LINK_FOLLOWED }, "refuse"],
    ["DELETE", { "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "cors" }, "refuse"],
    ["PUT", { Origin: "https://evil.example" }, "refuse"],
    ["POST", {}, "use"],
  ])("%s %j → %s", (method, entries, use) => {
    expect(cookieUse(method, headers(entries), ORIGIN)).toBe(use);
  });

  it("100,000 generated requests: always a defined answer; from elsewhere, only a link a person followed uses the cookie, and unsafe methods are refused", { timeout: 120_000 }, () => {
    const value = (known: readonly string[]) => fc.oneof(fc.constantFrom(...known), fc.string({ maxLength: 12 }), fc.string({ maxLength: 12, unit: "binary" }));
    const header = (name: string, known: readonly string[]) => fc.option(value(known).map((v) => [name, v] as const), { nil: undefined });
    const request = fc.record({
      method: value(["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "get", "PATCH"]),
      entries: fc.tuple(
        header("sec-fetch-site", ["same-origin", "same-site", "cross-site", "none", "Same-Origin"]),
        header("sec-fetch-mode", ["navigate", "cors", "no-cors", "same-origin", "websocket", "Navigate"]),
        header("sec-fetch-dest", ["document", "iframe", "frame", "embed", "object", "empty", "image", "Document"]),
        header("sec-fetch-user", ["?1", "?0", "?T", "1", "?1;a"]),
        header("origin", [ORIGIN, "https://evil.example", "null", "http://shop.example"]),
      ),
    });
    let runs = 0;
    fc.assert(
      fc.property(request, ({ method, entries }) => {
        runs++;
        const list = new Headers();
        for (const entry of entries) {
          if (entry === undefined) continue;
          try {
            list.append(entry[0], entry[1]);
          } catch {
            // A value no HTTP message can carry (control characters): no request has it.
          }
        }
        const use = cookieUse(method, list, ORIGIN);
        expect(["use", "ignore", "refuse"]).toContain(use);
        if (requestSite(list, ORIGIN) !== "cross-origin") return use === "use";
        const linkFollowed = method === "GET" && list.get("sec-fetch-mode") === "navigate" && list.get("sec-fetch-dest") === "document" && list.get("sec-fetch-user") === "?1";
        if (use === "use") return linkFollowed;
        return use === (["GET", "HEAD", "OPTIONS"].includes(method) ? "ignore" : "refuse");
      }),
      { numRuns: 100_000 },
    );
    expect(runs).toBeGreaterThanOrEqual(100_000);
  });
});
