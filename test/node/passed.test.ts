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

  it("a private directive naming fields is taken whole, its quoted commas included", () => {
    const changes = passedChanges(paid({}), answer(200, { "Cache-Control": 'private="set-cookie, x-user", max-age=60, s-maxage=600' }));
    expect(changes).toContainEqual({ name: "Cache-Control", value: "private, max-age=60" });
  });

  it("a free request's answer (the paywall's allowance) loses an origin's receipt too", () => {
    const freebie = { kind: "pass", route: { url: new URL("https://paywall.example/api"), service: { name: "api" }, access: "freebie" }, headers: { always: {}, onSuccess: {} }, cookies: [], outcome: { outcome: "freebie" } } as unknown as Pass;
    expect(passedChanges(freebie, answer(200, { "Payment-Receipt": "forged" }))).toEqual([{ name: "Payment-Receipt", value: undefined }]);
  });
});
