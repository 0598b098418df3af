import { describe, expect, it } from "vitest";
import { cookieUse, requestSite } from "../../src/paywall/browser/request-site.ts";

const ORIGIN = "https://shop.example";
const headers = (entries: Record<string, string>) => new Headers(entries);

describe("requestSite", () => {
  it.each([
    [{ "Sec-Fetch-Site": "same-origin" }, "same-origin"],
    [{ "Sec-Fetch-Site": "none" }, "same-origin"],
    [{ "Sec-Fetch-Site": "same-site" }, "cross-origin"],
    [{ "Sec-Fetch-Site": "cross-site" }, "cross-origin"],
    // Sec-Fetch-Site is what browsers set; an Origin claim does not outvote it.
    [{ "Sec-Fetch-Site": "cross-site", Origin: ORIGIN }, "cross-origin"],
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
    ["GET", { "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate" }, "use"],
    ["GET", { "Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "no-cors" }, "ignore"],
    ["HEAD", { "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "cors" }, "ignore"],
    ["POST", { "Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "navigate" }, "refuse"],
    ["DELETE", { "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "cors" }, "refuse"],
    ["PUT", { Origin: "https://evil.example" }, "refuse"],
    ["POST", {}, "use"],
  ])("%s %j → %s", (method, entries, use) => {
    expect(cookieUse(method, headers(entries), ORIGIN)).toBe(use);
  });
});
