import { describe, expect, it } from "vitest";
import { publicLocation } from "../../src/proxy/public-location.ts";
import { BASE, call, originUrl } from "./support/paywall-client.ts";

describe("publicLocation: an origin's redirect as the client must see it", () => {
  const origin = (url: string | undefined, stripPrefix = "") => ({ url: url ? new URL(url) : undefined, stripPrefix, headers: new Map(), forwardAuthorization: false });
  const incoming = new URL("https://edge.example/api/things/1?x=1");
  it.each([
    // At the origin's host, under its path base: back to the edge, the prefix put back, query and fragment kept.
    ["http://o.internal:8080/base/login?next=%2Fx#top", origin("http://o.internal:8080/base/", "/api"), "https://edge.example/api/login?next=%2Fx#top"],
    ["/base/login", origin("http://o.internal:8080/base", "/api"), "/api/login"],
    ["/base", origin("http://o.internal:8080/base", "/api"), "/api/"],
    ["http://O.INTERNAL:8080/x", origin("http://o.internal:8080"), "https://edge.example/x"],
    // A path left beginning with `//` (another host, read as it is): written whole, at the edge's host.
    ["/base//evil.example/x", origin("http://o.internal:8080/base"), "https://edge.example//evil.example/x"],
    ["/base/\\evil.example", origin("http://o.internal:8080/base"), "https://edge.example//evil.example"],
    ["/base//evil.example", origin("http://o.internal:8080/base", "/api"), "/api//evil.example"],
    // Left as they are: another host, another scheme or port, outside the path base, relative, protocol-relative, no origin.url, unreadable.
    ["https://elsewhere.example/login", origin("http://o.internal:8080", "/api"), "https://elsewhere.example/login"],
    ["https://o.internal:8080/x", origin("http://o.internal:8080"), "https://o.internal:8080/x"],
    ["http://o.internal:8080/other/x", origin("http://o.internal:8080/base", "/api"), "http://o.internal:8080/other/x"],
    ["/baseball", origin("http://o.internal:8080/base", "/api"), "/baseball"],
    ["login", origin("http://o.internal:8080/base", "/api"), "login"],
    ["//o.internal:8080/base/x", origin("http://o.internal:8080/base", "/api"), "//o.internal:8080/base/x"],
    ["/a b/../c", origin("http://o.internal:8080"), "/a b/../c"],
    ["http://o.internal:8080/x", origin(undefined), "http://o.internal:8080/x"],
    ["http://[bad", origin("http://o.internal:8080"), "http://[bad"],
  ])("%s via %j → %s", (location, config, expected) => {
    expect(publicLocation(location, incoming, config)).toBe(expected);
  });
});

describe("through the Worker", () => {
  it("an origin's redirect to its own host comes back at the Worker's, the service's prefix put back; one elsewhere passes as it is", async () => {
    const redirect = async (location: string) => {
      const query = new URLSearchParams({ answer_status: "302", answer_header: `Location:${location}` });
      const response = await call(`/api/free/redirect?${query}`, { redirect: "manual" });
      await response.body?.cancel();
      expect(response.status).toBe(302);
      return response.headers.get("location");
    };
    expect(await redirect(`${originUrl()}/login?next=1`)).toBe(`${BASE}/api/login?next=1`);
    expect(await redirect("/login")).toBe("/api/login");
    expect(await redirect("https://accounts.example/login")).toBe("https://accounts.example/login");
  });
});
