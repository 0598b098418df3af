import { describe, expect, it } from "vitest";
import { requestIdentity, unsentCharges } from "../../src/client/one-request-charges.ts";

const credential = (n: number) => ({ header: "Authorization", value: `Payment ${n}` });

describe("unsentCharges", () => {
  it("hands a kept credential back once, and none past its invoice's expiry", () => {
    const kept = unsentCharges();
    kept.keep("a", credential(1), 100);
    expect(kept.take("a", 99)).toEqual({ credential: credential(1), expiresAt: 100 });
    expect(kept.take("a", 99)).toBeUndefined();
    kept.keep("b", credential(2), 100);
    expect(kept.take("b", 100)).toBeUndefined();
  });

  it("keeps the newest 64: the oldest go first", () => {
    const kept = unsentCharges();
    for (let n = 0; n < 70; n++) kept.keep(`r${n}`, credential(n), 1000);
    expect(kept.take("r5", 0)).toBeUndefined();
    expect(kept.take("r6", 0)?.credential).toEqual(credential(6));
    expect(kept.take("r69", 0)?.credential).toEqual(credential(69));
  });
});

describe("requestIdentity", () => {
  it("tells requests apart by method, URL and body", () => {
    const body = (text: string) => new TextEncoder().encode(text).buffer as ArrayBuffer;
    const one = requestIdentity("POST", "https://a.example/x", body("one"));
    expect(requestIdentity("POST", "https://a.example/x", body("one"))).toBe(one);
    expect(new Set([one, requestIdentity("POST", "https://a.example/x", body("two")), requestIdentity("PUT", "https://a.example/x", body("one")), requestIdentity("POST", "https://a.example/y", body("one")), requestIdentity("POST", "https://a.example/x", null)]).size).toBe(5);
  });
});
