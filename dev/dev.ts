import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { BACKENDS, type Backend } from "../src/config/index.ts";
import { FULL_BUILD_DEFINES } from "../src/worker/build.ts";
import { startDemoOrigin } from "./demo-origin.ts";
import { isBackend, startDevBackend } from "./dev-backend.ts";
import { UnhealthyError, waitForHealth } from "./health-wait.ts";
import { startSimulator } from "./lnd-sim/server.ts";
import { freePort, isPortFree } from "./ports.ts";
import { claimStackFiles, DevVarsError, ensureDevVars } from "./stack-files.ts";
import { demoPlan, operatorPlan, PlanError, type StackPlan } from "./stack-plan.ts";
import { readWranglerEnv, WranglerConfigError } from "./wrangler-env.ts";

/**
 * `npm run dev`: the whole paywall on this machine. The LND simulator (with,
 * for `--backend nwc|lnbits|phoenixd|cln`, that backend's simulator over the
 * same node), an NWC wallet a client can pay with, a demo origin, and
 * `wrangler dev` running the Worker against them, with the demo services or
 * (`--config FILE`) the operator's own. Ctrl-C stops all.
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

/** The port flags of the backends' simulators: each only with its own --backend (the relay serves every stack). */
const BACKEND_PORT_FLAGS = { lnbits: "lnbits-port", phoenixd: "phoenixd-port", cln: "cln-port" } as const;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: "8787" },
      "lnd-port": { type: "string", default: "8180" },
      "origin-port": { type: "string", default: "8181" },
      "inspector-port": { type: "string" },
      "relay-port": { type: "string" },
      "lnbits-port": { type: "string" },
      "phoenixd-port": { type: "string" },
      "cln-port": { type: "string" },
      "dev-vars": { type: "string" },
      config: { type: "string" },
      backend: { type: "string" },
    },
  });
  if (values.backend !== undefined && !isBackend(values.backend)) throw new StartError(`--backend must be one of ${BACKENDS.join(", ")}`);
  const ports = { worker: port(values.port, "--port"), lnd: port(values["lnd-port"], "--lnd-port"), origin: port(values["origin-port"], "--origin-port") };
  const optional = (flag: "inspector-port" | "relay-port" | "lnbits-port" | "phoenixd-port" | "cln-port") => (values[flag] === undefined ? undefined : port(values[flag], `--${flag}`));
  let inspector = optional("inspector-port");
  const simPorts = { relay: optional("relay-port"), lnbits: optional("lnbits-port"), phoenixd: optional("phoenixd-port"), cln: optional("cln-port") };
  const originUrl = `http://${HOST}:${ports.origin}`;
  const plan = planFor(values.config, originUrl, values["dev-vars"], values.backend);
  for (const [backend, flag] of Object.entries(BACKEND_PORT_FLAGS)) {
    if (values[flag] !== undefined && plan.backend !== backend) throw new StartError(`--${flag} is for --backend ${backend} (this stack runs ${plan.backend})`);
  }
  const flagged = [["--port", ports.worker], ["--lnd-port", ports.lnd], ["--origin-port", ports.origin], ["--inspector-port", inspector], ...Object.entries(simPorts).map(([sim, value]) => [`--${sim}-port`, value] as const)] as const;
  const claimedBy = new Map<number, string>();
  for (const [flag, value] of flagged) {
    if (value === undefined) continue;
    const other = claimedBy.get(value);
    if (other !== undefined) throw new StartError(`${flag} ${value} is also ${other}'s: give each its own port`);
    claimedBy.set(value, flag);
    await ensureFree(value, flag);
  }
  const created = ensureDevVars(plan.devVarsPath);
  const files = claimStackFiles(plan.configPath === undefined ? ROOT : dirname(plan.configPath));
  if (files.beside !== undefined) {
    process.stdout.write(`dev: another npm run dev${files.beside.pid === undefined ? "" : ` (pid ${files.beside.pid})`} holds .wrangler/state; this stack keeps its state and secrets in ${files.beside.directory} until it stops\n`);
  }
  process.once("exit", () => files.release());
  // wrangler's default inspector port (9229, or another if taken) races when two stacks start together: the second takes its own.
  if (files.beside !== undefined && inspector === undefined) inspector = await freePort(HOST);
  if (plan.hasLedger) await applyMigrations(plan.configPath, files.stateDirectory);

  const originSecret = plan.originSecret ?? randomBytes(16).toString("hex");
  const adminToken = randomBytes(24).toString("hex");
  const sim = await startSimulator({ host: HOST, port: ports.lnd, network: plan.network });
  const node = await startDevBackend(plan.backend, sim, HOST, simPorts);
  const origin = await startDemoOrigin(ports.origin, originSecret, HOST, plan.originAuthHeader);
  // Secrets for the Worker go in an env file, not on the command line, so wrangler's banner hides them: this stack's own file.
  const secretsFile = files.writeSecrets({ ...node.secrets, L402_ORIGIN_SECRET: originSecret, L402_ADMIN_TOKEN: adminToken });

  const wrangler = spawn(
    join(ROOT, "node_modules", ".bin", "wrangler"),
    [
      // This project's Worker, whatever entry the configuration file names.
      "dev", join(ROOT, "src", "worker", "index.ts"), "--port", String(ports.worker), "--ip", HOST, "--show-interactive-dev-session=false",
      ...(plan.configPath === undefined ? [] : ["--config", plan.configPath]),
      ...(inspector === undefined ? [] : ["--inspector-port", String(inspector)]),
      ...(plan.demoOriginIsUpstream ? ["--local-upstream", `${HOST}:${ports.origin}`] : []),
      // Every backend's simulator and the demo's MCP tool: the full build, whatever the config file's [define] leaves out (check-config says what that build refuses).
      ...FULL_BUILD_DEFINES.flatMap((define) => ["--define", define]),
      "--persist-to", files.stateDirectory,
      "--env-file", plan.devVarsPath, "--env-file", secretsFile,
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
  // A second signal while stopping (Ctrl-C again, the terminal closed) ends at once, through "exit": the stack's files and secrets are released all the same.
  const onSignal = () => {
    if (!stopping) return void stop(0);
    wrangler.kill("SIGKILL");
    process.exit(130);
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, onSignal);
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
    if (!(error instanceof UnhealthyError)) throw error;
    process.stderr.write(`dev: ${error.message.replace(/\n?$/, "\n")}`);
    return stop(1);
  }
  process.stdout.write(`
l402-edge is running locally${created ? ` (${created})` : ""}:
  paywall (Worker)   ${workerUrl}
  its node           ${node.description}
  LND simulator      ${sim.url}   (${plan.network}; the admin macaroon below pays invoices)
  demo origin        ${origin.url}   (refuses requests that skip the paywall)

A wallet for l402-edge get, paying through the simulator's node: LND,
  export LND_REST_URL=${sim.url} LND_MACAROON=${sim.adminMacaroonHex}
or Nostr Wallet Connect (export one of the two, not both):
  export L402_NWC_URI='${node.clientNwcUri}'

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
    // A TOML syntax error names the file itself, at its line and column.
    if (error instanceof WranglerConfigError) throw new StartError(/^\S+:\d+:\d+: /.test(error.message) ? error.message : `--config ${config}: ${error.message}`);
    throw new StartError(`--config ${config}: ${(error as Error).message.split("\n")[0]}`);
  }
}

/** The D1 schema, applied to the local database this stack's `wrangler dev` uses (its `--persist-to`). */
async function applyMigrations(configPath: string | undefined, stateDirectory: string): Promise<void> {
  const config = configPath === undefined ? [] : ["--config", configPath];
  const child = spawn(join(ROOT, "node_modules", ".bin", "wrangler"), ["d1", "migrations", "apply", "L402_LEDGER", "--local", "--persist-to", stateDirectory, ...config], {
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

main().catch((error: unknown) => {
  const known = error instanceof StartError || error instanceof DevVarsError;
  process.stderr.write(`dev: ${known ? error.message : String(error)}\n`);
  process.exit(known ? 2 : 1);
});
