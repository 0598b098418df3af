import { sha256 } from "@noble/hashes/sha2.js";
import { randomBytes } from "@noble/hashes/utils.js";
import { hex } from "@scure/base";
import { describe, expect, it, vi } from "vitest";
import { compileServices } from "../../src/config/index.ts";
import { createKeyring } from "../../src/l402/index.ts";
import { LightningError, type InvoiceBackend, type InvoiceState } from "../../src/lightning/index.ts";
import { sharedChallenger, type ChallengeNeed } from "../../src/paywall/issue-challenge.ts";
import { memoryPorts } from "../../src/paywall/memory-ports.ts";
import { BUILT_IN_SCHEMES } from "../../src/paywall/paywall.ts";
import type { PaywallPorts } from "../../src/paywall/ports.ts";
import type { PaywallSettings } from "../../src/paywall/settings.ts";

/**
 * The challenge cache's rules (paywall/issue-challenge.ts's shared challenger), with in-memory ports,
 * a scripted node and a controlled clock. The same rules run through the Worker
 * against the Cache API in test/workerd/worker-abuse.test.ts.
 */
function scriptedNode() {
  const node = { created: 0, lookups: 0, down: false, hangs: false, states: new Map<string, InvoiceState | "unknown">() };
  const backend: InvoiceBackend = {
    async createInvoice(request) {
      node.created++;
      // Work that never ends: the node call of a request Workers cancelled with its client.
      if (node.hangs) return new Promise<never>(() => undefined);
      const paymentHash = sha256(randomBytes(32));
      node.states.set(hex.encode(paymentHash), "open");
      return { paymentRequest: `lnbcrt-invoice-${node.created}`, paymentHash, amountMsat: request.amountMsat, expiresAt: Math.floor(Date.now() / 1000) + 600 };
    },
    async lookupInvoice(paymentHash) {
      node.lookups++;
      if (node.down) throw new LightningError("unavailable", "cannot reach the node");
      const state = node.states.get(hex.encode(paymentHash));
      if (state === undefined || state === "unknown") throw new LightningError("not_found", "unable to locate invoice");
      return { state, amountPaidMsat: 0n, expiresAt: 0, preimage: undefined };
    },
    getInfo: async () => ({ alias: "n", network: "regtest", syncedToChain: true, blockHeight: 1 }),
  };
  return { node, backend };
}

interface Overrides {
  readonly now?: number;
  readonly paidHash?: string;
  /** Another client (its user agent). */
  readonly client?: string;
}

function setup(challengeCacheSeconds = 30, mintsPerClient?: number, schemes: readonly string[] = ["l402"], adjust: (ports: PaywallPorts) => PaywallPorts = (ports) => ports) {
  const clock = { now: Math.floor(Date.now() / 1000) };
  const { node, backend } = scriptedNode();
  const ports = adjust(memoryPorts({ now: () => clock.now, ...(mintsPerClient === undefined ? {} : { mintsPerClient }) }));
  const compiled = compileServices([{ name: "api", price_sats: 1, schemes }], {
    field: "services",
    secrets: {},
    matchRequired: false,
    features: { meter: false, freebies: false, ledger: false, revocations: false, lookups: true, spent: true, balances: false, describe: () => "" },
  });
  if (!compiled.ok) throw new Error(compiled.detail);
  const settings: PaywallSettings = {
    services: compiled.value,
    schemes: BUILT_IN_SCHEMES,
    keyring: createKeyring(new Uint8Array(32).fill(3)),
    backend,
    ports,
    invoiceExpirySeconds: 600,
    memo: "{service}",
    challengeCacheSeconds,
    mintRetryAfterSeconds: 60,
    location: "l402",
    fiatRate: undefined,
  };
  const challenger = sharedChallenger(settings);
  /** The same paywall after its master key changed: the same node, ports and cache. */
  const underKey = (seed: number) => sharedChallenger({ ...settings, keyring: createKeyring(new Uint8Array(32).fill(seed)) });
  const laters: Promise<unknown>[] = [];
  const need = (overrides: Overrides = {}): ChallengeNeed => ({
    service: compiled.value[0] as ChallengeNeed["service"],
    request: { method: "GET", url: new URL("https://api.test/x"), headers: new Headers(), client: { address: "203.0.113.7", userAgent: overrides.client ?? "client-a" }, now: overrides.now ?? clock.now },
    paidHash: overrides.paidHash,
    offer: { amountMsat: 1000n, caveats: {} },
    later: (work) => void laters.push(work),
  });
  const issue = (overrides: Overrides = {}) => challenger.issue(need(overrides));
  const invoiceOf = async (overrides: Overrides = {}) => {
    const issued = await issue(overrides);
    if (!issued.ok) throw new Error(issued.detail);
    return issued.value;
  };
  return { clock, node, ports, issue, invoiceOf, laters, need, underKey, challenger };
}

