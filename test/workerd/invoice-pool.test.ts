import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import fc from "fast-check";
import { afterEach, describe, expect, inject, it, vi } from "vitest";
import { parseChallenge, toBase64 } from "../../src/l402/index.ts";
import { poolName } from "../../src/paywall/invoice-pool.ts";
import { BUFFERED_PER_POOL } from "../../src/paywall/pool-buffer.ts";
import type { PooledInvoice } from "../../src/paywall/index.ts";
import type { InvoicePoolShard } from "../../src/worker/invoice-pool-shard.ts";
import { parseConfig } from "../../src/worker/load-config.ts";
import { poolNode, poolShardName } from "../../src/worker/ports.ts";
import { payInvoice } from "../../dev/lnd-sim/payer.ts";
import "../fixtures/provided-context.ts";
import { callWithEnv, originHits, uniquePath } from "./support/paywall-client.ts";

/**
 * Invoices made ahead of demand (paywall/invoice-pool.ts, worker/invoice-pool-shard.ts):
 * the pool's object on its own, under concurrent takes and puts in any order;
 * then the template Worker with a pool, on each backend's simulator (`poolSim`
 * and `poolBackends`, this file's alone): challenges served from the pool,
 * each invoice once, paid ones never again, and with the node down the pool
 * drains, then 503.
 */

const pools = () => env.L402_INVOICE_POOL as DurableObjectNamespace<InvoicePoolShard>;
const now = () => Math.floor(Date.now() / 1000);
const randomHash = () => [...crypto.getRandomValues(new Uint8Array(32))].map((byte) => byte.toString(16).padStart(2, "0")).join("");
const fakeInvoice = (paymentHash = randomHash()): PooledInvoice => ({ paymentRequest: `lnbcrt1fake${paymentHash}`, paymentHash, amountMsat: "1000", expiresAt: now() + 600, handOutBy: now() + 300 });

/** What a shard holds, read in the object itself. */
const pooledHashes = (stub: DurableObjectStub<InvoicePoolShard>) =>
  runInDurableObject(stub, (_instance, state) => state.storage.sql.exec<{ payment_hash: string }>("SELECT payment_hash FROM pooled").toArray().map((row) => row.payment_hash));

