import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { TokenMeter } from "../../src/worker/token-meter.ts";

/**
 * The TokenMeter Durable Object (src/worker/token-meter.ts) called as the
 * paywall calls it, in workerd: a call sent again under its key after its
 * answer was lost counts once. (Uses through the Worker: worker-stateful.test.ts.)
 */
describe("TokenMeter", () => {
  it("a use taken or given back, sent again under its key, is answered as the first time and counted once", async () => {
    const namespace = env.L402_METER as NonNullable<typeof env.L402_METER>;
    const stub = namespace.get(namespace.idFromName(`again-${crypto.randomUUID()}`));
    await runInDurableObject(stub, async (meter: TokenMeter, state) => {
      expect(await meter.consume("u1", 3, undefined)).toEqual({ allowed: true, remaining: 2 });
      expect(await meter.consume("u1", 3, undefined)).toEqual({ allowed: true, remaining: 2 });
      expect(await state.storage.get("used")).toBe(1);
      expect(await meter.consume("u2", 3, undefined)).toEqual({ allowed: true, remaining: 1 });
      await meter.giveBack("b1");
      await meter.giveBack("b1");
      expect(await state.storage.get("used")).toBe(1);
      expect(await meter.consume("u3", 3, undefined)).toEqual({ allowed: true, remaining: 1 });
      expect(await meter.consume("u4", 3, undefined)).toEqual({ allowed: true, remaining: 0 });
      // Sent again after the count ran out, a use already taken is still the one it was.
      expect(await meter.consume("u5", 3, undefined)).toEqual({ allowed: false, remaining: 0 });
      expect(await meter.consume("u4", 3, undefined)).toEqual({ allowed: true, remaining: 0 });
    });
  });
});
