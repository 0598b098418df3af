import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, isPortFree } from "../../dev/ports.ts";
import { useScratchDirs } from "../setup/scratch-dirs.ts";

const scratchDir = useScratchDirs();

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BIN = join(ROOT, "bin", "l402-edge.js");

interface Stack {
  readonly child: ChildProcess;
  readonly output: () => string;
}

/** `npm run dev` as a person starts it, in its own process group (as a terminal would). */
function startDev(args: string[]): Stack {
  let output = "";
  const child = spawn("npm", ["run", "dev", "--", ...args], { cwd: ROOT, detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, WRANGLER_SEND_METRICS: "false" } });
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

async function waitFor(stack: Stack, pattern: RegExp, ms: number): Promise<RegExpMatchArray> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const match = stack.output().match(pattern);
    if (match) return match;
    if (stack.child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`no ${pattern} in:\n${stack.output()}`);
}

/** Ctrl-C: SIGINT to the whole foreground group; then every process of it must be gone and every port free. */
async function stopAndCheck(stack: Stack, ports: readonly number[]): Promise<void> {
  const pid = stack.child.pid as number;
  process.kill(-pid, "SIGINT");
  for (let waited = 0; groupAlive(pid) && waited < 15_000; waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
  expect(groupAlive(pid)).toBe(false);
  for (const port of ports) expect(await isPortFree(port), `port ${port}`).toBe(true);
}

const groupAlive = (pid: number): boolean => {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
};

const running: Stack[] = [];
afterAll(() => {
  for (const stack of running) if (groupAlive(stack.child.pid as number)) process.kill(-(stack.child.pid as number), "SIGKILL");
});

describe("npm run dev", () => {
  it("starts the stack; l402-edge get pays once, then reuses the token; Ctrl-C leaves nothing behind; a second start works", async () => {
    const ports = { worker: await freePort(), lnd: await freePort(), origin: await freePort() };
    const dir = scratchDir("l402-dev-");
    const args = ["--port", String(ports.worker), "--lnd-port", String(ports.lnd), "--origin-port", String(ports.origin), "--dev-vars", join(dir, ".dev.vars")];

    const stack = startDev(args);
    running.push(stack);
    await waitFor(stack, /dev: ready/, 90_000);
    expect(stack.output()).toContain(`created ${join(dir, ".dev.vars")} with a new master key`);
    const [, lndUrl, macaroon] = stack.output().match(/export LND_REST_URL=(\S+) LND_MACAROON=([0-9a-f]+)/) ?? [];
    const url = `http://127.0.0.1:${ports.worker}/api/quote`;
    const get = () =>
      spawnSync(process.execPath, [BIN, "get", url, "--json", "--token-dir", join(dir, "tokens")], {
        encoding: "utf8",
        env: { ...process.env, LND_REST_URL: lndUrl, LND_MACAROON: macaroon },
      });

    const first = get();
    expect(first.status, `${first.stderr}\n${first.stdout}`).toBe(0);
    const paid = JSON.parse(first.stdout) as { status: number; body: string; paid: { sats: number; services: string[] } | null };
    expect(paid.status).toBe(200);
    expect(JSON.parse(paid.body)).toMatchObject({ quote: expect.any(String), paidBy: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(paid.paid).toEqual({ sats: 5, feeSats: 0, services: ["quotes"], scheme: "l402" });

    const again = JSON.parse(get().stdout) as { status: number; paid: unknown };
    expect(again).toMatchObject({ status: 200, paid: null });
    // The demo's metered service: one payment, three calls.
    const calls = spawnSync(process.execPath, [BIN, "get", `http://127.0.0.1:${ports.worker}/api/calls`, "--json", "--token-dir", join(dir, "tokens")], { encoding: "utf8", env: { ...process.env, LND_REST_URL: lndUrl, LND_MACAROON: macaroon } });
    expect(JSON.parse(calls.stdout)).toMatchObject({ status: 200, paid: { sats: 10 }, headers: { "x-l402-remaining": "2" } });

    // The demo's browser page, as the walkthrough says: open it, pay in the simulator's wallet, reload.
    const article = `http://127.0.0.1:${ports.worker}/articles/lightning`;
    const page = await fetch(article, { headers: { Accept: "text/html" } });
    expect(page.status).toBe(402);
    const invoice = /data-invoice="(lnbcrt30n1[a-z0-9]+)"/.exec(await page.text())?.[1] ?? "";
    const pending = (page.headers.getSetCookie()[0] ?? "").split(";")[0] ?? "";
    const [, walletUrl] = stack.output().match(/the simulator's wallet: (\S+)/) ?? [];
    expect((await fetch(walletUrl ?? "", { method: "POST", body: new URLSearchParams({ invoice }) })).status).toBe(200);
    const reload = await fetch(article, { headers: { Accept: "text/html", Cookie: pending }, redirect: "manual" });
    expect(reload.status).toBe(303);
    const credential = reload.headers.getSetCookie().find((line) => line.startsWith("l402-token-articles="))?.split(";")[0] ?? "";
    expect(await (await fetch(article, { headers: { Accept: "text/html", Cookie: credential } })).text()).toContain("Paying for the web, one request at a time");

    // The migrations were applied: the ledger saw the payment, as the admin API reports.
    const [, adminToken] = stack.output().match(/Authorization: Bearer ([0-9a-f]+)/) ?? [];
    const revenue = await fetch(`http://127.0.0.1:${ports.worker}/.well-known/l402/admin/revenue`, { headers: { Authorization: `Bearer ${adminToken}` } });
    // wrangler dev keeps its local state between runs, so earlier runs may have paid too.
    const days = ((await revenue.json()) as { days: { service: string; settlements: number; revenueMsat: number }[] }).days;
    const quotes = days.filter((d) => d.service === "quotes");
    expect(quotes.reduce((sum, d) => sum + d.settlements, 0)).toBeGreaterThanOrEqual(1);
    for (const day of quotes) expect(day.revenueMsat).toBe(day.settlements * 5000);

    await stopAndCheck(stack, Object.values(ports));

    const second = startDev(args);
    running.push(second);
    await waitFor(second, /dev: ready/, 90_000);
    expect(second.output()).not.toContain("created");
    await stopAndCheck(second, Object.values(ports));
  }, 240_000);

  it("--config runs an operator's own configuration on the simulator, with the demo origin where a service has none", async () => {
    const ports = { worker: await freePort(), lnd: await freePort(), origin: await freePort(), inspector: await freePort() };
    const dir = scratchDir("l402-operator-");
    writeFileSync(
      join(dir, "wrangler.toml"),
      [
        'name = "operator"', 'main = "index.ts"', 'compatibility_date = "2026-10-01"', 'compatibility_flags = ["nodejs_compat"]',
        "[vars]", 'L402_NETWORK = "testnet"', 'LND_REST_URL = "https://lnd.operator.example:8080"', 'L402_UNMATCHED = "pass"',
        "[[durable_objects.bindings]]", 'name = "L402_METER"', 'class_name = "TokenMeter"',
        "[[migrations]]", 'tag = "v1"', 'new_sqlite_classes = ["TokenMeter"]',
        "[[vars.L402_SERVICES]]", 'name = "reports"', 'match = ["/reports/*"]', "price_sats = 7", "uses = 2",
        "[[vars.L402_SERVICES]]", 'name = "open"', 'match = ["/open/*"]', "price_sats = 1", "auth = false",
      ].join("\n"),
    );
    const stack = startDev(["--config", join(dir, "wrangler.toml"), "--port", String(ports.worker), "--lnd-port", String(ports.lnd), "--origin-port", String(ports.origin), "--inspector-port", String(ports.inspector)]);
    running.push(stack);
    await waitFor(stack, /dev: ready/, 90_000);
    expect(stack.output()).toContain(`created ${join(dir, ".dev.vars")} with a new master key`);
    expect(stack.output()).toMatch(/curl -i http:\/\/127\.0\.0\.1:\d+\/reports\/example {3}# reports: 2 uses, 7 sats/);
    expect(await isPortFree(ports.inspector)).toBe(false);
    const [, lndUrl, macaroon] = stack.output().match(/export LND_REST_URL=(\S+) LND_MACAROON=([0-9a-f]+)/) ?? [];
    const worker = `http://127.0.0.1:${ports.worker}`;

    const unpaid = await fetch(`${worker}/reports/q`);
    expect(unpaid.status).toBe(402);
    expect(((await unpaid.json()) as { invoice: string }).invoice).toMatch(/^lntb70n1/);
    const get = () =>
      JSON.parse(
        spawnSync(process.execPath, [BIN, "get", `${worker}/reports/q`, "--json", "--token-dir", join(dir, "tokens")], { encoding: "utf8", env: { ...process.env, LND_REST_URL: lndUrl, LND_MACAROON: macaroon } }).stdout,
      ) as { status: number; body: string; headers: Record<string, string>; paid: { sats: number } | null };
    const first = get();
    expect(first).toMatchObject({ status: 200, paid: { sats: 7 } });
    expect(JSON.parse(first.body)).toMatchObject({ path: "/reports/q", paidBy: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(first.headers["x-l402-remaining"]).toBe("1");
    expect(get()).toMatchObject({ status: 200, paid: null, headers: { "x-l402-remaining": "0" } });
    expect(get()).toMatchObject({ status: 200, paid: { sats: 7 } });
    // Free and unmatched traffic reach the demo origin.
    expect(await (await fetch(`${worker}/open/x`)).json()).toMatchObject({ path: "/open/x", paidBy: null });
    expect(await (await fetch(`${worker}/elsewhere/y`)).json()).toMatchObject({ path: "/elsewhere/y" });
    await stopAndCheck(stack, Object.values(ports));
  }, 180_000);

  it.each([
    { backend: "nwc", node: /its node {11}an NWC wallet simulator behind the Nostr relay ws:\/\/127\.0\.0\.1:(\d+)/ },
    { backend: "lnbits", node: /its node {11}the LNbits simulator, http:\/\/127\.0\.0\.1:(\d+)/ },
    { backend: "phoenixd", node: /its node {11}the phoenixd simulator, http:\/\/127\.0\.0\.1:(\d+)/ },
    { backend: "cln", node: /its node {11}the Core Lightning \(clnrest\) simulator, http:\/\/127\.0\.0\.1:(\d+)/ },
  ])("--backend $backend runs the Worker on that backend's simulator, which the printed LND wallet pays", async ({ backend, node }) => {
    const ports = { worker: await freePort(), lnd: await freePort(), origin: await freePort() };
    const dir = scratchDir(`l402-${backend}-`);
    const stack = startDev(["--backend", backend, "--port", String(ports.worker), "--lnd-port", String(ports.lnd), "--origin-port", String(ports.origin), "--dev-vars", join(dir, ".dev.vars")]);
    running.push(stack);
    await waitFor(stack, /dev: ready/, 90_000);
    const nodePort = Number(stack.output().match(node)?.[1]);
    const worker = `http://127.0.0.1:${ports.worker}`;
    const health = (await (await fetch(`${worker}/.well-known/l402/health`)).json()) as { node: Record<string, unknown> };
    expect(health.node).toMatchObject({ backend, reachable: true, network: "regtest" });

    const [, lndUrl, macaroon] = stack.output().match(/export LND_REST_URL=(\S+) LND_MACAROON=([0-9a-f]+)/) ?? [];
    const paid = spawnSync(process.execPath, [BIN, "get", `${worker}/api/quote`, "--json", "--token-dir", join(dir, "tokens")], { encoding: "utf8", env: { ...process.env, LND_REST_URL: lndUrl, LND_MACAROON: macaroon } });
    expect(paid.status, paid.stderr).toBe(0);
    expect(JSON.parse(paid.stdout)).toMatchObject({ status: 200, paid: { sats: 5, services: ["quotes"] } });
    // Nothing in the banner or the logs quotes the backend's credential.
    expect(stack.output()).not.toMatch(/secret=[0-9a-f]{64}|LNBITS_INVOICE_KEY=|PHOENIXD_PASSWORD=|CLN_RUNE=/);
    await stopAndCheck(stack, [...Object.values(ports), nodePort]);
  }, 120_000);

  it("--backend names a backend it knows, or exits", async () => {
    const stack = startDev(["--backend", "eclair"]);
    running.push(stack);
    await waitFor(stack, /dev: --backend must be one of lnd, nwc, lnbits, phoenixd, cln/, 30_000);
    const code = await new Promise<number | null>((resolve) => (stack.child.exitCode !== null ? resolve(stack.child.exitCode) : stack.child.once("exit", resolve)));
    expect(code).toBe(2);
  }, 60_000);

  it("says which port is taken, and exits", async () => {
    const blocker = createServer().listen(0, "127.0.0.1");
    await new Promise((resolve) => blocker.once("listening", resolve));
    const taken = (blocker.address() as { port: number }).port;
    try {
      const stack = startDev(["--lnd-port", String(taken), "--port", String(await freePort()), "--origin-port", String(await freePort())]);
      running.push(stack);
      await waitFor(stack, new RegExp(`dev: port ${taken} is taken; choose another with --lnd-port`), 30_000);
      const code = await new Promise<number | null>((resolve) => (stack.child.exitCode !== null ? resolve(stack.child.exitCode) : stack.child.once("exit", resolve)));
      expect(code).not.toBe(0);
    } finally {
      blocker.close();
    }
  }, 60_000);
});