describe("an invoice pool's object", () => {
  it("under concurrent takes and puts in any order, hands each invoice out at most once, only invoices put, and never holds more than its size", async () => {
    const operation = fc.oneof(fc.record({ kind: fc.constant("take" as const), count: fc.integer({ min: 1, max: 4 }) }), fc.record({ kind: fc.constant("put" as const), count: fc.integer({ min: 1, max: 4 }), repeat: fc.boolean() }));
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 12 }), fc.array(operation, { minLength: 1, maxLength: 50 }), async (size, operations) => {
        const stub = pools().get(pools().newUniqueId());
        const bounds = { size, refillPerSecond: 1000 };
        const put: string[] = [];
        // A put may repeat invoices put before (a node answering with an invoice it made already).
        const calls = operations.map((op) => {
          if (op.kind === "take") return stub.take(bounds, op.count, now());
          const invoices = Array.from({ length: op.count }, (_, i) => (op.repeat && put[i] !== undefined ? fakeInvoice(put[i]) : fakeInvoice()));
          put.push(...invoices.map((invoice) => invoice.paymentHash));
          return stub.put(bounds, invoices, op.count, now()).then(async () => {
            expect(await stub.size()).toBeLessThanOrEqual(size);
            return undefined;
          });
        });
        const outcomes = await Promise.all(calls);
        const taken = outcomes.flatMap((outcome) => (outcome === undefined ? [] : outcome.invoices.map((invoice) => invoice.paymentHash)));
        expect(new Set(taken).size).toBe(taken.length);
        for (const hash of taken) expect(put).toContain(hash);
        const left = await pooledHashes(stub);
        expect(left.length).toBeLessThanOrEqual(size);
        expect(left.filter((hash) => taken.includes(hash))).toEqual([]);
        // What is left is handed out once more each, then nothing.
        const drained = await Promise.all(left.map(() => stub.take(bounds, 1, now())));
        expect(drained.flatMap((outcome) => outcome.invoices.map((invoice) => invoice.paymentHash)).sort()).toEqual([...left].sort());
        expect((await stub.take(bounds, 1, now())).invoices).toEqual([]);
      }),
      { numRuns: 40 },
    );
  });

  it("never takes back an invoice it handed out, nor hands out one past its hand-out time", async () => {
    const stub = pools().get(pools().newUniqueId());
    const bounds = { size: 5, refillPerSecond: 1000 };
    const handed = fakeInvoice();
    await stub.put(bounds, [handed], 1, now());
    expect((await stub.take(bounds, 1, now())).invoices.map((invoice) => invoice.paymentHash)).toEqual([handed.paymentHash]);
    await stub.put(bounds, [handed, { ...fakeInvoice(), handOutBy: now() - 1 }], 2, now());
    expect(await stub.size()).toBe(0);
    const late = fakeInvoice();
    await stub.put(bounds, [late], 1, now());
    expect((await stub.take(bounds, 1, late.handOutBy + 1)).invoices).toEqual([]);
  });

  it("a quiet pool empties: its alarm drops what may no longer be handed out, and forgets handed-out hashes once expired", async () => {
    const stub = pools().get(pools().newUniqueId());
    const bounds = { size: 5, refillPerSecond: 1000 };
    const at = now();
    const expiring = { ...fakeInvoice(), expiresAt: at, handOutBy: at };
    await stub.put(bounds, [expiring, { ...fakeInvoice(), handOutBy: at + 1 }], 2, at);
    expect((await stub.take(bounds, 1, at)).invoices.map((invoice) => invoice.paymentHash)).toEqual([expiring.paymentHash]);
    expect(await stub.size()).toBe(1);
    // The object's own alarm, as it runs in production: at each hand-out time.
    await vi.waitFor(async () => expect(await stub.size()).toBe(0), { timeout: 10_000, interval: 200 });
    expect(await runInDurableObject(stub, (_instance, state) => state.storage.sql.exec("SELECT * FROM handed").toArray().length)).toBe(0);
    // Nothing left, nothing to wake for.
    expect(await runDurableObjectAlarm(stub)).toBe(false);
  });

  it("a grant never put back (its Worker stopped) stops counting after its own lease, though grants made and put back after it keep coming", async () => {
    const stub = pools().get(pools().newUniqueId());
    const bounds = { size: 2, refillPerSecond: 1000 };
    const t0 = now();
    // Granted, never put back.
    expect((await stub.take(bounds, 1, t0)).refill).toBe(1);
    // Granted and put back 10 s later: the pool holds 1, the lost grant counts for the other place.
    expect((await stub.take(bounds, 1, t0 + 10)).refill).toBe(1);
    await stub.put(bounds, [fakeInvoice()], 1, t0 + 10);
    expect((await stub.take(bounds, 0, t0 + 29)).refill).toBe(0);
    // Past the lost grant's lease (30 s), not the later one's: room again.
    expect((await stub.take(bounds, 0, t0 + 31)).refill).toBe(1);
  });

  it("grants refills on takes only: one per invoice taken and one to grow, within its room and its rate", async () => {
    const stub = pools().get(pools().newUniqueId());
    // Empty: one to grow (the taker's own invoice is made on demand).
    expect((await stub.take({ size: 10, refillPerSecond: 1000 }, 1, now())).refill).toBe(1);
    await stub.put({ size: 10, refillPerSecond: 1000 }, [fakeInvoice(), fakeInvoice(), fakeInvoice(), fakeInvoice()], 1, now());
    const three = await stub.take({ size: 10, refillPerSecond: 1000 }, 3, now());
    expect([three.invoices.length, three.refill]).toEqual([3, 4]);
    // Full (1 held + 4 granted of 5): one per invoice taken, none to grow.
    expect((await stub.take({ size: 5, refillPerSecond: 1000 }, 1, now())).refill).toBe(1);
    expect((await stub.take({ size: 5, refillPerSecond: 1000 }, 1, now())).refill).toBe(0);
    const slow = pools().get(pools().newUniqueId());
    expect((await slow.take({ size: 10, refillPerSecond: 1 }, 1, now())).refill).toBe(1);
    expect((await slow.take({ size: 10, refillPerSecond: 1 }, 1, now())).refill).toBe(0);
  });
});

interface Subject {
  readonly name: string;
  readonly vars: Record<string, string>;
  /** The simulator's control base (faults). */
  readonly control: string;
}

