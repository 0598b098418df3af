import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, describe, expect, it } from "vitest";
import { payInvoice } from "../../dev/lnd-sim/payer.ts";
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

/** Ctrl-C: SIGINT to the whole foreground group (or other signals: a terminal closed, Ctrl-C twice); then every process of it must be gone and every port free. */
async function stopAndCheck(stack: Stack, ports: readonly number[], signals: readonly NodeJS.Signals[] = ["SIGINT"]): Promise<void> {
  const pid = stack.child.pid as number;
  for (const signal of signals) process.kill(-pid, signal);
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
  it("two stacks started together in one checkout keep their own secrets and state: each pays with its own wallet, each admin token works on its own", async () => {
    const dir = scratchDir("l402-two-");
    const stacks = await Promise.all(
      [0, 1].map(async () => {
        const ports = { worker: await freePort(), lnd: await freePort(), origin: await freePort(), relay: await freePort() };
        return { ports, stack: startDev(["--port", String(ports.worker), "--lnd-port", String(ports.lnd), "--origin-port", String(ports.origin), "--relay-port", String(ports.relay), "--dev-vars", join(dir, ".dev.vars")]) };
      }),
    );
    running.push(...stacks.map(({ stack }) => stack));
    await Promise.all(stacks.map(({ stack }) => waitFor(stack, /dev: ready/, 120_000)));
    // One of them made the shared master key file; the other used it. One holds .wrangler/state; the other has its own.
    expect(stacks.filter(({ stack }) => stack.output().includes("with a new master key"))).toHaveLength(1);
    const beside = stacks.flatMap(({ stack }) => [...stack.output().matchAll(/holds \.wrangler\/state; this stack keeps its state and secrets in (\S+) until it stops/g)].map((match) => match[1] as string));
    expect(beside).toHaveLength(1);
    expect(existsSync(join(beside[0] as string, "secrets.vars"))).toBe(true);
    for (const [index, { ports, stack }] of stacks.entries()) {
      const [, lndUrl, macaroon] = stack.output().match(/export LND_REST_URL=(\S+) LND_MACAROON=([0-9a-f]+)/) ?? [];
      expect(lndUrl).toBe(`http://127.0.0.1:${ports.lnd}`);
      const paid = spawnSync(process.execPath, [BIN, "get", `http://127.0.0.1:${ports.worker}/api/quote`, "--json", "--token-dir", join(dir, `tokens-${index}`)], { encoding: "utf8", env: { ...process.env, LND_REST_URL: lndUrl, LND_MACAROON: macaroon } });
      expect(paid.status, `${paid.stderr}\n${stack.output()}`).toBe(0);
      expect(JSON.parse(paid.stdout)).toMatchObject({ status: 200, paid: { sats: 5 } });
      const [, adminToken] = stack.output().match(/Authorization: Bearer ([0-9a-f]+)/) ?? [];
      expect((await fetch(`http://127.0.0.1:${ports.worker}/.well-known/l402/admin/services`, { headers: { Authorization: `Bearer ${adminToken}` } })).status).toBe(200);
    }
    // One's terminal closes; the other is told Ctrl-C twice, the second while it stops.
    const signals: NodeJS.Signals[][] = [["SIGHUP"], ["SIGINT", "SIGINT"]];
    await Promise.all(stacks.map(({ ports, stack }, index) => stopAndCheck(stack, Object.values(ports), signals[index])));
    // What does not outlive a stack is gone: the other's directory, the lock, the secrets file.
    expect(existsSync(beside[0] as string)).toBe(false);
    expect(existsSync(join(ROOT, ".wrangler", "dev-stack.pid"))).toBe(false);
    expect(existsSync(join(ROOT, ".wrangler", "dev-stack.vars"))).toBe(false);
  }, 240_000);

  it("a Worker that is not healthy: dev prints what health says is wrong, at once, and exits", async () => {
    const ports = { worker: await freePort(), lnd: await freePort(), origin: await freePort() };
    const dir = scratchDir("l402-unhealthy-");
    writeFileSync(
      join(dir, "wrangler.toml"),
      ['name = "operator"', 'main = "index.ts"', 'compatibility_date = "2026-10-01"', "[vars]", 'L402_NETWORK = "regtest"', "[[vars.L402_SERVICES]]", 'name = "reports"', 'match = ["/reports/*"]', "price_sats = 7", "uses = 2"].join("\n"),
    );
    const stack = startDev(["--config", join(dir, "wrangler.toml"), "--port", String(ports.worker), "--lnd-port", String(ports.lnd), "--origin-port", String(ports.origin)]);
    running.push(stack);
    const code = await new Promise<number | null>((resolve) => (stack.child.exitCode !== null ? resolve(stack.child.exitCode) : stack.child.once("exit", resolve)));
    expect(code).toBe(1);
    expect(stack.output()).toContain(`dev: the Worker's configuration is invalid (its /.well-known/l402/health says):\n  L402_SERVICES "reports".uses: needs the L402_METER Durable Object binding (see wrangler.toml)\n`);
    expect(stack.output()).not.toContain("within 90 s");
    for (const port of Object.values(ports)) expect(await isPortFree(port), `port ${port}`).toBe(true);
  }, 150_000);

  it("starts the stack; l402-edge get pays once, then reuses the token; Ctrl-C leaves nothing behind; a second start works", async () => {
    const ports = { worker: await freePort(), lnd: await freePort(), origin: await freePort(), relay: await freePort() };
    const dir = scratchDir("l402-dev-");
    const args = ["--port", String(ports.worker), "--lnd-port", String(ports.lnd), "--origin-port", String(ports.origin), "--relay-port", String(ports.relay), "--dev-vars", join(dir, ".dev.vars")];

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
    // The NWC wallet the banner prints pays too, on the relay port asked for.
    const [, nwcUri] = stack.output().match(/export L402_NWC_URI='(nostr\+walletconnect:\/\/[^']+)'/) ?? [];
    expect(new URL(nwcUri ?? "").searchParams.get("relay")).toBe(`ws://127.0.0.1:${ports.relay}`);
    const byNwc = spawnSync(process.execPath, [BIN, "get", url, "--json", "--token-dir", join(dir, "nwc-tokens")], { encoding: "utf8", env: { ...process.env, LND_REST_URL: "", LND_MACAROON: "", L402_NWC_URI: nwcUri } });
    expect(byNwc.status, byNwc.stderr).toBe(0);
    expect(JSON.parse(byNwc.stdout)).toMatchObject({ status: 200, paid: { sats: 5, services: ["quotes"] } });
    // The demo's metered service: one payment, three calls.
    const calls = spawnSync(process.execPath, [BIN, "get", `http://127.0.0.1:${ports.worker}/api/calls`, "--json", "--token-dir", join(dir, "tokens")], { encoding: "utf8", env: { ...process.env, LND_REST_URL: lndUrl, LND_MACAROON: macaroon } });
    expect(JSON.parse(calls.stdout)).toMatchObject({ status: 200, paid: { sats: 10 }, headers: { "x-l402-remaining": "2" } });

    // Selling by usage, as the walkthrough shows it (README, "Selling by usage").
    expect(stack.output()).toContain("Selling by usage");
    await sellingByUsage(`http://127.0.0.1:${ports.worker}`, { url: lndUrl as string, macaroonHex: macaroon as string }, join(dir, "tokens"));

    // The demo's weather as an MCP tool, through the bundle wrangler builds (Ajv aliased out): the SDK's client lists it, pays its offer, gets the forecast.
    const mcp = new Client({ name: "dev-stack-test", version: "1.0.0" });
    await mcp.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${ports.worker}/mcp`)));
    expect((await mcp.listTools()).tools.map((tool) => tool.name)).toEqual(["get_weather"]);
    const unpaid = await mcp.callTool({ name: "get_weather", arguments: { city: "Porto" } });
    const offer = unpaid.structuredContent as { reason: string; invoice: string; macaroon: string };
    expect(unpaid.isError && offer.reason).toBe("missing");
    const paidWeather = await payInvoice({ url: lndUrl ?? "", macaroonHex: macaroon ?? "" }, offer.invoice);
    const weather = await mcp.callTool({ name: "get_weather", arguments: { city: "Porto" }, _meta: { "l402/credential": `L402 ${offer.macaroon}:${String(paidWeather.preimageHex)}` } });
    expect(weather.structuredContent).toMatchObject({ city: "Porto", forecast: "sunny" });
    await mcp.close();

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
        "[[vars.L402_SERVICES]]", 'name = "open"', 'match = ["/open/*"]', "auth = false",
      ].join("\n"),
    );
    const stack = startDev(["--config", join(dir, "wrangler.toml"), "--port", String(ports.worker), "--lnd-port", String(ports.lnd), "--origin-port", String(ports.origin), "--inspector-port", String(ports.inspector)]);
    running.push(stack);
    await waitFor(stack, /dev: ready/, 90_000);
    expect(stack.output()).toContain(`created ${join(dir, ".dev.vars")} with a new master key`);
    expect(stack.output()).toMatch(/curl -i http:\/\/127\.0\.0\.1:\d+\/reports\/example {3}# reports: 2 uses, 7 sats/);
    expect(stack.output()).toMatch(/curl -i http:\/\/127\.0\.0\.1:\d+\/open\/example {3}# open: free\n/);
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
    { backend: "nwc", flag: "--relay-port", node: /its node {11}an NWC wallet simulator behind the Nostr relay ws:\/\/127\.0\.0\.1:(\d+)/ },
    { backend: "lnbits", flag: "--lnbits-port", node: /its node {11}the LNbits simulator, http:\/\/127\.0\.0\.1:(\d+)/ },
    { backend: "phoenixd", flag: "--phoenixd-port", node: /its node {11}the phoenixd simulator, http:\/\/127\.0\.0\.1:(\d+)/ },
    { backend: "cln", flag: "--cln-port", node: /its node {11}the Core Lightning \(clnrest\) simulator, http:\/\/127\.0\.0\.1:(\d+)/ },
  ])("--backend $backend runs the Worker on that backend's simulator ($flag), which the printed LND wallet pays", async ({ backend, flag, node }) => {
    const ports = { worker: await freePort(), lnd: await freePort(), origin: await freePort(), backend: await freePort() };
    const dir = scratchDir(`l402-${backend}-`);
    const stack = startDev(["--backend", backend, "--port", String(ports.worker), "--lnd-port", String(ports.lnd), "--origin-port", String(ports.origin), flag, String(ports.backend), "--dev-vars", join(dir, ".dev.vars")]);
    running.push(stack);
    await waitFor(stack, /dev: ready/, 90_000);
    const nodePort = Number(stack.output().match(node)?.[1]);
    expect(nodePort).toBe(ports.backend);
    const worker = `http://127.0.0.1:${ports.worker}`;
    const health = (await (await fetch(`${worker}/.well-known/l402/health`)).json()) as { node: Record<string, unknown> };
    expect(health.node).toMatchObject({ backend, reachable: true, network: "regtest" });

    const [, lndUrl, macaroon] = stack.output().match(/export LND_REST_URL=(\S+) LND_MACAROON=([0-9a-f]+)/) ?? [];
    const paid = spawnSync(process.execPath, [BIN, "get", `${worker}/api/quote`, "--json", "--token-dir", join(dir, "tokens")], { encoding: "utf8", env: { ...process.env, LND_REST_URL: lndUrl, LND_MACAROON: macaroon } });
    expect(paid.status, paid.stderr).toBe(0);
    expect(JSON.parse(paid.stdout)).toMatchObject({ status: 200, paid: { sats: 5, services: ["quotes"] } });
    // Nothing in the banner or the logs quotes the backend's credential: the one NWC secret shown is the client wallet's, printed for it.
    expect(stack.output()).not.toMatch(/LNBITS_INVOICE_KEY=|PHOENIXD_PASSWORD=|CLN_RUNE=/);
    const secrets = [...stack.output().matchAll(/secret=[0-9a-f]{64}/g)].map((match) => match[0]);
    expect(secrets).toHaveLength(1);
    expect(stack.output()).toContain(`export L402_NWC_URI='nostr+walletconnect://`);
    expect(stack.output().match(/export L402_NWC_URI='[^']+'/)?.[0]).toContain(secrets[0]);
    await stopAndCheck(stack, [...Object.values(ports), nodePort]);
  }, 120_000);

  it.each([
    { args: ["--cln-port", "9999"], message: "dev: --cln-port is for --backend cln (this stack runs lnd)" },
    { args: ["--backend", "lnbits", "--phoenixd-port", "9999"], message: "dev: --phoenixd-port is for --backend phoenixd (this stack runs lnbits)" },
    { args: ["--relay-port", "http"], message: "dev: --relay-port must be a port number" },
  ])("refuses $args", async ({ args, message }) => {
    const stack = startDev(args);
    running.push(stack);
    await waitFor(stack, new RegExp(message.replace(/[()]/g, "\\$&")), 30_000);
    const code = await new Promise<number | null>((resolve) => (stack.child.exitCode !== null ? resolve(stack.child.exitCode) : stack.child.once("exit", resolve)));
    expect(code).toBe(2);
  }, 60_000);

  it("--config with a TOML syntax error: the file, line and column, and exits", async () => {
    const file = join(scratchDir("l402-toml-"), "wrangler.toml");
    writeFileSync(file, 'name = "t"\nmain = "index.ts"\ncompatibility_date = "2026-10-01"\nabc = = 1\n');
    const stack = startDev(["--config", file]);
    running.push(stack);
    const code = await new Promise<number | null>((resolve) => (stack.child.exitCode !== null ? resolve(stack.child.exitCode) : stack.child.once("exit", resolve)));
    expect(code).toBe(2);
    expect(stack.output()).toContain(`dev: ${file}:4:7: Invalid TOML document: invalid value\n`);
  }, 60_000);

  it("--backend names a backend it knows, or exits", async () => {
    const stack = startDev(["--backend", "eclair"]);
    running.push(stack);
    await waitFor(stack, /dev: --backend must be one of lnd, nwc, lnbits, phoenixd, cln/, 30_000);
    const code = await new Promise<number | null>((resolve) => (stack.child.exitCode !== null ? resolve(stack.child.exitCode) : stack.child.once("exit", resolve)));
    expect(code).toBe(2);
  }, 60_000);

  it("two flags naming one port: says which, and exits before anything starts", async () => {
    const shared = await freePort();
    const stack = startDev(["--port", String(await freePort()), "--lnd-port", String(shared), "--origin-port", String(shared)]);
    running.push(stack);
    await waitFor(stack, new RegExp(`dev: --origin-port ${shared} is also --lnd-port's: give each its own port`), 30_000);
    const code = await new Promise<number | null>((resolve) => (stack.child.exitCode !== null ? resolve(stack.child.exitCode) : stack.child.once("exit", resolve)));
    expect(code).toBe(2);
  }, 60_000);

  it.each([
    { flag: "--lnd-port", extra: [] },
    { flag: "--relay-port", extra: [] },
    { flag: "--cln-port", extra: ["--backend", "cln"] },
  ])("says which port is taken ($flag), and exits", async ({ flag, extra }) => {
    const blocker = createServer().listen(0, "127.0.0.1");
    await new Promise((resolve) => blocker.once("listening", resolve));
    const taken = (blocker.address() as { port: number }).port;
    try {
      const stack = startDev([flag, String(taken), ...extra, "--port", String(await freePort()), "--origin-port", String(await freePort()), ...(flag === "--lnd-port" ? [] : ["--lnd-port", String(await freePort())])]);
      running.push(stack);
      await waitFor(stack, new RegExp(`dev: port ${taken} is taken; choose another with ${flag}`), 30_000);
      const code = await new Promise<number | null>((resolve) => (stack.child.exitCode !== null ? resolve(stack.child.exitCode) : stack.child.once("exit", resolve)));
      expect(code).not.toBe(0);
    } finally {
      blocker.close();
    }
  }, 60_000);
});

