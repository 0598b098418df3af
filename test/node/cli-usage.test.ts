import type { Miniflare } from "miniflare";
import { spawn } from "node:child_process";
import { createServer, request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../../dev/lnd-sim/server.ts";
import { bundleWorker, startWorkerd } from "../../dev/workerd.ts";
import { startTestOrigin, type TestOrigin } from "../setup/origin.ts";
import { useScratchDirs } from "../setup/scratch-dirs.ts";

/**
 * `l402-edge get` and `tokens` against services sold by usage: the Worker
 * bundled as for deployment, in workerd with its balance Durable Object, the
 * LND simulator as both the paywall's node and the command line's wallet.
 */
const scratchDir = useScratchDirs();
const BIN = fileURLToPath(new URL("../../bin/l402-edge.js", import.meta.url));
const MEMO = "cli-usage";

let sim: Simulator;
let origin: TestOrigin;
let worker: { mf: Miniflare; url: URL };

beforeAll(async () => {
  [sim, origin] = await Promise.all([startSimulator(), startTestOrigin()]);
  worker = await startWorkerd(
    await bundleWorker(new URL("../../src/worker/index.ts", import.meta.url)),
    {
      L402_MASTER_KEYS: "78".repeat(32),
      LND_REST_URL: sim.url,
      LND_MACAROON: sim.paywallMacaroonHex,
      L402_NETWORK: "regtest",
      L402_CHALLENGE_CACHE_SECONDS: "0",
      L402_MEMO: `${MEMO} {service}`,
      L402_SERVICES: JSON.stringify([
        // 2 sats a request; a 5-sat token runs out after two.
        { name: "credit", match: ["/credit/*"], price_msat: 2000, balance: { amounts_sats: [5, 20] }, origin: { url: origin.url } },
      ]),
    },
    { durableObjects: { L402_BALANCES: "TokenBalance" } },
  );
}, 60_000);

afterAll(async () => {
  await worker?.mf.dispose();
  await Promise.all([sim?.close(), origin?.close()]);
});

function cli(args: string[], walletUrl = sim.url): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const env = { ...process.env, LND_REST_URL: walletUrl, LND_MACAROON: sim.adminMacaroonHex, L402_NWC_URI: "" };
    const child = spawn(process.execPath, [BIN, ...args], { env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}
const get = (path: string, dir: string, ...flags: string[]) => cli(["get", `${worker.url.origin}${path}`, "--token-dir", dir, ...flags]);

/** The simulator as a wallet whose payments each take `delayMs` longer: runs started together all meet their 402 before the first payment ends. */
async function slowWallet(delayMs: number): Promise<{ readonly url: string; readonly close: () => void }> {
  const server = createServer((request, response) => {
    const pass = () => {
      const upstream = httpRequest(new URL(request.url ?? "/", sim.url), { method: request.method, headers: request.headers }, (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      });
      request.pipe(upstream);
    };
    if (request.url?.startsWith("/v2/router/send")) setTimeout(pass, delayMs);
    else pass();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}
const listed = async (dir: string) => JSON.parse((await cli(["tokens", "list", "--token-dir", dir])).stdout) as { origin: string; tokens: Record<string, unknown>[] }[];

/** The invoices the Worker issued, in order, as the node sees them. */
async function invoices(): Promise<{ sats: number; state: string }[]> {
  const response = await fetch(`${sim.url}/v1/invoices?num_max_invoices=100000`, { headers: { "Grpc-Metadata-macaroon": sim.adminMacaroonHex } });
  const { invoices: all } = (await response.json()) as { invoices: { memo: string; value: string; state: string }[] };
  return all.filter((invoice) => invoice.memo.startsWith(MEMO)).map((invoice) => ({ sats: Number(invoice.value), state: invoice.state }));
}

describe("l402-edge get on a balance service", () => {
  it("pays a top-up within --max-cost for the same token; tokens list shows its balance and what it cost", async () => {
    const dir = scratchDir("l402-usage-");
    const first = await get("/credit/a", dir, "--max-cost", "10");
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/paying 5 sats \(routing fee at most 5 sats\) for credit…\nl402-edge: paid \(routing fee 0 sats\); token saved for http:\/\/127\.0\.0\.1:\d+\nl402-edge: balance: 3 sats left\n$/);
    expect((await get("/credit/b", dir)).stderr).toBe("l402-edge: balance: 1 sats left\n");

    const before = (await invoices()).length;
    const third = await get("/credit/c", dir, "--max-cost", "10", "--json");
    expect(third.code, third.stderr).toBe(0);
    expect(JSON.parse(third.stdout)).toMatchObject({ status: 200, headers: { "x-l402-balance": "4000" }, paid: { sats: 5, services: ["credit"], topUp: true } });
    expect(JSON.parse((JSON.parse(third.stdout) as { body: string }).body)).toMatchObject({ path: "/credit/c" });
    expect((await invoices()).slice(before)).toEqual([{ sats: 5, state: "SETTLED" }]);

    const [shown] = await listed(dir);
    expect(shown?.tokens).toEqual([{ services: ["credit"], paidMsat: "10000", createdAt: expect.any(String), creditMsat: "10000", balanceMsat: "4000", topUps: 1 }]);
    // The same token goes on, with the credited balance.
    expect((await get("/credit/d", dir)).stderr).toBe("l402-edge: balance: 2 sats left\n");
  });

  it("refuses a top-up above --max-cost: exit 3, its amount and the limit said, nothing paid, the token kept", async () => {
    const dir = scratchDir("l402-usage-");
    expect((await get("/credit/a", dir)).code).toBe(0);
    expect((await get("/credit/b", dir)).code).toBe(0);
    const before = (await invoices()).length;
    const refused = await get("/credit/c", dir, "--max-cost", "4");
    expect(refused).toMatchObject({ code: 3, stdout: "", stderr: "l402-edge: the top-up for this token's balance is 5 sats, above the limit of 4\n" });
    expect((await invoices()).slice(before)).toEqual([{ sats: 5, state: "OPEN" }]);
    const [shown] = await listed(dir);
    expect(shown?.tokens).toEqual([{ services: ["credit"], paidMsat: "5000", createdAt: expect.any(String), creditMsat: "5000", balanceMsat: "1000" }]);
  });

  it("runs side by side racing on one short balance pay one top-up: the others wait, then go on with the token", async () => {
    const dir = scratchDir("l402-usage-");
    expect((await get("/credit/a", dir)).code).toBe(0);
    expect((await get("/credit/b", dir)).code).toBe(0);
    // 1 sat left; a top-up of 5 pays for three more requests of 2.
    const before = (await invoices()).length;
    const wallet = await slowWallet(1500);
    const runs = await Promise.all(["c", "d", "e"].map((path) => cli(["get", `${worker.url.origin}/credit/${path}`, "--token-dir", dir, "--max-cost", "10"], wallet.url)));
    wallet.close();
    for (const run of runs) expect(run.code, run.stderr).toBe(0);
    expect(runs.filter((run) => run.stderr.includes("paying 5 sats"))).toHaveLength(1);
    expect((await invoices()).slice(before).filter((invoice) => invoice.state === "SETTLED")).toEqual([{ sats: 5, state: "SETTLED" }]);
    expect((await listed(dir))[0]?.tokens).toEqual([{ services: ["credit"], paidMsat: "10000", createdAt: expect.any(String), creditMsat: "10000", balanceMsat: expect.any(String), topUps: 1 }]);
    expect((await get("/credit/f", dir, "--max-cost", "4")).code).toBe(3);
  });

  it("--credit buys the amount named among the service's offers", async () => {
    const dir = scratchDir("l402-usage-");
    const bought = await get("/credit/big", dir, "--credit", "20", "--max-cost", "25");
    expect(bought.code, bought.stderr).toBe(0);
    expect(bought.stderr).toContain("paying 20 sats");
    expect(bought.stderr).toContain("balance: 18 sats left");
    expect((await listed(dir))[0]?.tokens).toMatchObject([{ paidMsat: "20000", creditMsat: "20000", balanceMsat: "18000" }]);
    const bad = await get("/credit/big", dir, "--credit", "lots");
    expect(bad).toMatchObject({ code: 2, stderr: "l402-edge: --credit must be a whole number of sats\n" });
  });
});
