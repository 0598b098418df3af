import { describe, expect, it } from "vitest";
import { LightningError, withBreaker, type InvoiceBackend } from "../../src/lightning/index.ts";

/** A backend whose answers the test scripts, counting the calls that reach it. */
function scripted() {
  const state = { calls: 0, fail: undefined as LightningError | undefined };
  const answer = async <T>(value: T): Promise<T> => {
    state.calls++;
    if (state.fail !== undefined) throw state.fail;
    return value;
  };
  const backend: InvoiceBackend = {
    createInvoice: () => answer({ paymentRequest: "lnbcrt1", paymentHash: new Uint8Array(32), amountMsat: 1000n, expiresAt: 0 }),
    lookupInvoice: () => answer({ state: "open" as const, amountPaidMsat: 0n, expiresAt: 0, preimage: undefined }),
    getInfo: () => answer({ alias: "n", network: "regtest", syncedToChain: true, blockHeight: 1 }),
  };
  return { state, backend };
}

const REQUEST = { amountMsat: 1000n, memo: "m", expirySeconds: 600 };
const kindOf = (promise: Promise<unknown>) => promise.then(() => "ok", (error: LightningError) => error.reason);

describe("withBreaker", () => {
  it("opens after `threshold` failures in a row: later calls fail at once with a retry-after, the node is not asked", async () => {
    let now = 0;
    const { state, backend } = scripted();
    const guarded = withBreaker(backend, { threshold: 3, cooldownMs: 10_000, now: () => now });
    state.fail = new LightningError("unavailable", "down");
    for (let i = 0; i < 3; i++) expect(await kindOf(guarded.createInvoice(REQUEST))).toBe("unavailable");
    expect(state.calls).toBe(3);
    const refused = await guarded.lookupInvoice(new Uint8Array(32)).catch((error: LightningError) => error);
    expect(refused).toMatchObject({ reason: "breaker_open", retryAfterSeconds: 10 });
    now = 7_500;
    expect(await guarded.createInvoice(REQUEST).catch((error: LightningError) => error.retryAfterSeconds)).toBe(3);
    expect(state.calls).toBe(3);
  });

  it("getInfo (the public health check's) passes through: its failures never open the breaker, its success never closes it", async () => {
    let now = 0;
    const { state, backend } = scripted();
    const guarded = withBreaker(backend, { threshold: 2, cooldownMs: 10_000, now: () => now });
    state.fail = new LightningError("auth", "no info:read");
    for (let i = 0; i < 5; i++) expect(await kindOf(guarded.getInfo())).toBe("auth");
    state.fail = undefined;
    expect(await kindOf(guarded.createInvoice(REQUEST))).toBe("ok");
    state.fail = new LightningError("unavailable", "down");
    for (let i = 0; i < 2; i++) expect(await kindOf(guarded.createInvoice(REQUEST))).toBe("unavailable");
    state.fail = undefined;
    expect(await kindOf(guarded.getInfo())).toBe("ok");
    expect(await kindOf(guarded.createInvoice(REQUEST))).toBe("breaker_open");
  });

  it("after the cooldown lets one probe through: success closes it, failure opens it again", async () => {
    let now = 0;
    const { state, backend } = scripted();
    const guarded = withBreaker(backend, { threshold: 1, cooldownMs: 1000, now: () => now });
    state.fail = new LightningError("timeout", "slow");
    expect(await kindOf(guarded.createInvoice(REQUEST))).toBe("timeout");
    now = 1000;
    expect(await kindOf(guarded.createInvoice(REQUEST))).toBe("timeout");
    expect(await kindOf(guarded.createInvoice(REQUEST))).toBe("breaker_open");
    expect(state.calls).toBe(2);
    now = 2000;
    state.fail = undefined;
    expect(await kindOf(guarded.createInvoice(REQUEST))).toBe("ok");
    expect(await kindOf(guarded.createInvoice(REQUEST))).toBe("ok");
    expect(state.calls).toBe(4);
  });

  it("lets only one probe through while it is out", async () => {
    let now = 0;
    const { state, backend } = scripted();
    const guarded = withBreaker(backend, { threshold: 1, cooldownMs: 1000, now: () => now });
    state.fail = new LightningError("unavailable", "down");
    await kindOf(guarded.createInvoice(REQUEST));
    now = 1000;
    state.fail = undefined;
    expect(await Promise.all([kindOf(guarded.createInvoice(REQUEST)), kindOf(guarded.createInvoice(REQUEST))])).toEqual(["ok", "breaker_open"]);
    expect(state.calls).toBe(2);
  });

  it("a probe that never ends (its request cancelled) holds its turn for one cooldown, then the next call probes", async () => {
    let now = 0;
    const { state, backend } = scripted();
    let hang = false;
    const guarded = withBreaker(
      { ...backend, createInvoice: (request) => (hang ? new Promise<never>(() => { state.calls++; }) : backend.createInvoice(request)) },
      { threshold: 1, cooldownMs: 1000, now: () => now },
    );
    state.fail = new LightningError("unavailable", "down");
    await kindOf(guarded.createInvoice(REQUEST));
    now = 1000;
    hang = true;
    void guarded.createInvoice(REQUEST);
    expect(state.calls).toBe(2);
    now = 1999;
    expect(await guarded.createInvoice(REQUEST).catch((error: LightningError) => error)).toMatchObject({ reason: "breaker_open", retryAfterSeconds: 1 });
    now = 2000;
    hang = false;
    state.fail = undefined;
    expect(await kindOf(guarded.createInvoice(REQUEST))).toBe("ok");
    expect(await kindOf(guarded.createInvoice(REQUEST))).toBe("ok");
    expect(state.calls).toBe(4);
  });

  it.each(["bad_request", "node_error", "auth", "invalid_response"] as const)("a %s answer is the node answering (maybe one request's refusal): neither counted nor a reset", async (reason) => {
    const { state, backend } = scripted();
    const guarded = withBreaker(backend, { threshold: 2, cooldownMs: 1000 });
    state.fail = new LightningError(reason, "amount exceeds the maximum");
    for (let i = 0; i < 5; i++) expect(await kindOf(guarded.createInvoice(REQUEST))).toBe(reason);
    expect(state.calls).toBe(5);
    // Between two timeouts, it does not hide them either: the second opens the breaker.
    state.fail = new LightningError("timeout", "slow");
    expect(await kindOf(guarded.createInvoice(REQUEST))).toBe("timeout");
    state.fail = new LightningError(reason, "refused");
    expect(await kindOf(guarded.createInvoice(REQUEST))).toBe(reason);
    state.fail = new LightningError("timeout", "slow");
    expect(await kindOf(guarded.createInvoice(REQUEST))).toBe("timeout");
    expect(await kindOf(guarded.createInvoice(REQUEST))).toBe("breaker_open");
  });

  it("a probe the node answers with a refusal closes the breaker: calls go on, not one probe at a time", async () => {
    let now = 0;
    const { state, backend } = scripted();
    const guarded = withBreaker(backend, { threshold: 2, cooldownMs: 1000, now: () => now });
    state.fail = new LightningError("timeout", "slow");
    for (let i = 0; i < 2; i++) expect(await kindOf(guarded.createInvoice(REQUEST))).toBe("timeout");
    now = 1500;
    state.fail = new LightningError("bad_request", "amount too large");
    expect(await kindOf(guarded.createInvoice(REQUEST))).toBe("bad_request");
    state.fail = undefined;
    expect(await Promise.all([guarded.createInvoice(REQUEST), guarded.createInvoice(REQUEST)].map(kindOf))).toEqual(["ok", "ok"]);
  });

  it("counts a not_found answer as a healthy node, not a failure", async () => {
    const { state, backend } = scripted();
    const guarded = withBreaker(backend, { threshold: 2, cooldownMs: 1000 });
    state.fail = new LightningError("not_found", "unable to locate invoice");
    for (let i = 0; i < 5; i++) expect(await kindOf(guarded.lookupInvoice(new Uint8Array(32)))).toBe("not_found");
    expect(state.calls).toBe(5);
  });
});
