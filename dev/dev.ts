import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { BACKENDS, type Backend } from "../src/config/index.ts";
import { startDemoOrigin } from "./demo-origin.ts";
import { isBackend, startDevBackend } from "./dev-backend.ts";
import { startSimulator } from "./lnd-sim/server.ts";
import { isPortFree } from "./ports.ts";
import { demoPlan, operatorPlan, PlanError, type StackPlan } from "./stack-plan.ts";
import { readWranglerEnv } from "./wrangler-env.ts";

/**
 * `npm run dev`: the whole paywall on this machine. The LND simulator (with,
 * for `--backend nwc|lnbits|phoenixd|cln`, that backend's simulator over the
 * same node), a demo origin, and `wrangler dev` running the Worker against
 * them, with the demo services or (`--config FILE`) the operator's own.
 * Ctrl-C stops all.
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
      "inspector-port": { type: "string" },
      "dev-vars": { type: "string" },
      config: { type: "string" },
      backend: { type: "string" },
    },
  });
  if (values.backend !== undefined && !isBackend(values.backend)) throw new StartError(`--backend must be one of ${BACKENDS.join(", ")}`);
  const ports = { worker: port(values.port, "--port"), lnd: port(values["lnd-port"], "--lnd-port"), origin: port(values["origin-port"], "--origin-port") };
  const inspector = values["inspector-port"] === undefined ? undefined : port(values["inspector-port"], "--inspector-port");
  for (const [flag, value] of [["--port", ports.worker], ["--lnd-port", ports.lnd], ["--origin-port", ports.origin], ["--inspector-port", inspector]] as const) {
    if (value !== undefined) await ensureFree(value, flag);
  }
  const originUrl = `http://${HOST}:${ports.origin}`;
  const plan = planFor(values.config, originUrl, values["dev-vars"], values.backend);
  const created = ensureDevVars(plan.devVarsPath);

  if (plan.hasLedger) await applyMigrations(plan.configPath);
  const originSecret = plan.originSecret ?? randomBytes(16).toString("hex");
  const adminToken = randomBytes(24).toString("hex");
  const sim = await startSimulator({ host: HOST, port: ports.lnd, network: plan.network });
  const node = await startDevBackend(plan.backend, sim, HOST);
  const origin = await startDemoOrigin(ports.origin, originSecret, HOST, plan.originAuthHeader);
  // Secrets for the Worker go in an env file, not on the command line, so wrangler's banner hides them.
  const stackVars = join(ROOT, ".wrangler", "dev-stack.vars");
  mkdirSync(dirname(stackVars), { recursive: true });
  const secrets = { ...node.secrets, L402_ORIGIN_SECRET: originSecret, L402_ADMIN_TOKEN: adminToken };
  writeFileSync(stackVars, Object.entries(secrets).map(([name, value]) => `${name}=${value}\n`).join(""), { mode: 0o600 });

  const wrangler = spawn(
    join(ROOT, "node_modules", ".bin", "wrangler"),
    [
      // This project's Worker, whatever entry the configuration file names.
      "dev", join(ROOT, "src", "worker", "index.ts"), "--port", String(ports.worker), "--ip", HOST, "--show-interactive-dev-session=false",
      ...(plan.configPath === undefined ? [] : ["--config", plan.configPath]),
      ...(inspector === undefined ? [] : ["--inspector-port", String(inspector)]),
      ...(plan.demoOriginIsUpstream ? ["--local-upstream", `${HOST}:${ports.origin}`] : []),
      "--env-file", plan.devVarsPath, "--env-file", stackVars,
      ...Object.entries({ ...node.vars, ...plan.vars }).flatMap(([name, value]) => ["--var", `${name}:${value}`]),
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
    await Promise.all([node.close(), sim.close(), origin.close()]);
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
  process.stdout.write(`
l402-edge is running locally${created ? ` (${created})` : ""}:
  paywall (Worker)   ${workerUrl}
  its node           ${node.description}
  LND simulator      ${sim.url}   (${plan.network}; the admin macaroon below pays invoices)
  demo origin        ${origin.url}   (refuses requests that skip the paywall)

The wallet for l402-edge get (pays through the simulator):
  export LND_REST_URL=${sim.url} LND_MACAROON=${sim.adminMacaroonHex}

${plan.walkthrough(workerUrl, `${sim.url}/_sim/wallet`)}
  curl -s -H "Authorization: Bearer ${adminToken}" ${workerUrl}/.well-known/l402/admin/${plan.hasLedger ? "revenue   # the ledger" : "services   # the admin API"}

Ctrl-C stops everything.
dev: ready
`);
}

/** What to run: the demo, or the operator's configuration; `--backend` (already checked) overrides the node it names. */
function planFor(config: string | undefined, originUrl: string, devVars: string | undefined, backend: Backend | undefined): StackPlan {
  if (config === undefined) return demoPlan(originUrl, devVars ?? join(ROOT, ".dev.vars"), backend);
  if (!existsSync(config)) throw new StartError(`--config ${config}: no such file`);
  try {
    const plan = operatorPlan(readWranglerEnv({ config: resolve(config) }), originUrl);
    return { ...plan, devVarsPath: devVars ?? plan.devVarsPath, backend: backend ?? plan.backend };
  } catch (error) {
    if (error instanceof PlanError) throw new StartError(`--config ${config}: ${error.message}`);
    throw new StartError(`--config ${config}: ${(error as Error).message.split("\n")[0]}`);
  }
}

/** The D1 schema, applied to the local database `wrangler dev` uses (.wrangler/state). */
async function applyMigrations(configPath: string | undefined): Promise<void> {
  const config = configPath === undefined ? [] : ["--config", configPath];
  const child = spawn(join(ROOT, "node_modules", ".bin", "wrangler"), ["d1", "migrations", "apply", "L402_LEDGER", "--local", ...config], {
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