const lnd = () => inject("poolSim");
const sims = () => inject("poolBackends");
/** LNbits and phoenixd invoice whole sats: the test services without a price in msat. */
const wholeSatServices = () => JSON.stringify((JSON.parse(String(env.L402_SERVICES)) as { price_msat?: number }[]).filter((service) => service.price_msat === undefined));
const subjects = (): Subject[] => [
  { name: "lnd", vars: { LND_REST_URL: lnd().url, LND_MACAROON: lnd().paywallMacaroonHex }, control: lnd().url },
  { name: "lnbits", vars: { L402_BACKEND: "lnbits", L402_SERVICES: wholeSatServices(), LNBITS_URL: sims().lnbits.url, LNBITS_INVOICE_KEY: sims().lnbits.invoiceKey }, control: sims().lnbits.url },
  { name: "phoenixd", vars: { L402_BACKEND: "phoenixd", L402_SERVICES: wholeSatServices(), PHOENIXD_URL: sims().phoenixd.url, PHOENIXD_PASSWORD: sims().phoenixd.password }, control: sims().phoenixd.url },
  { name: "cln", vars: { L402_BACKEND: "cln", CLN_REST_URL: sims().cln.url, CLN_RUNE: sims().cln.paywallRune }, control: sims().cln.url },
  { name: "nwc", vars: { L402_BACKEND: "nwc", L402_NWC_URI: sims().nwcUri }, control: sims().relay.controlUrl },
];

/** A Worker with a pool of `size` for the "api" service (10 sats), its memo its own (or `marker`'s) so its pool is too; and that pool's shard (requests here carry no colo). */
function pooledWorker(subject: Subject, size: number, marker = `pool-${crypto.randomUUID()}`) {
  const memo = `${marker} {service}`;
  const workerEnv = { ...env, ...subject.vars, L402_MEMO: memo, L402_INVOICE_POOL_SIZE: String(size), L402_INVOICE_POOL_RATE: "1000", L402_NODE_TIMEOUT_MS: "1000", L402_BREAKER_THRESHOLD: "2" };
  const config = parseConfig(workerEnv);
  if (!config.ok) throw new Error(config.problems.join("; "));
  const name = poolShardName({ colo: "", node: poolNode(config.value.node, config.value.network) }, poolName({ amountMsat: 10_000n, expirySeconds: 600, memo: memo.replace("{service}", "api") }));
  return { workerEnv, shard: pools().get(pools().idFromName(name)), marker };
}

async function challenge(workerEnv: object, status = 402): Promise<{ invoice: string; macaroon: Uint8Array; hash: string; path: string }> {
  const path = uniquePath("/api/pooled");
  const response = await callWithEnv(workerEnv, path);
  expect(response.status, await response.clone().text()).toBe(status);
  const parsed = parseChallenge(response.headers.get("www-authenticate") ?? "");
  if (!parsed.ok) return { invoice: "", macaroon: new Uint8Array(), hash: "", path };
  const { payment_hash: hash } = (await response.json()) as { payment_hash: string };
  return { invoice: parsed.value.invoice, macaroon: parsed.value.macaroon, hash, path };
}

/** Challenges until the pool holds `size` (each take grants refills, made after its answer, and tops up the isolate's buffer); the hashes handed out. */
async function fill(workerEnv: object, shard: DurableObjectStub<InvoicePoolShard>, size: number): Promise<Set<string>> {
  const handed = new Set<string>();
  for (let i = 0; i < size * 2 && (await shard.size()) < size; i++) handed.add((await challenge(workerEnv)).hash);
  expect(await shard.size()).toBe(size);
  return handed;
}

/** Invoices the LND simulator made for this Worker (its memo marker) that no challenge has handed out: what the pool and the buffer hold (or lost, which they must not). */
async function madeAhead(marker: string, handed: ReadonlySet<string>): Promise<string[]> {
  const response = await fetch(`${lnd().url}/v1/invoices?num_max_invoices=100000`, { headers: { "Grpc-Metadata-macaroon": lnd().adminMacaroonHex } });
  const { invoices } = (await response.json()) as { invoices: { memo: string; r_hash: string }[] };
  const hex = (b64: string) => [...atob(b64)].map((c) => c.charCodeAt(0).toString(16).padStart(2, "0")).join("");
  return invoices.filter((invoice) => invoice.memo.includes(marker)).map((invoice) => hex(invoice.r_hash)).filter((hash) => !handed.has(hash));
}

