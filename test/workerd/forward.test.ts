import { describe, expect, it } from "vitest";
import { upstreamUrl } from "../../src/proxy/forward.ts";

describe("the upstream URL", () => {
  const origin = (url: string | undefined, stripPrefix = "") => ({ url: url ? new URL(url) : undefined, stripPrefix, headers: new Map(), forwardAuthorization: false });
  it.each([
    ["https://edge.example/api/x?q=1", origin(undefined), "https://edge.example/api/x?q=1"],
    ["https://edge.example/api/x?q=1", origin("https://o.example"), "https://o.example/api/x?q=1"],
    ["https://edge.example/api/x?q=1", origin("https://o.example/base/", "/api"), "https://o.example/base/x?q=1"],
    ["https://edge.example/api", origin("https://o.example", "/api"), "https://o.example/"],
    ["https://edge.example/apix/y", origin("https://o.example", "/api"), "https://o.example/apix/y"],
  ])("%s via %j → %s", (incoming, config, expected) => {
    expect(upstreamUrl(new URL(incoming), config)).toBe(expected);
  });
});
