import { describe, expect, it } from "vitest";
import type { Pass } from "../../src/paywall/decision.ts";
import { passedChanges } from "../../src/paywall/passed.ts";

/** What the paywall changes in an answer it let through (src/paywall/passed.ts). */
const paid = (always: Record<string, string>, onSuccess: Record<string, string> = {}): Pass =>
  ({ kind: "pass", route: { url: new URL("https://paywall.example/ws"), service: { name: "ws" }, access: "paid" }, private: { byCookie: false }, headers: { always, onSuccess }, cookies: [], outcome: { outcome: "paid" } }) as unknown as Pass;

const answer = (status: number, headers: Record<string, string>) => {
  const list = new Headers(headers);
  return { status, headers: { get: (name: string) => list.get(name), getSetCookie: () => list.getSetCookie() } };
};

describe("passedChanges", () => {
  it("a WebSocket upgrade (101) is told what the token has left, and a receipt, by the paywall alone: an origin's own count is taken out", () => {
    const changes = passedChanges(paid({ "X-L402-Remaining": "2" }, { "Payment-Receipt": "r" }), answer(101, { "X-L402-Remaining": "999", "Cache-Control": "public" }));
    expect(changes).toEqual([
      { name: "X-L402-Remaining", value: undefined },
      { name: "X-L402-Remaining", value: "2" },
      { name: "Payment-Receipt", value: "r" },
    ]);
  });

  it("a 200 is marked private as well", () => {
    const changes = passedChanges(paid({ "X-L402-Remaining": "2" }), answer(200, { "Cache-Control": "public" }));
    expect(changes).toContainEqual({ name: "X-L402-Remaining", value: "2" });
    expect(changes.some((change) => change.name.toLowerCase() === "cache-control")).toBe(true);
  });

  it("a receipt is the paywall's to give: an origin's own Payment-Receipt or PAYMENT-RESPONSE is taken out, on an answer it receipts and on one it does not", () => {
    const forged = { "Payment-Receipt": "forged", "PAYMENT-RESPONSE": "forged" };
    const receipted = passedChanges(paid({}, { "Payment-Receipt": "r" }), answer(200, forged));
    expect(receipted.filter((change) => /^payment-(receipt|response)$/i.test(change.name))).toEqual([
      { name: "Payment-Receipt", value: undefined },
      { name: "PAYMENT-RESPONSE", value: undefined },
      { name: "Payment-Receipt", value: "r" },
    ]);
    const failed = passedChanges(paid({}, { "Payment-Receipt": "r" }), answer(500, forged));
    expect(failed.filter((change) => /^payment-(receipt|response)$/i.test(change.name))).toEqual([
      { name: "Payment-Receipt", value: undefined },
      { name: "PAYMENT-RESPONSE", value: undefined },
    ]);
  });

  it.each(["unmatched", "free"])("an answer let through %s (a route no service sells, a free path, shadow) keeps its own receipt: the origin may sell it itself", (access) => {
    const unpaid = { kind: "pass", route: { url: new URL("https://paywall.example/own"), service: undefined, access }, headers: { always: {}, onSuccess: {} }, cookies: [], outcome: { outcome: access } } as unknown as Pass;
    expect(passedChanges(unpaid, answer(200, { "PAYMENT-RESPONSE": "origin's own" }))).toEqual([]);
  });

  it("an offer on an answer let through for payment or a free request is the origin's: a challenge in a scheme the paywall speaks is taken out, any other kept", () => {
    const freebie = { kind: "pass", route: { url: new URL("https://paywall.example/api"), service: { name: "api" }, access: "freebie" }, headers: { always: {}, onSuccess: {} }, cookies: [], outcome: { outcome: "freebie" } } as unknown as Pass;
    for (const decision of [paid({}), freebie]) {
      for (const offer of ["L402 macaroon=\"AA\", invoice=\"lnbc1\"", "LSAT macaroon=\"AA\", invoice=\"lnbc1\"", 'Bearer realm="api", Payment id="x", method="lightning"', "l402 token=AA", 'Bearer realm="a, b",Payment', "payment  id=x"]) {
        expect(passedChanges(decision, answer(402, { "WWW-Authenticate": offer })), offer).toContainEqual({ name: "WWW-Authenticate", value: undefined });
      }
      expect(passedChanges(decision, answer(402, { "PAYMENT-REQUIRED": "e30=" }))).toContainEqual({ name: "PAYMENT-REQUIRED", value: undefined });
      for (const own of ['Bearer realm="Payment"', 'Basic realm="L402 area"', 'Bearer error="payment_required"', 'Bearer error_description="Invalid token, payment required"', 'Bearer realm="a", payment = x', "Bearer realm=a,payment=x", 'Bearer error_description="a \\" , L402 b"']) {
        expect(passedChanges(decision, answer(401, { "WWW-Authenticate": own })).filter((change) => change.name === "WWW-Authenticate"), own).toEqual([]);
      }
    }
  });

  it("the paywall's cookies are the paywall's to set: one an origin sets is taken out, however spelled, a nameless one (which a browser sends as its value) too", () => {
    const list = new Headers();
    const planted = ["__Host-l402-token-api=X; Path=/api", "L402-Token-api=X", " l402-pending-api=X", "=__Host-l402-token-api=X; Path=/api", "__Host-l402-probe-api=X", "=  l402-dashboard=X"];
    const own = ["session=abc; Path=/", "=plain", "l402=fine"];
    for (const cookie of [...planted, ...own]) list.append("Set-Cookie", cookie);
    const changes = passedChanges(paid({}), { status: 200, headers: { get: (name: string) => list.get(name), getSetCookie: () => list.getSetCookie() } });
    expect(changes.filter((change) => change.name === "Set-Cookie")).toEqual([{ name: "Set-Cookie", value: undefined }, ...own.map((value) => ({ name: "Set-Cookie", value, append: true }))]);
  });

  it("a private directive naming fields is taken whole, its quoted commas included", () => {
    const changes = passedChanges(paid({}), answer(200, { "Cache-Control": 'private="set-cookie, x-user", max-age=60, s-maxage=600' }));
    expect(changes).toContainEqual({ name: "Cache-Control", value: "private, max-age=60" });
  });

  it("a free request's answer (the paywall's allowance) loses an origin's receipt too", () => {
    const freebie = { kind: "pass", route: { url: new URL("https://paywall.example/api"), service: { name: "api" }, access: "freebie" }, headers: { always: {}, onSuccess: {} }, cookies: [], outcome: { outcome: "freebie" } } as unknown as Pass;
    expect(passedChanges(freebie, answer(200, { "Payment-Receipt": "forged" }))).toEqual([{ name: "Payment-Receipt", value: undefined }]);
  });
});