/**
 * The demo's services sold by usage, through the stack: an image priced by its
 * query, a chat completion paid per token from a balance that runs short and
 * is topped up (the same token, credited once), a download metered per KiB
 * that breaks off when its balance runs out. Paid with the banner's wallet.
 */
async function sellingByUsage(worker: string, wallet: { url: string; macaroonHex: string }, tokenDir: string): Promise<void> {
  const get = (...args: string[]) => {
    const run = spawnSync(process.execPath, [BIN, "get", ...args, "--json", "--token-dir", tokenDir], { encoding: "utf8", env: { ...process.env, LND_REST_URL: wallet.url, LND_MACAROON: wallet.macaroonHex } });
    expect(run.status, run.stderr).toBe(0);
    return JSON.parse(run.stdout) as { status: number; body: string; headers: Record<string, string>; paid: { sats: number } | null; bytes?: number };
  };
  const tokenOf = (service: string) => {
    const shown = JSON.parse(spawnSync(process.execPath, [BIN, "tokens", "show", worker, "--token-dir", tokenDir], { encoding: "utf8" }).stdout) as { tokens: { services: string[]; macaroon: string; preimage: string }[] };
    const token = shown.tokens.find((t) => t.services.join() === service);
    return `L402 ${token?.macaroon}:${token?.preimage}`;
  };
  // A price by query: 10 sats for a large image, 2 otherwise; a 2-sat token never buys a large one.
  expect(JSON.parse(spawnSync(process.execPath, [BIN, "get", "--no-pay", "--json", `${worker}/api/images?size=large`], { encoding: "utf8" }).stdout)).toMatchObject({ price_sats: 10, services: ["images"] });
  expect(get(`${worker}/api/images?size=small`)).toMatchObject({ status: 200, paid: { sats: 2 } });
  const large = await fetch(`${worker}/api/images?size=large`, { headers: { Authorization: tokenOf("images") } });
  expect(large.status).toBe(402);
  expect(await large.json()).toMatchObject({ reason: "price_exceeds_token", price_msat: "10000", paid_msat: "2000", price_sats: 10 });

  // 10 sats of credit; each completion streams, and is debited its tokens (6 × 30 + 50 × 60 msat for this one).
  const ask = (content: string) => JSON.stringify({ messages: [{ role: "user", content }] });
  const chat = `${worker}/api/chat/completions`;
  const first = get("-d", ask("What is Lightning?"), chat);
  expect(first).toMatchObject({ status: 200, paid: { sats: 10 }, headers: { "content-type": "text/event-stream; charset=utf-8", "x-l402-balance": "5000" } });
  expect(first.body).toContain('"usage":{"prompt_tokens":6,"completion_tokens":50,"total_tokens":56}');
  expect(first.body.endsWith("data: [DONE]\n\n")).toBe(true);
  const token = tokenOf("chat");
  const second = await fetch(chat, { method: "POST", headers: { Authorization: token }, body: ask("And again?") });
  expect(second.status).toBe(200);
  expect(Number(second.headers.get("x-l402-balance"))).toBeLessThan(5000);
  expect(await second.text()).toContain('"completion_tokens":50');
  // Short: 10,000 − 3,180 − 3,150 msat left, less than a completion's 5,000 reservation. (Each debit settles just after its
  // stream ends: asked again until it has, a short balance being kept as it is.)
  let short: Record<string, string> = {};
  for (let tries = 0; tries < 50 && short["balance_msat"] !== "3670"; tries++) {
    const response = await fetch(chat, { method: "POST", headers: { Authorization: token }, body: "{}" });
    expect(response.status).toBe(402);
    short = (await response.json()) as Record<string, string>;
  }
  expect(short).toMatchObject({ reason: "balance_short", balance_msat: "3670", required_msat: "5000", topup_for: expect.stringMatching(/^[0-9a-f]{64}$/) });
  // The top-up: its invoice paid, its macaroon sent once, credits the same token's balance and serves that request.
  const paid = await payInvoice(wallet, short["invoice"] as string);
  const topup = `L402 ${short["macaroon"]}:${paid.preimageHex}`;
  const toppedUp = await fetch(chat, { method: "POST", headers: { Authorization: topup }, body: ask("Topped up?") });
  expect(toppedUp.status).toBe(200);
  expect(toppedUp.headers.get("x-l402-balance")).toBe("8670");
  await toppedUp.text();
  const again = await fetch(chat, { method: "POST", headers: { Authorization: topup }, body: "{}" });
  expect(again.status).toBe(402);
  expect(await again.json()).toMatchObject({ reason: "topup_spent", topup_for: short["topup_for"] });
  const after = await fetch(chat, { method: "POST", headers: { Authorization: token }, body: ask("Still there?") });
  expect(after.status).toBe(200);
  await after.text();

  // Per KiB: 20 sats of credit buy 64 KiB at 0.2 sats; the next 64 KiB break off where the balance runs out.
  const file = get("-o", join(tokenDir, "..", "64k.bin"), `${worker}/api/files/64`);
  expect(file).toMatchObject({ status: 200, paid: { sats: 20 }, bytes: 65_536, headers: { "x-l402-balance": "15000" } });
  const cut = await fetch(`${worker}/api/files/64`, { headers: { Authorization: tokenOf("files") } });
  expect(cut.status).toBe(200);
  await expect(cut.arrayBuffer()).rejects.toThrow();
}
