import type { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBackendSims, type BackendSims } from "../../dev/backend-sims/index.ts";
import { deployBundle, NAMED_BUILDS } from "../../dev/deploy-bundle.ts";
import { startSimulator, type Simulator } from "../../dev/lnd-sim/server.ts";
import { startWorkerd } from "../../dev/workerd.ts";
import { useScratchDirs } from "../setup/scratch-dirs.ts";

/**
 * The NWC backend across requests, as deployed: the NWC build of the template
 * as wrangler bundles it (with its aliases: platform/scure-base.js's encodings
 * read the wallet's invoices there), in workerd on a loopback port, each call a
 * request of its own (so nothing one request made may be used by another, as
 * the Workers runtime enforces), with the relay connection per call or held
 * by the NwcRelay Durable Object.
 */
const scratchDir = useScratchDirs();
let sim: Simulator;
let sims: BackendSims;
let script = "";
const workers: { mf: Miniflare; url: URL }[] = [];

beforeAll(async () => {
  script = deployBundle(scratchDir("l402-nwc-build-"), NAMED_BUILDS.nwc);
  sim = await startSimulator();
  sims = await startBackendSims(sim.node);
}, 60_000);
afterAll(async () => {
  await Promise.all(workers.map((w) => w.mf.dispose()));
  await sims?.close();
  await sim?.close();
});

const upgrades = async () => ((await (await fetch(`${sims.relay.controlUrl}/_sim/stats`)).json()) as { upgrades: number }).upgrades;

async function workerWith(connection: "per-call" | "held") {
  const worker = await startWorkerd(
    script,
    {
      L402_MASTER_KEYS: "5a".repeat(32),
      L402_NETWORK: "regtest",
      L402_CHALLENGE_CACHE_SECONDS: "0",
      L402_BACKEND: "nwc",
      L402_NWC_URI: sims.nwc.uri,
      L402_NWC_CONNECTION: connection,
      L402_SERVICES: JSON.stringify([{ name: "api", match: ["/api/*"], price_sats: 2, origin: { url: "http://127.0.0.1:9" } }]),
    },
    { durableObjects: { L402_NWC: "NwcRelay" }, compatibilityFlags: [] },
  );
  workers.push(worker);
  return worker;
}

describe("the NWC backend in workerd, request after request", () => {
  it.each([
    { connection: "per-call", connections: 5 },
    { connection: "held", connections: 1 },
  ] as const)("$connection: every unpaid request gets its invoice; $connections relay connection(s) for 5 requests", async ({ connection, connections }) => {
    const worker = await workerWith(connection);
    const before = await upgrades();
    for (let i = 0; i < 5; i++) {
      const response = await fetch(new URL(`/api/${i}`, worker.url));
      expect(response.status, await response.clone().text()).toBe(402);
      expect(((await response.json()) as { invoice: string }).invoice).toMatch(/^lnbcrt20n1/);
    }
    expect((await upgrades()) - before).toBe(connections);
  });
});
