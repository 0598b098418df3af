import { describe, expect, it } from "vitest";
import { serviceOf } from "./support/usage-services.ts";

/** Services compiled from their definitions (config/services.ts). */
describe("an origin's strip_prefix", () => {
  const prefixOf = (stripPrefix: string) => serviceOf({ name: "s", match: ["/*"], price_sats: 1, origin: { url: "https://origin.example", strip_prefix: stripPrefix } }).origin.stripPrefix;

  it("is written as request paths are once read (canonical-url.ts): escaped beyond ASCII, safe escapes decoded, slashes merged", () => {
    expect(prefixOf("/café")).toBe("/caf%C3%A9");
    expect(prefixOf("/%61pi/")).toBe("/api/");
    expect(prefixOf("/a//b")).toBe("/a/b");
    // Read as a path, never as a host: a request's //[x/y is /[x/y.
    expect(prefixOf("//[x")).toBe("/[x");
    expect(prefixOf("//a:99999")).toBe("/a:99999");
    expect(prefixOf("/api")).toBe("/api");
  });

  it("one that is more than a path, or has no single form, is kept as written (it strips nothing), never a failure", () => {
    for (const prefix of ["/a?b", "/a#b", "/a;b", "/a%2Fb"]) expect(prefixOf(prefix), prefix).toBe(prefix);
  });
});
