import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { demoServices, DEMO_ROUTES, startDemoOrigin } from "./demo-origin.ts";
import { startSimulator } from "./lnd-sim/server.ts";
import { isPortFree } from "./ports.ts";

/**
 * `npm run dev`: the whole paywall on this machine. The LND simulator, a demo
 * origin, and `wrangler dev` running the Worker against them. Ctrl-C stops all.
 */
const ROOT = resolve(dirname(new URL(import.meta.url).pathname), "..");
const HOST = "127.0.0.1";

class StartError extends Error {}

async function ensureFree(port: number, flag: string): Promise<void> {
  if (!(await isPortFree(port, HOST))) throw new StartError(`port ${port} is taken; choose another with ${flag}`);
}

function port(value: string, flag: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1 || number > 65535) throw new StartError(`${flag} must be a port number`);
  return number;
}

/** A master key in .dev.vars on first run (git ignores the file). */
function ensureDevVars(path: string): string | undefined {
  if (existsSync(path)) {
    if (!/^L402_MASTER_KEYS=\s*[0-9a-fA-F]{64,}/m.test(readFileSync(path, "utf8"))) {
      throw new StartError(`${path} has no L402_MASTER_KEYS; add one (npx l402-edge keygen) or remove the file`);
    }
    return undefined;
  }
  writeFileSync(path, `# Created by npm run dev. Never commit this file.\nL402_MASTER_KEYS=${randomBytes(32).toString("hex")}\n`, { mode: 0o600 });
  return `created ${path} with a new master key`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: "8787" },
      "lnd-port": { type: "string", default: "8180" },
      "origin-port": { type: "string", default: "8181" },
      "dev-vars": { type: "string", default: join(ROOT, ".dev.vars") },
    },
  });
  const ports = { worker: port(values.port, "--port"), lnd: port(values["lnd-port"], "--lnd-port"), origin: port(values["origin-port"], "--origin-port") };
  await ensureFree(ports.worker, "--port");
  await ensureFree(ports.lnd, "--lnd-port");
  await ensureFree(ports.origin, "--origin-port");
  const created = ensureDevVars(values["dev-vars"]);

  await applyMigrations();
  const originSecret = randomBytes(16).toString("hex");
  const adminToken = randomBytes(24).toString("hex");
  const sim = await startSimulator({ host: HOST, port: ports.lnd });
  const origin = await startDemoOrigin(ports.origin, originSecret, HOST);
  // Secrets for the Worker go in an env file, not on the command line, so wrangler's banner hides them.
  const stackVars = join(ROOT, ".wrangler", "dev-stack.vars");
  mkdirSync(dirname(stackVars), { recursive: true });
  writeFileSync(stackVars, `LND_MACAROON=${sim.paywallMacaroonHex}\nL402_ORIGIN_SECRET=${originSecret}\nL402_ADMIN_TOKEN=${adminToken}\n`, { mode: 0o600 });

  const wrangler = spawn(
    join(ROOT, "node_modules", ".bin", "wrangler"),
    [
      "dev", "--port", String(ports.worker), "--ip", HOST, "--show-interactive-dev-session=false",
      "--env-file", values["dev-vars"], "--env-file", stackVars,
      "--var", `LND_REST_URL:${sim.url}`, "--var", "L402_NETWORK:regtest",
      "--var", `L402_SERVICES:${JSON.stringify(demoServices(origin.url))}`,
    ],
    // Same process group as this launcher: Ctrl-C in a terminal reaches wrangler and workerd too.
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, WRANGLER_SEND_METRICS: "false" } },
  );
  const relay = (stream: NodeJS.ReadableStream, out: NodeJS.WriteStream) =>
    stream.on("data", (chunk: Buffer) => out.write(chunk.toString().replace(/^(?=.)/gm, "[worker] ")));
  relay(wrangler.stdout as NodeJS.ReadableStream, process.stdout);
  relay(wrangler.stderr as NodeJS.ReadableStream, process.stderr);

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await stopChild(wrangler);
    await Promise.all([sim.close(), origin.close()]);
    process.exit(code);
  };
  process.once("SIGINT", () => void stop(0));
  process.once("SIGTERM", () => void stop(0));
  wrangler.once("exit", (code) => {
    if (!stopping) {
      process.stderr.write(`dev: wrangler dev exited (${code ?? "signal"}); stopping\n`);
      void stop(1);
    }
  });

  const workerUrl = `http://${HOST}:${ports.worker}`;
  try {
    await waitForHealth(workerUrl);
  } catch (error) {
    process.stderr.write(`dev: ${(error as Error).message}\n`);
    return stop(1);
  }
  const payer = `LND_REST_URL=${sim.url} LND_MACAROON=${sim.adminMacaroonHex}`;
  process.stdout.write(`
l402-edge is running locally${created ? ` (${created})` : ""}:
  paywall (Worker)   ${workerUrl}
  LND simulator      ${sim.url}   (regtest; admin macaroon below pays invoices)
  demo origin        ${origin.url}   (refuses requests that skip the paywall)

Try it:
  curl -i ${workerUrl}${DEMO_ROUTES.quote}                        # 402 with an invoice (5 sats)
  curl -s ${workerUrl}${DEMO_ROUTES.free}                         # free
  export ${payer}
  npx l402-edge get ${workerUrl}${DEMO_ROUTES.quote}              # pays 5 sats, prints the quote
  npx l402-edge get ${workerUrl}${DEMO_ROUTES.quote}              # reuses the token: no payment
  npx l402-edge get --no-pay ${workerUrl}/api/weather?city=Oslo   # shows the price (21 sats)
  npx l402-edge tokens list
  curl -s -H "Authorization: Bearer ${adminToken}" ${workerUrl}/.well-known/l402/admin/revenue   # the ledger

Ctrl-C stops everything.
dev: ready
`);
}

/** The D1 schema, applied to the local database `wrangler dev` uses (.wrangler/state). */
async function applyMigrations(): Promise<void> {
  const child = spawn(join(ROOT, "node_modules", ".bin", "wrangler"), ["d1", "migrations", "apply", "L402_LEDGER", "--local"], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" },
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const [code] = (await once(child, "exit")) as [number | null];
  if (code !== 0) throw new StartError(`could not apply the D1 migrations:\n${output}`);
  process.stdout.write(`dev: D1 migrations applied to the local ledger\n`);
}

/** Asks wrangler to stop (it stops workerd), and waits; forces it after 5 s. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}

async function waitForHealth(url: string): Promise<void> {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${url}/.well-known/l402/health`);
      if (response.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((done) => setTimeout(done, 250));
  }
  throw new StartError("the Worker did not become healthy within 90 s");
}

main().catch((error: unknown) => {
  process.stderr.write(`dev: ${error instanceof StartError ? error.message : String(error)}\n`);
  process.exit(error instanceof StartError ? 2 : 1);
});
