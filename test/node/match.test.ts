import { describe, expect, it } from "vitest";
import { requiredCapabilities } from "../../src/paywall/match.ts";
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