describe("the shared challenger and the challenge cache", () => {
  it("hands a client its recent challenge back: one invoice, no lookup within a second", async () => {
    const { node, invoiceOf } = setup();
    const first = await invoiceOf();
    const again = await invoiceOf();
    expect(again).toMatchObject({ reused: true, parts: { invoice: first.parts.invoice } });
    expect(again.parts.macaroon).toEqual(first.parts.macaroon);
    expect(node).toMatchObject({ created: 1, lookups: 0 });
  });

  it("hands back no challenge minted under another master key (one taken out of the keyring): its token would be refused once paid", async () => {
    const { node, invoiceOf, need, underKey } = setup();
    const first = await invoiceOf();
    const rotated = await underKey(4).issue(need());
    if (!rotated.ok) throw new Error(rotated.detail);
    expect(rotated.value.reused).toBe(false);
    expect(rotated.value.parts.invoice).not.toBe(first.parts.invoice);
    expect(node).toMatchObject({ created: 2 });
    // Under the first key again, its own entry.
    expect(await invoiceOf()).toMatchObject({ reused: true, parts: { invoice: first.parts.invoice } });
  });

  it("hands back no challenge at another price than the offer's (a balance's credit sold at a new price after a deploy: the same key, another amount)", async () => {
    const { node, invoiceOf, need, challenger } = setup();
    const first = await invoiceOf();
    expect(await invoiceOf()).toMatchObject({ reused: true, parts: { invoice: first.parts.invoice } });
    const dearer = await challenger.issue({ ...need(), offer: { amountMsat: 1500n, caveats: {} } });
    expect(dearer).toMatchObject({ ok: true, value: { reused: false, parts: { amountMsat: 1500n } } });
    expect(dearer.ok && dearer.value.parts.invoice).not.toBe(first.parts.invoice);
    expect(node).toMatchObject({ created: 2 });
  });

  it("asks the node at most once a second whether the cached invoice is still open", async () => {
    const { clock, node, invoiceOf } = setup();
    const first = await invoiceOf();
    clock.now += 1;
    for (let i = 0; i < 5; i++) expect((await invoiceOf({ now: clock.now })).parts.invoice).toBe(first.parts.invoice);
    expect(node).toMatchObject({ created: 1, lookups: 1 });
  });

  it("replaces a cached invoice the node says was paid, or no longer knows", async () => {
    const { clock, node, invoiceOf } = setup();
    const first = await invoiceOf();
    node.states.set(first.parts.paymentHash, "settled");
    clock.now += 1;
    const second = await invoiceOf({ now: clock.now });
    expect(second).toMatchObject({ reused: false });
    expect(second.parts.invoice).not.toBe(first.parts.invoice);
    node.states.set(second.parts.paymentHash, "unknown");
    clock.now += 1;
    expect((await invoiceOf({ now: clock.now })).parts.invoice).not.toBe(second.parts.invoice);
    expect(node.created).toBe(3);
  });

  it("hands a cached invoice back only while half its expiry is left: a client asking on gets a fresh one, with time to pay it", async () => {
    const { clock, node, invoiceOf } = setup();
    const first = await invoiceOf();
    while (first.parts.expiresAt - (clock.now + 25) >= 300) {
      clock.now += 25;
      expect((await invoiceOf({ now: clock.now })).parts.invoice).toBe(first.parts.invoice);
    }
    clock.now = first.parts.expiresAt - 299;
    expect((await invoiceOf({ now: clock.now })).parts.invoice).not.toBe(first.parts.invoice);
    expect(node.created).toBe(2);
  });

  it("keeps showing the cached invoice while the node cannot say", async () => {
    const { clock, node, invoiceOf } = setup();
    const first = await invoiceOf();
    node.down = true;
    clock.now += 1;
    expect((await invoiceOf({ now: clock.now })).parts.invoice).toBe(first.parts.invoice);
    expect(node).toMatchObject({ created: 1, lookups: 1 });
  });

  it("drops the cached invoice at once when a refused credential's preimage proves it paid", async () => {
    const { node, invoiceOf } = setup();
    const first = await invoiceOf();
    const again = await invoiceOf({ paidHash: first.parts.paymentHash });
    expect(again.parts.invoice).not.toBe(first.parts.invoice);
    expect(node).toMatchObject({ created: 2, lookups: 0 });
    // A preimage of some other invoice proves nothing about this one.
    expect((await invoiceOf({ paidHash: "00".repeat(32) })).parts.invoice).toBe(again.parts.invoice);
  });

  it("concurrent misses of one client share one invoice; other clients get their own", async () => {
    const { node, issue } = setup();
    const results = await Promise.all([...Array.from({ length: 10 }, () => issue()), issue({ client: "client-b" })]);
    const invoices = results.map((r) => (r.ok ? r.value.parts.invoice : r.reason));
    expect(new Set(invoices.slice(0, 10)).size).toBe(1);
    expect(invoices[10]).not.toBe(invoices[0]);
    expect(node.created).toBe(2);
  });

  it("a client's miss is finished after its answer (handed to later, a Worker's waitUntil); one that never ends holds the client's next misses a minute at most", async () => {
    vi.useFakeTimers();
    try {
      const { node, issue, laters } = setup();
      node.hangs = true;
      void issue();
      await vi.advanceTimersByTimeAsync(0);
      expect(laters).toHaveLength(1);
      const waiting = issue();
      await vi.advanceTimersByTimeAsync(60_000);
      expect(await waiting).toMatchObject({ ok: false, reason: "node_unavailable", retryAfterSeconds: 1 });
      node.hangs = false;
      expect(await issue()).toMatchObject({ ok: true, value: { reused: false } });
      expect(node.created).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it("on a service offering x402, whose invoice-only payment anyone holding the invoice could claim, no invoice goes to two answers: not to a client asking again, nor to its concurrent misses", async () => {
    for (const schemes of [["x402"], ["l402", "x402"]]) {
      const { node, issue } = setup(30, undefined, schemes);
      const results = await Promise.all([issue(), issue(), issue()]);
      results.push(await issue());
      const invoices = results.map((r) => (r.ok ? r.value.parts.invoice : r.reason));
      expect(new Set(invoices).size, schemes.join()).toBe(4);
      expect(results.every((r) => r.ok && !r.value.reused)).toBe(true);
      expect(node.created).toBe(4);
    }
  });

  it("with the cache off, every request mints", async () => {
    const { node, invoiceOf } = setup(0);
    await invoiceOf();
    await invoiceOf();
    expect(node.created).toBe(2);
  });

  it("a client over the mint limit gets a refusal with a retry-after, and the node is not asked", async () => {
    const { node, issue } = setup(0, 2);
    const outcomes = [];
    for (let i = 0; i < 3; i++) outcomes.push(await issue());
    expect(outcomes.map((o) => (o.ok ? "issued" : o.reason))).toEqual(["issued", "issued", "rate_limited"]);
    expect(outcomes[2]).toMatchObject({ retryAfterSeconds: 60 });
    expect(node.created).toBe(2);
  });

  it("a cache that fails (at once or later, reading, storing or dropping) is a cache that misses: every 402 still gets its invoice", async () => {
    for (const how of ["throws", "rejects"] as const) {
      const failing = () => {
        if (how === "throws") throw new Error("cache gone");
        return Promise.reject(new Error("cache gone"));
      };
      const { node, invoiceOf } = setup(30, undefined, ["l402"], (ports) => ({ ...ports, challengeCache: { read: failing, store: failing, drop: failing } }));
      const first = await invoiceOf();
      const second = await invoiceOf();
      expect([first.reused, second.reused]).toEqual([false, false]);
      expect(second.parts.invoice).not.toBe(first.parts.invoice);
      expect(node.created, how).toBe(2);
    }
  });

  it("a cache that cannot drop an invoice a refused credential proved paid never hands that invoice out again", async () => {
    const { node, invoiceOf } = setup(30, undefined, ["l402"], (ports) => ({ ...ports, challengeCache: { ...(ports.challengeCache as NonNullable<PaywallPorts["challengeCache"]>), drop: () => Promise.reject(new Error("cache gone")) } }));
    const first = await invoiceOf();
    expect((await invoiceOf()).parts.invoice).toBe(first.parts.invoice);
    const after = await invoiceOf({ paidHash: first.parts.paymentHash });
    expect(after.parts.invoice).not.toBe(first.parts.invoice);
    expect(node.created).toBe(2);
    // The fresh one is what the client gets from now on.
    expect((await invoiceOf()).parts.invoice).toBe(after.parts.invoice);
  });

  it("a mint limiter that cannot answer mints nothing: the node is not asked, and the refusal says to retry (503)", async () => {
    for (const limiter of ["mintLimiter", "networkMintLimiter"] as const) {
      const { node, issue } = setup(0, undefined, ["l402"], (ports) => ({ ...ports, [limiter]: { allow: () => Promise.reject(new Error("limiter gone")) } }));
      const outcome = await issue();
      expect(outcome, limiter).toMatchObject({ ok: false, reason: "node_unavailable", retryAfterSeconds: 5 });
      expect(node.created).toBe(0);
    }
  });
});
