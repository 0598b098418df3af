import { describe, expect, it } from "vitest";
import { claimedMethods } from "../../src/paywall/claimed-methods.ts";

const claim = (method: string, headers: Record<string, string>, url = "https://x.test/a", overridable = true) => claimedMethods(method, new Headers(headers), new URL(url), overridable);

describe("claimedMethods", () => {
  it("is the method sent when nothing claims another", () => {
    expect(claim("GET", {})).toEqual({ methods: ["GET"], anyMethod: false, parameterBody: false });
    expect(claim("POST", { "Content-Type": "text/plain" })).toEqual({ methods: ["POST"], anyMethod: false, parameterBody: false });
    expect(claim("POST", { "Content-Type": "application/json", "Content-Length": "0" })).toEqual({ methods: ["POST"], anyMethod: false, parameterBody: false });
  });

  it("a HEAD is also a GET (every framework answers it with the GET handler), whether or not the origin takes overrides", () => {
    expect(claim("HEAD", {}).methods).toEqual(["HEAD", "GET"]);
    expect(claim("head", {}, "https://x.test/a", false).methods).toEqual(["HEAD", "GET"]);
  });

  it("adds every method claimed by the three override headers and _method parameters, upper-cased, each once", () => {
    const claimed = claim("POST", { "X-HTTP-Method-Override": " delete , PATCH", "X-HTTP-Method": "PUT", "X-Method-Override": "DELETE", "Content-Type": "text/plain" }, "https://x.test/a?_method=purge&_method=put");
    expect([...claimed.methods].sort()).toEqual(["DELETE", "PATCH", "POST", "PURGE", "PUT"]);
    expect(claim("POST", { "X-HTTP-Method-Override": " , ", "Content-Type": "text/plain" }).methods).toEqual(["POST"]);
  });

  it("reads the override headers spelled with `_` for `-` too, as PHP's $_SERVER and other CGI-style gateways do", () => {
    for (const name of ["X_HTTP_Method_Override", "x_http-method_override", "X-HTTP_Method", "X_Method_Override"]) {
      expect(claim("POST", { [name]: "DELETE", "Content-Type": "text/plain" }).methods, name).toEqual(["POST", "DELETE"]);
    }
    expect(claim("POST", { X_Other: "DELETE", "Content-Type": "text/plain" }).methods).toEqual(["POST"]);
  });

  it("reads _method's name as PHP does", () => {
    for (const query of ["?.method=DELETE", "?%20_method=DELETE", "?%20.method=DELETE", "?_method=DELETE", "?_method%00x=DELETE", "?%20.method%00=DELETE"]) {
      expect(claim("POST", { "Content-Type": "text/plain" }, `https://x.test/a${query}`).methods, query).toContain("DELETE");
    }
    expect(claim("POST", { "Content-Type": "text/plain" }, "https://x.test/a?x_method=DELETE").methods).toEqual(["POST"]);
  });

  it("a body a framework reads parameters from may claim any method: forms, any multipart (Rack parses mixed and related), JSON, none named, whatever the spelling", () => {
    for (const type of ["application/x-www-form-urlencoded", "Application/X-WWW-Form-Urlencoded; charset=utf-8", "multipart/form-data; boundary=x", " multipart/form-data", "multipart/mixed; boundary=x", "Multipart/Related", "application/x-www-form-urlencoded, text/plain", "application/json", "application/vnd.api+json", "APPLICATION/JSON;charset=utf-8", "text/json", "application/json5", "application/json-seq", "application/jsonx"]) {
      expect(claim("POST", { "Content-Type": type }).anyMethod, type).toBe(true);
    }
    expect(claim("POST", {}).anyMethod).toBe(true);
    expect(claim("PUT", { "Content-Length": "12" }).anyMethod).toBe(true);
    // (Laravel reads any Content-Type holding "/json" or "+json" as JSON, so those above may claim too.)
    for (const type of ["text/plain", "application/x-www-form-urlencodedx", "multipartx/mixed", "application/octet-stream", "application/xjson"]) {
      expect(claim("POST", { "Content-Type": type }).anyMethod, type).toBe(false);
    }
  });

  it("an origin that takes no overrides: the method sent (and a HEAD's GET), nothing claimed", () => {
    expect(claim("POST", { "X-HTTP-Method-Override": "DELETE", "Content-Type": "application/json" }, "https://x.test/a?_method=DELETE", false)).toEqual({ methods: ["POST"], anyMethod: false, parameterBody: true });
  });
});
