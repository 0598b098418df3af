import { env } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { payInvoice } from "../fixtures/lnd-payer.ts";
import { callWith, callWithEnv, clearNodeFaults, faultEnv, faultSim, lndCalls, originHits, payChallenge, setNodeFaults, sim, uniquePath } from "./support/paywall-client.ts";

afterEach(() => clearNodeFaults());

const CACHE_ON = { L402_CHALLENGE_CACHE_SECONDS: "30" };
/** A client: its own address (so tests do not share cache entries or rate-limit buckets). */
const client = (ua = "agent/1.0") => ({ "CF-Connecting-IP": `2001:db8::${crypto.randomUUID().slice(0, 4)}:${crypto.randomUUID().slice(0, 4)}`, "User-Agent": ua });
const invoiceOf = async (response: Response) => ((await response.clone().json()) as { invoice: string }).invoice;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Rate-limit windows are aligned to the wall clock; a test must not straddle two. */
async function clearOfWindowEdge(periodSeconds: number): Promise<void> {
  const intoWindow = Date.now() % (periodSeconds * 1000);
  if (intoWindow > (periodSeconds - 10) * 1000) await sleep(periodSeconds * 1000 - intoWindow + 100);
}

describe("challenge cache", () => {
  it("a flood of unpaid requests from one client creates one invoice per window", async () => {
    const headers = client();
    const invoices = new Set<string>();
    const N = 40;
    for (let i = 0; i < N; i++) {
      const response = await callWith(CACHE_ON, uniquePath("/api/flood"), { headers });
      expect(response.status).toBe(402);
      invoices.add(await invoiceOf(response));
    }
    console.log(`flood: ${N} unpaid requests from one client → ${invoices.size} invoice(s)`);
    expect(invoices.size).toBe(1);
  });

  it("another program behind the same address, or the cache switched off, gets its own invoice", async () => {
    const headers = client("agent/1.0");
    const first = await invoiceOf(await callWith(CACHE_ON, "/api/x", { headers }));
    expect(await invoiceOf(await callWith(CACHE_ON, "/api/x", { headers: { ...headers, "User-Agent": "other/2.0" } }))).not.toBe(first);
    const off = { L402_CHALLENGE_CACHE_SECONDS: "0" };
    expect(await invoiceOf(await callWith(off, "/api/x", { headers }))).not.toBe(await invoiceOf(await callWith(off, "/api/x", { headers })));
  });

  it("clients behind one shared address are not stuck on an invoice someone else paid", async () => {
    const shared = client("lnget/0.1");
    const a = await callWith(CACHE_ON, "/api/a", { headers: shared });
    const tokenA = await payChallenge(a);
    await sleep(1100);
    const b = await callWith(CACHE_ON, "/api/b", { headers: shared });
    expect(b.status).toBe(402);
    const invoiceB = await invoiceOf(b);
    expect(invoiceB).not.toBe(((await a.clone().json().catch(() => ({}))) as { invoice?: string }).invoice);
    const paidB = await payInvoice({ url: sim().url, macaroonHex: sim().adminMacaroonHex }, invoiceB);
    expect(paidB.status).toBe("SUCCEEDED");
    expect((await callWith(CACHE_ON, "/api/a", { headers: { ...shared, Authorization: tokenA.authorization } })).status).toBe(200);
  });


  it("a cached challenge whose invoice the node no longer knows is replaced, not served", async () => {
    const headers = client("restarted/1.0");
    const fromNodeA = await invoiceOf(await callWith(CACHE_ON, "/api/a", { headers }));
    await sleep(1100);
    // The same cache, another node (as after a node's database was reset): the lookup says not found.
    const fromNodeB = await callWith({ ...CACHE_ON, ...faultEnv() }, "/api/a", { headers });
    expect(fromNodeB.status).toBe(402);
    expect(await invoiceOf(fromNodeB)).not.toBe(fromNodeA);
  });
});

