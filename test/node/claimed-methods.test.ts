import { describe, expect, it } from "vitest";
import { claimedMethods } from "../../src/paywall/claimed-methods.ts";

const claim = (method: string, headers: Record<string, string>, url = "https://x.test/a") => claimedMethods(method, new Headers(headers), new URL(url));

describe("claimedMethods", () => {
  it("is the method sent when nothing claims another", () => {
    expect(claim("GET", {})).toEqual({ methods: ["GET"], anyMethod: false });
    expect(claim("POST", { "Content-Type": "application/json" })).toEqual({ methods: ["POST"], anyMethod: false });
  });

  it("adds every method claimed by the three override headers and _method parameters, upper-cased, each once", () => {
    const claimed = claim("POST", { "X-HTTP-Method-Override": " delete , PATCH", "X-HTTP-Method": "PUT", "X-Method-Override": "DELETE" }, "https://x.test/a?_method=purge&_method=put");
    expect([...claimed.methods].sort()).toEqual(["DELETE", "PATCH", "POST", "PURGE", "PUT"]);
    expect(claim("POST", { "X-HTTP-Method-Override": " , " }).methods).toEqual(["POST"]);
  });

  it("a form body may claim any method, whatever the spelling of its media type", () => {
    for (const type of ["application/x-www-form-urlencoded", "Application/X-WWW-Form-Urlencoded; charset=utf-8", "multipart/form-data; boundary=x", " multipart/form-data"]) {
      expect(claim("POST", { "Content-Type": type }).anyMethod).toBe(true);
    }
    for (const type of ["application/json", "text/plain", "application/x-www-form-urlencodedx", "multipart/mixed"]) {
      expect(claim("POST", { "Content-Type": type }).anyMethod).toBe(false);
    }
  });
});