const setFaults = (subject: Subject, faults: object) => fetch(`${subject.control}/_sim/faults`, { method: "POST", body: JSON.stringify(faults) }).then((r) => r.text());
const clearFaults = (subject: Subject) => fetch(`${subject.control}/_sim/faults`, { method: "DELETE" }).then((r) => r.text());

describe("the Worker with an invoice pool (LND)", () => {
  const subject = () => subjects()[0] as Subject;
  afterEach(() => clearFaults(subject()));

  it("50 concurrent challenges: every invoice made ahead (pool and the isolate's buffer) handed out once, the rest made on demand, never more held than the pool's size and the buffer's", async () => {
    const size = 20;
    const { workerEnv, shard, marker } = pooledWorker(subject(), size);
    const handed = await fill(workerEnv, shard, size);
    const ahead = await madeAhead(marker, handed);
    // The pool's 20, and beside them the few the isolate took ahead of its next challenges.
    expect(ahead.length).toBeGreaterThan(size);
    expect(ahead.length).toBeLessThanOrEqual(size + BUFFERED_PER_POOL);
    const challenges = await Promise.all(Array.from({ length: 50 }, () => challenge(workerEnv)));
    const hashes = challenges.map((c) => c.hash);
    expect(new Set([...hashes, ...handed]).size).toBe(50 + handed.size);
    // The buffer's went first, and the pool's oldest first: at most a buffer's worth of them is in the buffer again.
    expect(ahead.filter((hash) => hashes.includes(hash)).length).toBeGreaterThanOrEqual(ahead.length - BUFFERED_PER_POOL);
    for (const hash of hashes) handed.add(hash);
    expect(await shard.size()).toBeLessThanOrEqual(size);
    expect((await madeAhead(marker, handed)).length).toBeLessThanOrEqual(size + BUFFERED_PER_POOL);
  });

  it("an isolate's first challenge takes only its own invoice from the pool, none for a buffer it may never use", async () => {
    const size = 4;
    const first = pooledWorker(subject(), size);
    await fill(first.workerEnv, first.shard, size);
    const before = await pooledHashes(first.shard);
    // Another isolate's paywall (a new env: its own ports and buffer), on the same pool.
    const another = pooledWorker(subject(), size, first.marker);
    expect(before).toContain((await challenge(another.workerEnv)).hash);
    const after = await pooledHashes(first.shard);
    expect(before.filter((hash) => after.includes(hash))).toHaveLength(size - 1);
  });

  it("a paid pooled invoice buys access once and is never handed out again, even were the node to give it back", async () => {
    const size = 3;
    const { workerEnv, shard, marker } = pooledWorker(subject(), size);
    const handed = await fill(workerEnv, shard, size);
    const ahead = await madeAhead(marker, handed);
    const taken = await challenge(workerEnv);
    expect(ahead).toContain(taken.hash);
    const paid = await payInvoice({ url: lnd().url, macaroonHex: lnd().adminMacaroonHex }, taken.invoice);
    expect(paid.status).toBe("SUCCEEDED");
    const response = await callWithEnv(workerEnv, taken.path, { headers: { Authorization: `L402 ${toBase64(taken.macaroon)}:${paid.preimageHex as string}` } });
    expect(response.status).toBe(200);
    expect(await originHits(taken.path.slice(4))).toBe(1);
    // Put back as a node repeating an invoice would: refused.
    await shard.put({ size, refillPerSecond: 1000 }, [{ paymentRequest: taken.invoice, paymentHash: taken.hash, amountMsat: "10000", expiresAt: now() + 600, handOutBy: now() + 300 }], 0, now());
    expect(await pooledHashes(shard)).not.toContain(taken.hash);
    for (let i = 0; i < size * 3; i++) expect((await challenge(workerEnv)).hash).not.toBe(taken.hash);
  });
});

