import { env } from "cloudflare:test";
import { afterEach, describe, expect, inject, it } from "vitest";
import { parseChallenge, toBase64 } from "../../src/l402/index.ts";
import { CLOCK_SKEW_SECONDS } from "../../src/lightning/invoice-check.ts";
import { payInvoice } from "../../dev/lnd-sim/payer.ts";
import "../fixtures/provided-context.ts";
import { callWithEnv, originHits, uniquePath } from "./support/paywall-client.ts";
import { withHeldClock } from "./support/held-clock.ts";

/**
 * The template Worker on each backend (`L402_BACKEND`), against that backend's
 * simulator over loopback: a client pays and gets in; every fault the
 * simulator can inject is a 503 with Retry-After and nothing reaches the
 * origin; the breaker stops asking a failing node and asks again after its
 * cooldown. The simulators (test/setup/servers.ts `workerBackends`, over the
 * `backendSim` node) serve this file only, so their counters are its own.
 */

interface WorkerSubject {
  readonly name: string;
  /** The Worker's settings for this backend. */
  readonly vars: Record<string, string>;
  /** The simulator's control base (faults, stats). */
  readonly control: string;
  readonly faults: readonly string[];
  /** How many times the node (or relay) was asked anything. */
  calls(): Promise<number>;
}

const node = () => inject("backendSim");
const sims = () => inject("workerBackends");
const statsOf = async (control: string) => (await (await fetch(`${control}/_sim/stats`)).json()) as Record<string, number>;
const HTTP_FAULTS = ["unavailable", "internal", "malformed", "drop"];
/** LNbits and phoenixd invoice whole sats, and the config refuses a price in msat there: the test services without those. */
const wholeSatServices = () => JSON.stringify((JSON.parse(String(env.L402_SERVICES)) as { price_msat?: number }[]).filter((service) => service.price_msat === undefined));

function subjects(): WorkerSubject[] {
  const http = (name: string, url: string, vars: Record<string, string>): WorkerSubject => ({
    name,
    vars,
    control: url,
    faults: HTTP_FAULTS,
    calls: async () => (await statsOf(url)).requests as number,
  });
  const nwc = (name: string, connection: "per-call" | "held"): WorkerSubject => ({
    name,
    vars: { L402_BACKEND: "nwc", L402_NWC_URI: sims().nwcUri, L402_NWC_CONNECTION: connection },
    control: sims().relay.controlUrl,
    // `silent`: the relay is up and the wallet never answers.
    faults: [...HTTP_FAULTS, "silent"],
    // Per call, every request opens a connection; held, only the first after a drop does.
    calls: async () => {
      const stats = await statsOf(sims().relay.controlUrl);
      return (stats.upgrades as number) + (stats.events as number);
    },
  });
  return [
    http("lnd", node().url, { LND_REST_URL: node().url, LND_MACAROON: node().paywallMacaroonHex }),
    http("lnbits", sims().lnbits.url, { L402_BACKEND: "lnbits", L402_SERVICES: wholeSatServices(), LNBITS_URL: sims().lnbits.url, LNBITS_INVOICE_KEY: sims().lnbits.invoiceKey }),
    http("phoenixd", sims().phoenixd.url, { L402_BACKEND: "phoenixd", L402_SERVICES: wholeSatServices(), PHOENIXD_URL: sims().phoenixd.url, PHOENIXD_PASSWORD: sims().phoenixd.password }),
    http("cln", sims().cln.url, { L402_BACKEND: "cln", CLN_REST_URL: sims().cln.url, CLN_RUNE: sims().cln.paywallRune }),
    nwc("nwc (per-call socket)", "per-call"),
    nwc("nwc (held by the NwcRelay object)", "held"),
  ];
}

