import { env } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { attenuate, decodeMacaroon, encodeMacaroon } from "../../src/macaroon/index.ts";
import { parseChallenge, toBase64, toHex } from "../../src/l402/index.ts";
import { payInvoice } from "../../dev/lnd-sim/payer.ts";
import { MOST_CLAIMED_METHODS } from "../../src/paywall/claimed-methods.ts";
import { ADMIN_TOKEN } from "../fixtures/worker-env.ts";
import { utf8 } from "../fixtures/vectors.ts";
import { withHeldClock } from "./support/held-clock.ts";
import {
  callWith,
  callWithEnv,
  clearNodeFaults,
  clearOfWindowEdge,
  faultEnv,
  faultSim,
  invoicesWithMemo,
  lndCalls,
  originHits,
  payChallenge,
  setNodeFaults,
  sim,
  uniquePath,
} from "./support/paywall-client.ts";

afterEach(() => clearNodeFaults());

const CACHE_ON = { L402_CHALLENGE_CACHE_SECONDS: "30" };
/** A client: its own network, an IPv6 /64 (so tests do not share cache entries or rate-limit buckets). */
const client = (ua = "agent/1.0") => ({ "CF-Connecting-IP": `2001:db8:${crypto.randomUUID().slice(0, 4)}:${crypto.randomUUID().slice(0, 4)}::1`, "User-Agent": ua });
const invoiceOf = async (response: Response) => ((await response.clone().json()) as { invoice: string }).invoice;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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