describe("the Worker with an invoice pool, after a change of node", () => {
  afterEach(() => clearFaults(subjects()[0] as Subject));

  it("never hands out an invoice another node made: each node's pool is its own", async () => {
    const [lndSubject, , , clnSubject] = subjects() as [Subject, Subject, Subject, Subject];
    const before = pooledWorker(lndSubject, 3);
    await fill(before.workerEnv, before.shard, 3);
    const pooledBefore = await pooledHashes(before.shard);
    // The same services, memo and prices, now on another node (CLN, same chain): none of the first node's invoices.
    const after = pooledWorker(clnSubject, 3, before.marker);
    await setFaults(lndSubject, { failure: "unavailable" });
    for (let i = 0; i < 3; i++) expect(pooledBefore).not.toContain((await challenge(after.workerEnv)).hash);
    expect(await pooledHashes(before.shard)).toEqual(pooledBefore);
  });

  it("an LNbits pool is its wallet's: another invoice key on the same server is another pool, named without the key", () => {
    const lnbits = (invoiceKey: string) => poolNode({ backend: "lnbits", url: "https://lnbits.example", invoiceKey, timeoutMs: 5000 }, "mainnet");
    expect(lnbits("wallet-one-key")).not.toBe(lnbits("wallet-two-key"));
    expect(lnbits("wallet-one-key")).toBe(lnbits("wallet-one-key"));
    expect(lnbits("wallet-one-key")).not.toContain("wallet-one-key");
  });

  it("an NWC pool is its connection's: another connection to the same wallet service (a sub-wallet, an app) is another pool, named without its secret", () => {
    const nwc = (fill: number) => poolNode({ backend: "nwc", connection: { walletPubkey: "ab".repeat(32), relay: "wss://relay.example", secret: new Uint8Array(32).fill(fill) }, timeoutMs: 5000, relayConnection: "per-call" }, "mainnet");
    expect(nwc(1)).not.toBe(nwc(2));
    expect(nwc(1)).toBe(nwc(1));
    expect(nwc(1)).not.toContain("01".repeat(32));
  });
});

describe.each(["lnd", "lnbits", "phoenixd", "cln", "nwc"])("the Worker with an invoice pool on %s", (name) => {
  const subject = () => subjects().find((s) => s.name === name) as Subject;
  afterEach(() => clearFaults(subject()));

  it("a challenge served from the pool is paid and let through", async () => {
    const { workerEnv, shard } = pooledWorker(subject(), 2);
    const handed = await fill(workerEnv, shard, 2);
    // The node down: this challenge's invoice can only have been made ahead.
    await setFaults(subject(), { failure: "unavailable" });
    const taken = await challenge(workerEnv);
    await clearFaults(subject());
    expect(handed).not.toContain(taken.hash);
    expect(taken.invoice).toMatch(/^lnbcrt100n1/);
    const paid = await payInvoice({ url: lnd().url, macaroonHex: lnd().adminMacaroonHex }, taken.invoice);
    expect(paid.status).toBe("SUCCEEDED");
    const response = await callWithEnv(workerEnv, taken.path, { headers: { Authorization: `L402 ${toBase64(taken.macaroon)}:${paid.preimageHex as string}` } });
    expect(response.status).toBe(200);
  });

  it("with the node down, the pool and the isolate's buffer drain, then challenges are 503 with Retry-After, and nothing reaches the origin", async () => {
    const size = 3;
    const { workerEnv, shard } = pooledWorker(subject(), size);
    const handed = await fill(workerEnv, shard, size);
    const pooled = await pooledHashes(shard);
    await setFaults(subject(), { failure: "unavailable" });
    const served: string[] = [];
    for (let i = 0; i <= size + BUFFERED_PER_POOL; i++) {
      const response = await callWithEnv(workerEnv, uniquePath("/api/pooled"));
      if (response.status !== 402) break;
      served.push(((await response.json()) as { payment_hash: string }).payment_hash);
    }
    // Each handed out once: the pool's all, and what the buffer held (the last fill's take left some there), no more.
    expect(new Set([...served, ...handed]).size).toBe(served.length + handed.size);
    for (const hash of pooled) expect(served).toContain(hash);
    expect(served.length).toBeGreaterThan(size);
    expect(served.length).toBeLessThanOrEqual(size + BUFFERED_PER_POOL);
    expect(await shard.size()).toBe(0);
    const down = await challenge(workerEnv, 503);
    expect(await originHits(down.path.slice(4))).toBe(0);
    const response = await callWithEnv(workerEnv, uniquePath("/api/pooled"));
    expect(response.status).toBe(503);
    expect(Number(response.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(await response.json()).toMatchObject({ reason: "node_unavailable" });
  });
});
