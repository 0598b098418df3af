import { describe, expect, it } from "vitest";
import type { Pass } from "../../src/paywall/decision.ts";
import { passedChanges } from "../../src/paywall/passed.ts";

/** What the paywall changes in an answer it let through (src/paywall/passed.ts). */
const paid = (always: Record<string, string>, onSuccess: Record<string, string> = {}): Pass =>
  ({ kind: "pass", route: { url: new URL("https://paywall.example/ws"), access: "paid" }, private: { byCookie: false }, headers: { always, onSuccess }, cookies: [], outcome: { outcome: "paid" } }) as unknown as Pass;

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
});