describe("rate limit on minting", () => {
  const TIGHT = () => ({ ...env, L402_MINT_LIMITER: env.TIGHT_MINT_LIMITER, L402_CHALLENGE_CACHE_SECONDS: "0" });

  it("beyond the limit: 429 with Retry-After and no call to the node; paid requests pass", { timeout: 30_000 }, async () => {
    await clearOfWindowEdge(60);
    const headers = client();
    const statuses: number[] = [];
    const invoices = new Set<string>();
    const workerEnv = TIGHT();
    const before = await lndCalls();
    let token;
    for (let i = 0; i < 12; i++) {
      const response = await callWithEnv(workerEnv, uniquePath("/api/limit"), { headers });
      statuses.push(response.status);
      if (response.status === 402) {
        invoices.add(await invoiceOf(response));
        token ??= await payChallenge(response.clone());
      } else {
        expect(response.headers.get("retry-after")).toBe("60");
        expect(await response.json()).toMatchObject({ reason: "rate_limited" });
      }
    }
    console.log(`rate limit: 12 unpaid requests from one address → ${invoices.size} invoices, ${statuses.filter((s) => s === 429).length} × 429`);
    expect(statuses.slice(0, 5)).toEqual(Array(5).fill(402));
    expect(statuses.slice(5)).toEqual(Array(7).fill(429));
    expect(invoices.size).toBe(5);
    expect(await lndCalls()).toBeGreaterThanOrEqual(before + 5);
    const paid = await callWithEnv(workerEnv, "/api/still-paid", { headers: { ...headers, Authorization: (token as { authorization: string }).authorization } });
    expect(paid.status).toBe(200);
  });

  it("many clients: invoice creation stays within each address's limit", { timeout: 30_000 }, async () => {
    await clearOfWindowEdge(60);
    const workerEnv = TIGHT();
    let invoices = 0;
    let limited = 0;
    const clients = Array.from({ length: 6 }, () => client());
    for (let round = 0; round < 8; round++) {
      for (const headers of clients) {
        const response = await callWithEnv(workerEnv, uniquePath("/api/many"), { headers });
        if (response.status === 402) invoices++;
        else if (response.status === 429) limited++;
        await response.body?.cancel();
      }
    }
    console.log(`rate limit: 6 addresses × 8 unpaid requests → ${invoices} invoices (limit 5 each), ${limited} × 429`);
    expect(invoices).toBe(30);
    expect(limited).toBe(18);
  });
});

describe("circuit breaker on the node", () => {
  it("opens after repeated failures (no more calls to the node), and closes again through a half-open probe", async () => {
    const workerEnv = { ...env, ...faultEnv(), L402_BREAKER_THRESHOLD: "3", L402_BREAKER_COOLDOWN: "1", L402_CHALLENGE_CACHE_SECONDS: "0" };
    await setNodeFaults({ failure: "unavailable" });
    const calls = () => lndCalls(faultSim());
    const before = await calls();
    for (let i = 0; i < 3; i++) expect((await callWithEnv(workerEnv, "/api/sick")).status).toBe(503);
    expect(await calls()).toBe(before + 3);
    const open = await callWithEnv(workerEnv, "/api/sick");
    expect(open.status).toBe(503);
    expect(Number(open.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(await calls()).toBe(before + 3);

    await clearNodeFaults();
    await sleep(1100);
    expect((await callWithEnv(workerEnv, "/api/healed")).status).toBe(402);
    expect((await callWithEnv(workerEnv, "/api/healed")).status).toBe(402);
    expect(await calls()).toBe(before + 5);
  });

  it("a failed probe opens it again", async () => {
    const workerEnv = { ...env, ...faultEnv(), L402_BREAKER_THRESHOLD: "1", L402_BREAKER_COOLDOWN: "1", L402_CHALLENGE_CACHE_SECONDS: "0" };
    await setNodeFaults({ failure: "internal" });
    const calls = () => lndCalls(faultSim());
    const before = await calls();
    expect((await callWithEnv(workerEnv, "/api/x")).status).toBe(503);
    await sleep(1100);
    expect((await callWithEnv(workerEnv, "/api/x")).status).toBe(503);
    expect(await calls()).toBe(before + 2);
    expect((await callWithEnv(workerEnv, "/api/x")).status).toBe(503);
    expect(await calls()).toBe(before + 2);
  });
});

describe("hard limits", () => {
  it("an oversized credential is a 431, with no invoice and no origin hit", async () => {
    const path = uniquePath("/api/big");
    for (const header of ["Authorization", "Macaroon", "Grpc-Metadata-Macaroon"]) {
      const response = await callWith({}, path, { headers: { [header]: `L402 ${"A".repeat(9000)}:${"0".repeat(64)}` } });
      expect(response.status).toBe(431);
      expect(response.headers.get("www-authenticate")).toBeNull();
      expect(await response.json()).toMatchObject({ reason: "header_too_large" });
    }
    expect(await originHits(path.slice(4))).toBe(0);
  });
});
