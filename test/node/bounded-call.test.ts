import { afterEach, describe, expect, it, vi } from "vitest";
import { bounded, CALL_WAIT_MS } from "../../src/worker/bounded-call.ts";

/** A call to a Durable Object that takes nothing a buyer paid for (or D1's revocation read), waited for at most CALL_WAIT_MS (src/worker/bounded-call.ts): a hung one fails as the port's failure does. */
describe("bounded", () => {
  afterEach(() => vi.useRealTimers());

  it("a call that never answers is rejected once CALL_WAIT_MS have passed, naming the binding; not before", async () => {
    vi.useFakeTimers();
    let settled: unknown = "pending";
    const call = bounded(new Promise<never>(() => undefined), "L402_FREEBIES").then(
      () => (settled = "answered"),
      (error: Error) => (settled = error.message),
    );
    await vi.advanceTimersByTimeAsync(CALL_WAIT_MS - 1);
    expect(settled).toBe("pending");
    await vi.advanceTimersByTimeAsync(1);
    await call;
    expect(settled).toBe(`L402_FREEBIES did not answer within ${CALL_WAIT_MS / 1000} s`);
  });

  it("a call that answers (or fails) in time is its own answer, and leaves no timer behind", async () => {
    vi.useFakeTimers();
    await expect(bounded(Promise.resolve(7), "L402_INVOICE_POOL")).resolves.toBe(7);
    await expect(bounded(Promise.reject(new Error("overloaded")), "L402_INVOICE_POOL")).rejects.toThrow("overloaded");
    expect(vi.getTimerCount()).toBe(0);
  });
});
