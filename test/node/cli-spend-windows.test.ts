import type { Miniflare } from "miniflare";
import { spawn } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../../dev/lnd-sim/server.ts";
import { bundleWorker, startWorkerd } from "../../dev/workerd.ts";
import { startTestOrigin, type TestOrigin } from "../setup/origin.ts";
import { useScratchDirs } from "../setup/scratch-dirs.ts";

/**
 * Spend windows on the command line: separate runs of `l402-edge get` share
 * them through the token directory, and concurrent runs cannot both fit in
 * what one window has left. The Worker bundled as for deployment, in workerd,
 * the LND simulator as the paywall's node and the command line's wallet.
 */
const scratchDir = useScratchDirs();
const BIN = fileURLToPath(new URL("../../bin/l402-edge.js", import.meta.url));
const MEMO = "cli-windows";

let sim: Simulator;
let origin: TestOrigin;
let worker: { mf: Miniflare; url: URL };

beforeAll(async () => {
  [sim, origin] = await Promise.all([startSimulator(), startTestOrigin()]);
  worker = await startWorkerd(await bundleWorker(new URL("../../src/worker/index.ts", import.meta.url)), {
    L402_MASTER_KEYS: "79".repeat(32),
    LND_REST_URL: sim.url,
    LND_MACAROON: sim.paywallMacaroonHex,
    L402_NETWORK: "regtest",
    L402_CHALLENGE_CACHE_SECONDS: "0",
    L402_MEMO: `${MEMO} {service}`,
    // Two services at 10 sats each: a token of one does not open the other, so each is a payment of its own.
    L402_SERVICES: JSON.stringify([
      { name: "alpha", match: ["/alpha/*"], price_sats: 10, origin: { url: origin.url } },
      { name: "beta", match: ["/beta/*"], price_sats: 10, origin: { url: origin.url } },
    ]),
  });
}, 60_000);

afterAll(async () => {
  await worker?.mf.dispose();
  await Promise.all([sim?.close(), origin?.close()]);
});

function cli(args: string[], env: Record<string, string> = {}, macaroon = sim.adminMacaroonHex): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, LND_REST_URL: sim.url, LND_MACAROON: macaroon, L402_NWC_URI: "", L402_MAX_PER_HOUR: "", L402_MAX_PER_DAY: "", L402_MAX_PER_HOST: "", ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}
const get = (path: string, dir: string, flags: string[] = [], env: Record<string, string> = {}) => cli(["get", `${worker.url.origin}${path}`, "--token-dir", dir, ...flags], env);
const spent = async (dir: string, ...flags: string[]) => JSON.parse((await cli(["tokens", "spent", "--token-dir", dir, ...flags])).stdout) as unknown;

/** The invoices the Worker issued, in order, as the node sees them. */
async function invoices(): Promise<{ memo: string; state: string }[]> {
  const response = await fetch(`${sim.url}/v1/invoices?num_max_invoices=100000`, { headers: { "Grpc-Metadata-macaroon": sim.adminMacaroonHex } });
  const { invoices: all } = (await response.json()) as { invoices: { memo: string; state: string }[] };
  return all.filter((invoice) => invoice.memo.startsWith(MEMO)).map(({ memo, state }) => ({ memo, state }));
}

describe("spend windows of l402-edge get", () => {
  it("are shared by separate runs: the second payment, beyond the day's window (set in the environment), is refused unpaid with exit 9; tokens spent shows them", async () => {
    const dir = scratchDir("l402-windows-");
    const first = await get("/alpha/1", dir, ["--max-per-hour", "15"]);
    expect(first.code, first.stderr).toBe(0);
    const before = (await invoices()).length;
    const refused = await get("/beta/1", dir, [], { L402_MAX_PER_DAY: "15" });
    expect(refused).toMatchObject({
      code: 9,
      stdout: "",
      stderr: "l402-edge: paying 10 sats would exceed the per-day window (the last 24 hours) limit of 15 sats (10 spent); nothing was paid\n",
    });
    expect((await invoices()).slice(before)).toEqual([{ memo: `${MEMO} beta`, state: "OPEN" }]);
    // The token already bought is still used: a window limits payments, not requests.
    expect((await get("/alpha/2", dir, ["--max-per-hour", "1"])).code).toBe(0);

    expect(await get("/beta/1", dir, ["--max-per-hour", "lots"])).toMatchObject({ code: 2, stderr: "l402-edge: --max-per-hour must be a whole number of sats\n" });
    expect(await spent(dir, "--max-per-hour", "15", "--max-per-host", "40")).toEqual([
      { window: "per-hour", spent_sats: 10, limit_sats: 15 },
      { window: "per-day", spent_sats: 10, limit_sats: null },
      { window: "per-host", host: worker.url.host, spent_sats: 10, limit_sats: 40 },
    ]);
  });

  it("a per-host window refuses the next host's payment only where that host's own spending would exceed it", async () => {
    const dir = scratchDir("l402-windows-");
    expect((await get("/alpha/1", dir, ["--max-per-host", "12"])).code).toBe(0);
    const refused = await get("/beta/1", dir, ["--max-per-host", "12"]);
    expect(refused.code).toBe(9);
    expect(refused.stderr).toContain(`exceed the per-host window for ${worker.url.host} (the last 24 hours) limit of 12 sats (10 spent)`);
  });

  it("a payment the wallet refuses is taken out of the windows again", async () => {
    const dir = scratchDir("l402-windows-");
    const failed = await cli(["get", `${worker.url.origin}/alpha/1`, "--token-dir", dir, "--max-per-hour", "15"], {}, sim.invoiceMacaroonHex);
    expect(failed.code, failed.stderr).toBe(4);
    expect(await spent(dir)).toEqual([
      { window: "per-hour", spent_sats: 0, limit_sats: null },
      { window: "per-day", spent_sats: 0, limit_sats: null },
    ]);
    expect((await get("/alpha/1", dir, ["--max-per-hour", "15"])).code).toBe(0);
  });

  it("two runs at once against a window that fits one payment: exactly one pays", async () => {
    const dir = scratchDir("l402-windows-");
    const before = (await invoices()).length;
    // The ledger's lock held (by this live process) until both runs hold their invoices and would pay: without
    // the lock both would count the window as empty; with it they check and record it one after the other.
    const lock = join(dir, "spent.lock");
    writeFileSync(lock, `${process.pid} ${Date.now()}\n`);
    const running = Promise.all([get("/alpha/1", dir, ["--max-per-hour", "15"]), get("/beta/1", dir, ["--max-per-hour", "15"])]);
    while ((await invoices()).length < before + 2) await new Promise((resolve) => setTimeout(resolve, 50));
    rmSync(lock);
    const runs = await running;
    expect(runs.map((run) => run.code).sort()).toEqual([0, 9]);
    expect(runs.find((run) => run.code === 9)?.stderr).toContain("would exceed the per-hour window");
    const issued = (await invoices()).slice(before);
    expect(issued).toHaveLength(2);
    expect(issued.filter((invoice) => invoice.state === "SETTLED")).toHaveLength(1);
    expect(await spent(dir)).toMatchObject([{ window: "per-hour", spent_sats: 10 }, { window: "per-day", spent_sats: 10 }, { window: "per-host", spent_sats: 10 }]);
  });
});
