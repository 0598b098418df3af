import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import fc from "fast-check";
import { afterEach, describe, expect, inject, it, vi } from "vitest";
import { parseChallenge, toBase64 } from "../../src/l402/index.ts";
import { poolName } from "../../src/paywall/invoice-pool.ts";
import type { PooledInvoice } from "../../src/paywall/index.ts";
import type { InvoicePoolShard } from "../../src/worker/invoice-pool-shard.ts";
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
    const operation = fc.oneof(fc.constant({ kind: "take" as const }), fc.record({ kind: fc.constant("put" as const), count: fc.integer({ min: 1, max: 4 }), repeat: fc.boolean() }));
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 12 }), fc.array(operation, { minLength: 1, maxLength: 50 }), async (size, operations) => {
        const stub = pools().get(pools().newUniqueId());
        const bounds = { size, refillPerSecond: 1000 };
        const put: string[] = [];
        // A put may repeat invoices put before (a node answering with an invoice it made already).
        const calls = operations.map((op) => {
          if (op.kind === "take") return stub.take(bounds, now());
          const invoices = Array.from({ length: op.count }, (_, i) => (op.repeat && put[i] !== undefined ? fakeInvoice(put[i]) : fakeInvoice()));
          put.push(...invoices.map((invoice) => invoice.paymentHash));
          return stub.put(bounds, invoices, op.count, now()).then(async () => {
            expect(await stub.size()).toBeLessThanOrEqual(size);
            return undefined;
          });
        });
        const outcomes = await Promise.all(calls);
        const taken = outcomes.flatMap((outcome) => (outcome !== undefined && outcome.invoice !== undefined ? [outcome.invoice.paymentHash] : []));
        expect(new Set(taken).size).toBe(taken.length);
        for (const hash of taken) expect(put).toContain(hash);
        const left = await pooledHashes(stub);
        expect(left.length).toBeLessThanOrEqual(size);
        expect(left.filter((hash) => taken.includes(hash))).toEqual([]);
        // What is left is handed out once more each, then nothing.
        const drained = await Promise.all(left.map(() => stub.take(bounds, now())));
        expect(drained.map((outcome) => outcome.invoice?.paymentHash).sort()).toEqual([...left].sort());
        expect((await stub.take(bounds, now())).invoice).toBeUndefined();
      }),
      { numRuns: 40 },
    );
  });

  it("never takes back an invoice it handed out, nor hands out one past its hand-out time", async () => {
    const stub = pools().get(pools().newUniqueId());
    const bounds = { size: 5, refillPerSecond: 1000 };
    const handed = fakeInvoice();
    await stub.put(bounds, [handed], 1, now());
    expect((await stub.take(bounds, now())).invoice?.paymentHash).toBe(handed.paymentHash);
    await stub.put(bounds, [handed, { ...fakeInvoice(), handOutBy: now() - 1 }], 2, now());
    expect(await stub.size()).toBe(0);
    const late = fakeInvoice();
    await stub.put(bounds, [late], 1, now());
    expect((await stub.take(bounds, late.handOutBy + 1)).invoice).toBeUndefined();
  });

  it("a quiet pool empties: its alarm drops what may no longer be handed out, and forgets handed-out hashes once expired", async () => {
    const stub = pools().get(pools().newUniqueId());
    const bounds = { size: 5, refillPerSecond: 1000 };
    const at = now();
    const expiring = { ...fakeInvoice(), expiresAt: at, handOutBy: at };
    await stub.put(bounds, [expiring, { ...fakeInvoice(), handOutBy: at + 1 }], 2, at);
    expect((await stub.take(bounds, at)).invoice?.paymentHash).toBe(expiring.paymentHash);
    expect(await stub.size()).toBe(1);
    // The object's own alarm, as it runs in production: at each hand-out time.
    await vi.waitFor(async () => expect(await stub.size()).toBe(0), { timeout: 10_000, interval: 200 });
    expect(await runInDurableObject(stub, (_instance, state) => state.storage.sql.exec("SELECT * FROM handed").toArray().length)).toBe(0);
    // Nothing left, nothing to wake for.
    expect(await runDurableObjectAlarm(stub)).toBe(false);
  });

  it("grants refills on takes only: two at most, within its room and its rate", async () => {
    const stub = pools().get(pools().newUniqueId());
    expect((await stub.take({ size: 10, refillPerSecond: 1000 }, now())).refill).toBe(2);
    expect((await stub.take({ size: 3, refillPerSecond: 1000 }, now())).refill).toBe(1);
    expect((await stub.take({ size: 3, refillPerSecond: 1000 }, now())).refill).toBe(0);
    const slow = pools().get(pools().newUniqueId());
    expect((await slow.take({ size: 10, refillPerSecond: 1 }, now())).refill).toBe(1);
    expect((await slow.take({ size: 10, refillPerSecond: 1 }, now())).refill).toBe(0);
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

/** A Worker with a pool of `size` for the "api" service (10 sats), its memo its own so its pool is too; and that pool's shard (requests here carry no colo). */
function pooledWorker(subject: Subject, size: number) {
  const memo = `pool-${crypto.randomUUID()} {service}`;
  const workerEnv = { ...env, ...subject.vars, L402_MEMO: memo, L402_INVOICE_POOL_SIZE: String(size), L402_INVOICE_POOL_RATE: "1000", L402_NODE_TIMEOUT_MS: "1000", L402_BREAKER_THRESHOLD: "2" };
  const shard = pools().get(pools().idFromName(`\u0000${poolName({ amountMsat: 10_000n, expirySeconds: 600, memo: memo.replace("{service}", "api") })}`));
  return { workerEnv, shard };
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

/** Challenges until the pool holds `size` (each take grants refills, made after its answer). */
async function fill(workerEnv: object, shard: DurableObjectStub<InvoicePoolShard>, size: number): Promise<void> {
  for (let i = 0; i < size * 2 && (await shard.size()) < size; i++) await challenge(workerEnv);
  expect(await shard.size()).toBe(size);
}

const setFaults = (subject: Subject, faults: object) => fetch(`${subject.control}/_sim/faults`, { method: "POST", body: JSON.stringify(faults) }).then((r) => r.text());
const clearFaults = (subject: Subject) => fetch(`${subject.control}/_sim/faults`, { method: "DELETE" }).then((r) => r.text());

describe("the Worker with an invoice pool (LND)", () => {
  const subject = () => subjects()[0] as Subject;
  afterEach(() => clearFaults(subject()));

  it("50 concurrent challenges: every pooled invoice handed out once, the rest made on demand, the pool never over its size", async () => {
    const size = 20;
    const { workerEnv, shard } = pooledWorker(subject(), size);
    await fill(workerEnv, shard, size);
    const pooled = await pooledHashes(shard);
    const challenges = await Promise.all(Array.from({ length: 50 }, () => challenge(workerEnv)));
    const hashes = challenges.map((c) => c.hash);
    expect(new Set(hashes).size).toBe(50);
    // Each of the 20 pooled invoices went to one challenge; refills made during the burst may have served more.
    expect(pooled.filter((hash) => hashes.includes(hash))).toHaveLength(size);
    expect(await shard.size()).toBeLessThanOrEqual(size);
    for (const hash of await pooledHashes(shard)) expect(hashes).not.toContain(hash);
  });

  it("a paid pooled invoice buys access once and is never handed out again, even were the node to give it back", async () => {
    const size = 3;
    const { workerEnv, shard } = pooledWorker(subject(), size);
    await fill(workerEnv, shard, size);
    const pooled = await pooledHashes(shard);
    const taken = await challenge(workerEnv);
    expect(pooled).toContain(taken.hash);
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

describe.each(["lnd", "lnbits", "phoenixd", "cln", "nwc"])("the Worker with an invoice pool on %s", (name) => {
  const subject = () => subjects().find((s) => s.name === name) as Subject;
  afterEach(() => clearFaults(subject()));

  it("a challenge served from the pool is paid and let through", async () => {
    const { workerEnv, shard } = pooledWorker(subject(), 2);
    await fill(workerEnv, shard, 2);
    const pooled = await pooledHashes(shard);
    const taken = await challenge(workerEnv);
    expect(pooled).toContain(taken.hash);
    expect(taken.invoice).toMatch(/^lnbcrt100n1/);
    const paid = await payInvoice({ url: lnd().url, macaroonHex: lnd().adminMacaroonHex }, taken.invoice);
    expect(paid.status).toBe("SUCCEEDED");
    const response = await callWithEnv(workerEnv, taken.path, { headers: { Authorization: `L402 ${toBase64(taken.macaroon)}:${paid.preimageHex as string}` } });
    expect(response.status).toBe(200);
  });

  it("with the node down, the pool drains, then challenges are 503 with Retry-After, and nothing reaches the origin", async () => {
    const size = 3;
    const { workerEnv, shard } = pooledWorker(subject(), size);
    await fill(workerEnv, shard, size);
    const pooled = await pooledHashes(shard);
    await setFaults(subject(), { failure: "unavailable" });
    for (let i = 0; i < size; i++) expect(pooled).toContain((await challenge(workerEnv)).hash);
    expect(await shard.size()).toBe(0);
    const down = await challenge(workerEnv, 503);
    expect(await originHits(down.path.slice(4))).toBe(0);
    const response = await callWithEnv(workerEnv, uniquePath("/api/pooled"));
    expect(response.status).toBe(503);
    expect(Number(response.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(await response.json()).toMatchObject({ reason: "node_unavailable" });
  });
});
