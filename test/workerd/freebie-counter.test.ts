import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { FreebieCounter } from "../../src/worker/freebie-counter.ts";
import { withHeldClock } from "./support/held-clock.ts";

/**
 * The FreebieCounter Durable Object (src/worker/freebie-counter.ts) in
 * workerd: any unpaid client makes one, so each is forgotten when its window
 * ends. (Free requests through the Worker: worker-stateful.test.ts.)
 */
const counterOf = (name: string) => {
  const namespace = env.L402_FREEBIES as NonNullable<typeof env.L402_FREEBIES>;
  return namespace.get(namespace.idFromName(`${name}-${crypto.randomUUID()}`));
};
const nowSeconds = () => Math.floor(Date.now() / 1000);

describe("FreebieCounter", () => {
  it("counts a window's free requests, and is forgotten by the alarm its window's end sets", async () => {
    const stub = counterOf("ended");
    await withHeldClock(async (advance) => {
      const now = nowSeconds();
      await runInDurableObject(stub, async (counter: FreebieCounter, state) => {
        expect(await counter.take(2, 60, now)).toEqual({ allowed: true, remaining: 1 });
        expect(await counter.take(2, 60, now)).toEqual({ allowed: true, remaining: 0 });
        expect(await counter.take(2, 60, now)).toEqual({ allowed: false, remaining: 0 });
        // Set for the window's end.
        expect(await state.storage.getAlarm()).toBe((Math.floor(now / 60) + 1) * 60_000);
      });
      // The window has ended: its alarm forgets everything.
      advance(60_000);
      expect(await runDurableObjectAlarm(stub)).toBe(true);
      expect(await runInDurableObject(stub, async (_counter, state) => (await state.storage.list()).size)).toBe(0);
    });
  });

  it("an alarm run before the window ends forgets nothing, and waits for the end", async () => {
    const stub = counterOf("early");
    const now = nowSeconds();
    await runInDurableObject(stub, (counter: FreebieCounter) => counter.take(3, 3600, now));
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    await runInDurableObject(stub, async (counter: FreebieCounter, state) => {
      expect(await state.storage.getAlarm()).toBe((Math.floor(now / 3600) + 1) * 3_600_000);
      expect(await counter.take(3, 3600, now)).toEqual({ allowed: true, remaining: 1 });
    });
  });

  it("a request stamped before its window's end that arrives after one of the next counts in the next: the window never goes back", async () => {
    const stub = counterOf("late");
    const start = (Math.floor(nowSeconds() / 60) + 1) * 60;
    await runInDurableObject(stub, async (counter: FreebieCounter, state) => {
      expect(await counter.take(1, 60, start)).toEqual({ allowed: true, remaining: 0 });
      // Stamped a second before the window above began, arriving now.
      expect(await counter.take(1, 60, start - 1)).toEqual({ allowed: false, remaining: 0 });
      expect(await state.storage.getAlarm()).toBe((start + 60) * 1000);
    });
    // The next window's free request is still spent.
    expect(await runInDurableObject(stub, (counter: FreebieCounter) => counter.take(1, 60, start + 30))).toEqual({ allowed: false, remaining: 0 });
  });

  it("a request stamped in a window that has ended (it arrives after the window's alarm) counts in the window now open, by the object's clock", async () => {
    const stub = counterOf("after-alarm");
    await withHeldClock(async () => {
      const now = nowSeconds();
      expect(await runInDurableObject(stub, (counter: FreebieCounter) => counter.take(1, 60, now - 120))).toEqual({ allowed: true, remaining: 0 });
      await runInDurableObject(stub, async (counter: FreebieCounter, state) => {
        expect(await state.storage.getAlarm()).toBe((Math.floor(now / 60) + 1) * 60_000);
        expect(await counter.take(1, 60, now)).toEqual({ allowed: false, remaining: 0 });
      });
    });
  });
});