describe("a paid invoice is never offered again", () => {
  const authorized = (headers: Record<string, string>, token: { authorization: string }) => ({ headers: { ...headers, Authorization: token.authorization } });

  it("pay, use, ask again at once: a new invoice, three times in a row", async () => {
    const headers = client("worker-pool/1.0");
    const offered: string[] = [];
    let response = await callWith(CACHE_ON, "/api/again", { headers });
    for (let round = 0; round < 3; round++) {
      offered.push(await invoiceOf(response));
      const token = await payChallenge(response);
      expect((await callWith(CACHE_ON, "/api/again", authorized(headers, token))).status).toBe(200);
      response = await callWith(CACHE_ON, "/api/again", { headers });
      expect(response.status).toBe(402);
      expect(offered).not.toContain(await invoiceOf(response));
    }
    expect(new Set(offered).size).toBe(3);
  });

  it("the 402 after an exhausted token offers a new invoice", async () => {
    const headers = client();
    const first = await callWith(CACHE_ON, "/single/x", { headers });
    const token = await payChallenge(first.clone());
    expect((await callWith(CACHE_ON, "/single/x", authorized(headers, token))).status).toBe(200);
    const exhausted = await callWith(CACHE_ON, "/single/x", authorized(headers, token));
    expect(((await exhausted.clone().json()) as { reason: string }).reason).toBe("exhausted");
    expect(await invoiceOf(exhausted)).not.toBe(await invoiceOf(first));
  });

  it("the 402 after an expired token offers a new invoice", async () => {
    const headers = client();
    const first = await callWith(CACHE_ON, "/short/x", { headers });
    const token = await payChallenge(first.clone());
    await sleep(1100);
    const expired = await callWith(CACHE_ON, "/short/x", authorized(headers, token));
    expect(((await expired.clone().json()) as { reason: string }).reason).toBe("expired");
    expect(await invoiceOf(expired)).not.toBe(await invoiceOf(first));
  });

  it("the 402 after a revoked token offers a new invoice", async () => {
    const headers = client();
    const first = await callWith(CACHE_ON, "/vault/x", { headers });
    const token = await payChallenge(first.clone());
    const tokenId = toHex(decodeMacaroon(token.macaroon).identifier.slice(34));
    const revoke = await callWith({}, `/.well-known/l402/admin/tokens/${tokenId}/revoke`, { method: "POST", headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(revoke.status).toBe(200);
    const revoked = await callWith(CACHE_ON, "/vault/x", authorized(headers, token));
    expect(((await revoked.clone().json()) as { reason: string }).reason).toBe("revoked");
    expect(await invoiceOf(revoked)).not.toBe(await invoiceOf(first));
  });

  it("a refused credential whose preimage pays the cached invoice drops it at once, even when the node cannot be asked", async () => {
    const workerEnv = { ...CACHE_ON, ...faultEnv() };
    const headers = client();
    const first = await callWith(workerEnv, "/api/proof", { headers });
    const parsed = parseChallenge(first.headers.get("www-authenticate") ?? "");
    if (!parsed.ok) throw new Error(parsed.detail);
    const paid = await payInvoice({ url: faultSim().url, macaroonHex: faultSim().adminMacaroonHex }, parsed.value.invoice);
    // From now on the node answers no lookups: only the preimage can tell the paywall the invoice was paid.
    await setNodeFaults({ failure: "unavailable", paths: ["/v1/invoice/"] });
    const readOnly = encodeMacaroon(attenuate(decodeMacaroon(parsed.value.macaroon), utf8("api_capabilities=read")));
    const refused = await callWith(workerEnv, "/api/proof", { method: "POST", headers: { ...headers, Authorization: `L402 ${toBase64(readOnly)}:${paid.preimageHex}` } });
    expect(((await refused.clone().json()) as { reason: string }).reason).toBe("capability_denied");
    expect(await invoiceOf(refused)).not.toBe(parsed.value.invoice);
  });
});

describe("invoice floods", () => {
  // One env object for the whole flood, as an isolate has: its paywall (and the challenges it is issuing) is built once for it.
  const marked = () => {
    const marker = `flood-${crypto.randomUUID()}`;
    return { marker, workerEnv: { ...env, ...CACHE_ON, L402_MEMO: `${marker} {service}` } };
  };

  it("200 requests from 200 addresses of one IPv6 /64 make one invoice", async () => {
    const { marker, workerEnv } = marked();
    const network = `2001:db8:${crypto.randomUUID().slice(0, 4)}:${crypto.randomUUID().slice(0, 4)}`;
    const statuses: number[] = [];
    for (let batch = 0; batch < 10; batch++) {
      const responses = await Promise.all(
        Array.from({ length: 20 }, (_, i) => {
          const host = (batch * 20 + i).toString(16);
          return callWithEnv(workerEnv, uniquePath("/api/v6"), { headers: { "CF-Connecting-IP": `${network}:${host}:${host}:${host}:1`, "User-Agent": "flooder/1" } });
        }),
      );
      statuses.push(...responses.map((r) => r.status));
      await Promise.all(responses.map((r) => r.body?.cancel()));
    }
    const invoices = await invoicesWithMemo(marker);
    console.log(`flood: 200 unpaid requests from 200 addresses of one /64 → ${invoices} invoice(s)`);
    expect(statuses.every((s) => s === 402)).toBe(true);
    expect(invoices).toBeLessThanOrEqual(2);
  });

  it("200 concurrent unpaid requests from one client, 20 at a time, make one invoice", async () => {
    const { marker, workerEnv } = marked();
    const headers = client("burst/1.0");
    const offered = new Set<string>();
    for (let batch = 0; batch < 10; batch++) {
      const responses = await Promise.all(Array.from({ length: 20 }, () => callWithEnv(workerEnv, uniquePath("/api/burst"), { headers })));
      for (const response of responses) {
        expect(response.status).toBe(402);
        offered.add(await invoiceOf(response));
      }
    }
    const invoices = await invoicesWithMemo(marker);
    console.log(`flood: 200 concurrent unpaid requests from one client → ${invoices} invoice(s), ${offered.size} offered`);
    expect(invoices).toBeLessThanOrEqual(2);
    expect(offered.size).toBe(invoices);
  });

  it("the mint rate limit counts an IPv6 /64 as one client", { timeout: 30_000 }, async () => {
    await clearOfWindowEdge(60);
    const workerEnv = { ...env, L402_MINT_LIMITER: env.TIGHT_MINT_LIMITER, L402_CHALLENGE_CACHE_SECONDS: "0" };
    const network = `2001:db8:${crypto.randomUUID().slice(0, 4)}:${crypto.randomUUID().slice(0, 4)}`;
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const response = await callWithEnv(workerEnv, uniquePath("/api/v6limit"), { headers: { "CF-Connecting-IP": `${network}::${(i + 1).toString(16)}` } });
      statuses.push(response.status);
      await response.body?.cancel();
    }
    expect(statuses).toEqual([...Array(5).fill(402), ...Array(7).fill(429)]);
  });

  it("the network mint limit counts an IPv6 /48 (65,536 /64s) and an IPv4 /24 as one holder; another network is not held back", { timeout: 30_000 }, async () => {
    await clearOfWindowEdge(60);
    const workerEnv = { ...env, L402_MINT_NETWORK_LIMITER: env.TIGHT_MINT_NETWORK_LIMITER, L402_CHALLENGE_CACHE_SECONDS: "0" };
    const statusFrom = async (address: string) => {
      const response = await callWithEnv(workerEnv, uniquePath("/api/v6network"), { headers: { "CF-Connecting-IP": address } });
      await response.body?.cancel();
      return response.status;
    };
    const hex = () => crypto.randomUUID().slice(0, 4);
    const network = `2001:db8:${hex()}`;
    const v6: number[] = [];
    // Each request from another /64 of the same /48: a client of its own to the per-address limit.
    for (let i = 0; i < 10; i++) v6.push(await statusFrom(`${network}:${(i + 1).toString(16)}::1`));
    expect(v6).toEqual([...Array(8).fill(402), 429, 429]);
    expect(await statusFrom(`2001:db8:${hex()}:1::1`)).toBe(402);
    const byte = () => 1 + Math.floor(Math.random() * 250);
    const v4 = `10.${byte()}.${byte()}`;
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push(await statusFrom(`${v4}.${i + 1}`));
    expect(statuses).toEqual([...Array(8).fill(402), 429, 429]);
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
    await withHeldClock(async (advance) => {
      for (let i = 0; i < 3; i++) expect((await callWithEnv(workerEnv, "/api/sick")).status).toBe(503);
      expect(await calls()).toBe(before + 3);
      const open = await callWithEnv(workerEnv, "/api/sick");
      expect(open.status).toBe(503);
      expect(Number(open.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect(await calls()).toBe(before + 3);

      await clearNodeFaults();
      advance(1100);
      expect((await callWithEnv(workerEnv, "/api/healed")).status).toBe(402);
      expect((await callWithEnv(workerEnv, "/api/healed")).status).toBe(402);
      expect(await calls()).toBe(before + 5);
    });
  });

  it("a failed probe opens it again", async () => {
    const workerEnv = { ...env, ...faultEnv(), L402_BREAKER_THRESHOLD: "1", L402_BREAKER_COOLDOWN: "1", L402_CHALLENGE_CACHE_SECONDS: "0" };
    await setNodeFaults({ failure: "unavailable" });
    const calls = () => lndCalls(faultSim());
    const before = await calls();
    await withHeldClock(async (advance) => {
      expect((await callWithEnv(workerEnv, "/api/x")).status).toBe(503);
      advance(1100);
      expect((await callWithEnv(workerEnv, "/api/x")).status).toBe(503);
      expect(await calls()).toBe(before + 2);
      expect((await callWithEnv(workerEnv, "/api/x")).status).toBe(503);
      expect(await calls()).toBe(before + 2);
    });
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

  it("a request claiming more than MOST_CLAIMED_METHODS methods is a 400 before any rule is tried, with no invoice and no origin hit; as many as that are judged", async () => {
    const path = uniquePath("/api/methods");
    const claiming = (count: number) => ({ method: "POST", headers: { "X-HTTP-Method-Override": Array.from({ length: count }, (_, i) => `M${i}`).join(", "), "Content-Type": "text/plain" } });
    const refused = await callWith({}, path, claiming(MOST_CLAIMED_METHODS));
    expect(refused.status).toBe(400);
    expect(refused.headers.get("www-authenticate")).toBeNull();
    expect(await refused.json()).toMatchObject({ reason: "too_many_methods" });
    // The POST sent and seven claims: judged, and priced.
    expect((await callWith({}, path, claiming(MOST_CLAIMED_METHODS - 1))).status).toBe(402);
    expect(await originHits(path.slice(4))).toBe(0);
  });
});
