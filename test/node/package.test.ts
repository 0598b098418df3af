import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBackendSims, type BackendSims } from "../../dev/backend-sims/index.ts";
import { startSimulator, type Simulator } from "../../dev/lnd-sim/server.ts";
import { startWorkerd } from "../../dev/workerd.ts";
import { useScratchDirs } from "../setup/scratch-dirs.ts";

const scratchDir = useScratchDirs();

/**
 * The package as a user gets it: `npm pack`, installed into a scratch Hono Worker
 * project of its own (package.json, wrangler config, the README's example Worker
 * whose route handler answers from c.var.l402), bundled by `wrangler deploy
 * --dry-run` and run in workerd; and its client and command line under the
 * machine's plain Node 20.
 */
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const WRANGLER = join(ROOT, "node_modules", ".bin", "wrangler");

let scratch: string;
let sim: Simulator;
/** An NWC wallet paying on the simulator's node: a payer whose wallet is on another backend than the paywall's LND. */
let walletSims: BackendSims;
let worker: { mf: Miniflare; url: URL };

/** The machine's own Node (20), not the project's Node 22 that npm scripts put first on PATH. */
function plainNode(): string {
  for (const dir of (process.env["PATH"] ?? "").split(delimiter)) {
    const candidate = join(dir, "node");
    if (dir.includes("node_modules") || !existsSync(candidate)) continue;
    if (execFileSync(candidate, ["--version"], { encoding: "utf8" }).startsWith("v20.")) return candidate;
  }
  throw new Error("no Node 20 on PATH outside node_modules");
}

/** The README's example Worker, as written there (on regtest, the simulator's network). */
function readmeWorker(): string {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("### Protect routes of your own Worker"));
  const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  if (code === undefined) throw new Error("README has no example Worker");
  return code.replace('network: "mainnet"', 'network: "regtest"');
}

beforeAll(async () => {
  scratch = scratchDir("l402-user-");
  const tarball = execFileSync("npm", ["pack", "--silent", "--pack-destination", scratch], { cwd: ROOT, encoding: "utf8" }).trim().split("\n").at(-1) as string;
  const hono = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { devDependencies: Record<string, string> }).devDependencies["hono"];
  writeFileSync(join(scratch, "package.json"), JSON.stringify({ name: "my-api", private: true, type: "module", dependencies: { "l402-edge": `file:./${tarball}`, hono } }, null, 2));
  writeFileSync(join(scratch, "wrangler.toml"), 'name = "my-api"\nmain = "src/index.ts"\ncompatibility_date = "2026-10-01"\n');
  mkdirSync(join(scratch, "src"));
  writeFileSync(join(scratch, "src", "index.ts"), readmeWorker());
  execFileSync("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: scratch, stdio: "pipe" });
  execFileSync(WRANGLER, ["deploy", "--dry-run", "--outdir", "out"], { cwd: scratch, stdio: "pipe", env: { ...process.env, WRANGLER_SEND_METRICS: "false" } });

  sim = await startSimulator();
  walletSims = await startBackendSims(sim.node);
  worker = await startWorkerd(readFileSync(join(scratch, "out", "index.js"), "utf8"), {
    L402_MASTER_KEYS: "99".repeat(32),
    LND_REST_URL: sim.url,
    LND_MACAROON: sim.paywallMacaroonHex,
  });
}, 180_000);

afterAll(async () => {
  await worker?.mf.dispose();
  await walletSims?.close();
  await sim?.close();
});

/** Runs plain Node 20 in the scratch project (asynchronously: the simulator answers from this process). */
function node20(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(plainNode(), args, { cwd: scratch });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("exit", (status) => resolve({ status, stdout, stderr }));
  });
}

/** A script run under plain Node 20 in the scratch project, so `l402-edge/...` resolves to the installed package. */
function underNode20(script: string) {
  const file = join(scratch, `script-${crypto.randomUUID()}.mjs`);
  writeFileSync(file, script);
  return node20([file]);
}

describe("the published package in someone else's Worker", () => {
  it("ships compiled JavaScript and types, no TypeScript sources", () => {
    const installed = join(scratch, "node_modules", "l402-edge");
    expect(existsSync(join(installed, "dist", "index.js"))).toBe(true);
    expect(existsSync(join(installed, "dist", "index.d.ts"))).toBe(true);
    expect(existsSync(join(installed, "src"))).toBe(false);
    expect(existsSync(join(installed, "node_modules", "hono"))).toBe(false);
  });

  it("402 → pay → 200 with the app's own handler answering from c.var.l402; the token is reused; the free route stays free", async () => {
    const result = await underNode20(`
import { createL402Fetch, lndWallet, memoryStore } from "l402-edge/client";
const paid = [];
const l402Fetch = createL402Fetch({
  wallet: lndWallet({ url: ${JSON.stringify(sim.url)}, macaroonHex: ${JSON.stringify(sim.adminMacaroonHex)}, feeLimitSats: 10, timeoutSeconds: 30 }),
  maxCostSats: 10,
  store: memoryStore(),
  onPayment: (event) => event.phase === "paid" && paid.push(String(event.offer.priceMsat)),
});
const base = ${JSON.stringify(worker.url.origin)};
const unpaid = await fetch(base + "/premium/report");
const first = await l402Fetch(base + "/premium/report");
const second = await l402Fetch(base + "/premium/report");
const home = await fetch(base + "/");
console.log(JSON.stringify({ node: process.version, unpaid: unpaid.status, challenge: unpaid.headers.get("www-authenticate")?.slice(0, 5), first: [first.status, await first.json()], second: [second.status, await second.json()], home: [home.status, await home.text()], paid }));
`);
    expect(result.status, result.stderr).toBe(0);
    const seen = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(seen["node"]).toMatch(/^v20\./);
    expect(seen).toMatchObject({
      unpaid: 402,
      challenge: "L402 ",
      first: [200, { report: "the good stuff", service: "premium", paidBy: expect.stringMatching(/^[0-9a-f]{64}$/) }],
      home: [200, "free home page"],
      paid: ["3000"],
    });
    const [, firstBody] = seen["first"] as [number, { paidBy: string }];
    expect(seen["second"]).toEqual([200, { report: "the good stuff", service: "premium", paidBy: firstBody.paidBy }]);
  });

  it("the installed command line runs on plain Node 20", async () => {
    const result = await node20([join(scratch, "node_modules", ".bin", "l402-edge"), "get", "--no-pay", "--json", `${worker.url.origin}/premium/report`]);
    expect(result.status, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ status: 402, price_sats: 3, services: ["premium"] });
  });

  it("l402-edge get --nwc pays the LND-backed paywall from an NWC wallet, on plain Node 20 (which has no WebSocket: ws)", async () => {
    const tokens = scratchDir("l402-user-tokens-");
    const result = await node20([join(scratch, "node_modules", ".bin", "l402-edge"), "get", "--nwc", walletSims.nwc.uri, "--json", "--token-dir", tokens, `${worker.url.origin}/premium/report`]);
    expect(result.status, result.stderr).toBe(0);
    const seen = JSON.parse(result.stdout) as { status: number; body: string; paid: unknown };
    expect(seen).toMatchObject({ status: 200, paid: { sats: 3, feeSats: 0, services: ["premium"], scheme: "l402" } });
    expect(JSON.parse(seen.body)).toMatchObject({ report: "the good stuff", service: "premium" });
  });
});
