import { describe, expect, it } from "vitest";
import { PAYMENT_REQUIRED_KEY, PAYMENT_RESPONSE_KEY, toolResult } from "../../src/mcp/tool-result.ts";

/** The paywall's answer to a tool's request as the tool's result (src/mcp/tool-result.ts): which 402 is an offer. */
describe("toolResult", () => {
  it("a 402 with a challenge the paywall writes (L402, Payment) is payment-required, its offer the body's members and the challenge", async () => {
    for (const challenge of ['L402 macaroon="AA", invoice="lnbc1"', 'Payment id="x", realm="r", method="lightning", intent="charge", request="e30"']) {
      const result = await toolResult(Response.json({ reason: "missing", invoice: "lnbc1" }, { status: 402, headers: { "WWW-Authenticate": challenge } }), "https://paywall.test/t");
      expect(result.isError).toBe(true);
      expect(result._meta?.[PAYMENT_REQUIRED_KEY]).toEqual({ reason: "missing", invoice: "lnbc1", www_authenticate: challenge });
    }
  });

  it("a 402 offering nothing (an origin's, to a call the paywall let through: its offer taken out) is the origin's error, with what the call cost, never an offer to pay", async () => {
    const result = await toolResult(Response.json({ reason: "quota", invoice: "lnbc-the-origins" }, { status: 402, headers: { "X-L402-Remaining": "4" } }), "https://paywall.test/t");
    expect(result.isError).toBe(true);
    expect(result._meta?.[PAYMENT_REQUIRED_KEY]).toBeUndefined();
    expect(result._meta?.[PAYMENT_RESPONSE_KEY]).toEqual({ status: 402, headers: { "x-l402-remaining": "4" } });
    expect(result.structuredContent).toEqual({ reason: "quota", invoice: "lnbc-the-origins" });
  });
});