const TIMEOUT_MS = 600;
const setFaults = (subject: WorkerSubject, faults: object) => fetch(`${subject.control}/_sim/faults`, { method: "POST", body: JSON.stringify(faults) }).then((r) => r.text());
const clearFaults = (subject: WorkerSubject) => fetch(`${subject.control}/_sim/faults`, { method: "DELETE" }).then((r) => r.text());
/** A fresh env object is a fresh runtime (config, breaker); one reused keeps them. */
const workerEnv = (subject: WorkerSubject, extra: Record<string, string> = {}) => ({ ...env, ...subject.vars, L402_NODE_TIMEOUT_MS: String(TIMEOUT_MS), ...extra });

for (const name of ["lnd", "lnbits", "phoenixd", "cln", "nwc (per-call socket)", "nwc (held by the NwcRelay object)"]) {
  describe(`the Worker on ${name}`, () => {
    const subject = () => subjects().find((s) => s.name === name) as WorkerSubject;
    afterEach(() => clearFaults(subject()));

    it("402 → pay → 200, and the origin sees the paid request only", async () => {
      const path = uniquePath("/api/backend");
      const challenge = await callWithEnv(workerEnv(subject()), path);
      expect(challenge.status).toBe(402);
      const parsed = parseChallenge(challenge.headers.get("www-authenticate") ?? "");
      if (!parsed.ok) throw new Error(parsed.detail);
      expect(parsed.value.invoice).toMatch(/^lnbcrt100n1/);
      expect(await originHits(path.slice(4))).toBe(0);

      const paid = await payInvoice({ url: node().url, macaroonHex: node().adminMacaroonHex }, parsed.value.invoice);
      expect(paid.status).toBe("SUCCEEDED");
      const authorization = `L402 ${toBase64(parsed.value.macaroon)}:${paid.preimageHex as string}`;
      const response = await callWithEnv(workerEnv(subject()), path, { headers: { Authorization: authorization } });
      expect(response.status).toBe(200);
      expect(await originHits(path.slice(4))).toBe(1);
    });

    it("health names the backend and finds it reachable, on the configured network", async () => {
      const response = await callWithEnv(workerEnv(subject()), "/.well-known/l402/health");
      expect(response.status).toBe(200);
      const health = (await response.json()) as { node: Record<string, unknown> };
      expect(health).toMatchObject({ ok: true, node: { backend: subject().vars["L402_BACKEND"] ?? "lnd", reachable: true, network: "regtest", networkMatches: true } });
      // Public: nothing that finds the node on an explorer.
      expect(health.node).not.toHaveProperty("alias");
    });

    it.each([...subject().faults.map((failure) => ({ failure })), { latencyMs: TIMEOUT_MS * 3 }])("fault %j → 503 with Retry-After, no origin hit; then heals", async (fault) => {
      await setFaults(subject(), fault);
      const path = uniquePath("/api/backend-fault");
      const shared = workerEnv(subject());
      const response = await callWithEnv(shared, path);
      expect(response.status).toBe(503);
      expect(Number(response.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect(response.headers.get("www-authenticate")).toBeNull();
      expect(await response.json()).toMatchObject({ reason: "node_unavailable" });
      expect(await originHits(path.slice(4))).toBe(0);
      // Health names the failure's kind; the detail only when it is the paywall's own words about an answer it refused.
      const { issuance } = (await (await callWithEnv(shared, "/.well-known/l402/health")).json()) as { issuance: { lastFailure: { kind: string; detail?: string } } };
      expect(issuance.lastFailure.kind).toMatch(/^(unavailable|node_error|invalid_response|timeout)$/);
      expect("detail" in issuance.lastFailure).toBe(issuance.lastFailure.kind === "invalid_response");

      await clearFaults(subject());
      expect((await callWithEnv(workerEnv(subject()), path)).status).toBe(402);
    });

    it.each([
      // The report: stamped 30 minutes ago with a 600 s expiry, so expired 20 minutes ago.
      { stampOffsetSeconds: -1800, detail: /^the node's invoice expired 1[12]\d\d s ago \(stamped 1[78]\d\d s ago, expiry 600 s\)/ },
      // Just past expiry, and just past the clock difference allowed (unexpired): a node's clock behind ours.
      { stampOffsetSeconds: -601, detail: /^the node's invoice expired [0-2] s ago/ },
      { stampOffsetSeconds: -(CLOCK_SKEW_SECONDS + 3), detail: /^the node's invoice is stamped 1[2-3]\d s ago \(more than the 120 s/ },
      // A node's clock ahead of ours, a little and a lot.
      { stampOffsetSeconds: CLOCK_SKEW_SECONDS + 3, detail: /^the node's invoice is stamped 1[1-2]\d s in the future/ },
      { stampOffsetSeconds: 1800, detail: /^the node's invoice is stamped 1[78]\d\d s in the future/ },
    ])("invoices stamped $stampOffsetSeconds s off our clock → 503 with a reason, never a 402; health says why", async ({ stampOffsetSeconds, detail }) => {
      await setFaults(subject(), { stampOffsetSeconds });
      const path = uniquePath("/api/stamped");
      const shared = workerEnv(subject());
      const response = await callWithEnv(shared, path);
      expect(response.status).toBe(503);
      expect(response.headers.get("www-authenticate")).toBeNull();
      expect(await response.json()).toMatchObject({ reason: "node_unavailable" });
      expect(await originHits(path.slice(4))).toBe(0);
      const health = (await (await callWithEnv(shared, "/.well-known/l402/health")).json()) as { issuance: { lastFailure: { kind: string; detail: string } } };
      expect(health.issuance.lastFailure.kind).toBe("invalid_response");
      expect(health.issuance.lastFailure.detail).toMatch(detail);
    });

    it.each([-(CLOCK_SKEW_SECONDS - 5), -30, 30, CLOCK_SKEW_SECONDS - 5])("invoices stamped %i s off our clock (within the allowance) are challenged, with their own expiry (from now where stamped ahead: the node ends them by its own clock)", async (stampOffsetSeconds) => {
      await setFaults(subject(), { stampOffsetSeconds });
      const shared = workerEnv(subject());
      const before = Math.floor(Date.now() / 1000);
      const response = await callWithEnv(shared, uniquePath("/api/stamped"));
      const after = Math.floor(Date.now() / 1000);
      expect(response.status).toBe(402);
      const { expires_at: expiresAt } = (await response.json()) as { expires_at: number };
      const from = Math.min(stampOffsetSeconds, 0);
      expect(expiresAt).toBeGreaterThanOrEqual(before + from + 600);
      expect(expiresAt).toBeLessThanOrEqual(after + from + 600);
      const { issuance } = (await (await callWithEnv(shared, "/.well-known/l402/health")).json()) as { issuance: { lastIssuedAt: number; lastFailure: null } };
      expect(issuance.lastFailure).toBeNull();
      expect(issuance.lastIssuedAt).toBeGreaterThanOrEqual(before);
      expect(issuance.lastIssuedAt).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
    });

    it("the breaker opens (the node is not asked) and closes after its cooldown", async () => {
      const breaking = workerEnv(subject(), { L402_BREAKER_THRESHOLD: "2", L402_BREAKER_COOLDOWN: "1" });
      await setFaults(subject(), { failure: "unavailable" });
      const before = await subject().calls();
      await withHeldClock(async (advance) => {
        for (let i = 0; i < 2; i++) expect((await callWithEnv(breaking, uniquePath("/api/sick"))).status).toBe(503);
        const failing = await subject().calls();
        expect(failing).toBeGreaterThan(before);

        const open = await callWithEnv(breaking, uniquePath("/api/sick"));
        expect(open.status).toBe(503);
        expect(open.headers.get("retry-after")).toBe("1");
        expect(await subject().calls()).toBe(failing);

        await clearFaults(subject());
        advance(1100);
        expect((await callWithEnv(breaking, uniquePath("/api/healed"))).status).toBe(402);
        expect(await subject().calls()).toBeGreaterThan(failing);
      });
    });
  });
}

for (const name of ["nwc (per-call socket)", "nwc (held by the NwcRelay object)"]) {
  describe(`the Worker on ${name}: what NIP-47 wallets and relays may do`, () => {
    const subject = () => subjects().find((s) => s.name === name) as WorkerSubject;
    afterEach(() => clearFaults(subject()));

    it("malformed frames before the wallet's answer (an EVENT of null, an event without tags, …) are ignored: the answer still makes the challenge", async () => {
      await setFaults(subject(), { junkFrames: true });
      const shared = workerEnv(subject());
      for (let i = 0; i < 3; i++) {
        const response = await callWithEnv(shared, uniquePath("/api/junk"));
        expect(response.status, await response.clone().text()).toBe(402);
        expect(((await response.json()) as { invoice: string }).invoice).toMatch(/^lnbcrt100n1/);
      }
      expect(await (await callWithEnv(shared, "/.well-known/l402/health")).json()).toMatchObject({ ok: true, node: { reachable: true } });
    });

    it.each([3600, 86_400])("a wallet that makes its invoices last %i s, longer than asked: challenged, with the invoice's own expiry", async (invoiceExpirySeconds) => {
      await setFaults(subject(), { invoiceExpirySeconds });
      const before = Math.floor(Date.now() / 1000);
      const response = await callWithEnv(workerEnv(subject()), uniquePath("/api/long"));
      const after = Math.floor(Date.now() / 1000);
      expect(response.status, await response.clone().text()).toBe(402);
      const { expires_at: expiresAt } = (await response.json()) as { expires_at: number };
      expect(expiresAt).toBeGreaterThanOrEqual(before + invoiceExpirySeconds);
      expect(expiresAt).toBeLessThanOrEqual(after + invoiceExpirySeconds);
    });

    it.each([1, 300, 599])("a wallet that makes its invoices last %i s, shorter than asked: 503, and health says why", async (invoiceExpirySeconds) => {
      await setFaults(subject(), { invoiceExpirySeconds });
      const shared = workerEnv(subject());
      const response = await callWithEnv(shared, uniquePath("/api/short"));
      expect(response.status).toBe(503);
      expect(response.headers.get("www-authenticate")).toBeNull();
      const health = await (await callWithEnv(shared, "/.well-known/l402/health")).json();
      expect(health).toMatchObject({
        ok: true,
        issuance: { lastIssuedAt: null, lastFailure: { kind: "invalid_response", detail: `the node's invoice expires after ${invoiceExpirySeconds} s, sooner than the 600 s asked (a wallet may use its own expiry, whatever is asked: ask for ${invoiceExpirySeconds} s or less)` } },
      });
      // The wallet's connection secret is nowhere in what health says.
      expect(JSON.stringify(health)).not.toContain(/secret=([0-9a-f]{64})/.exec(sims().nwcUri)?.[1]);
    });
  });
}

describe("the Worker on NWC, with a secret the wallet does not know", () => {
  it.each(["per-call", "held"])("%s: a wallet that never answers strangers costs L402_NODE_TIMEOUT_MS, then a 503; health says it timed out", async (connection) => {
    const wrongSecret = inject("strangerSilentWallet").uri.replace(/secret=[0-9a-f]{64}/, `secret=${"5e".repeat(32)}`);
    const shared = { ...env, L402_BACKEND: "nwc", L402_NWC_URI: wrongSecret, L402_NWC_CONNECTION: connection, L402_NODE_TIMEOUT_MS: String(TIMEOUT_MS) };
    const path = uniquePath("/api/stranger");
    const response = await callWithEnv(shared, path);
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ reason: "node_unavailable" });
    expect(await originHits(path.slice(4))).toBe(0);
    const health = await (await callWithEnv(shared, "/.well-known/l402/health")).json();
    expect(health).toMatchObject({ issuance: { lastIssuedAt: null, lastFailure: { kind: "timeout" } } });
    expect(JSON.stringify(health)).not.toContain("5e".repeat(32));
  });
});
