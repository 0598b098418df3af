import { basename } from "node:path";
import { parseArgs } from "node:util";
import { parseConfig } from "../src/worker/load-config.ts";
import { formatSats } from "../src/l402/index.ts";
import { buildOfDefines } from "../src/worker/build.ts";
import { configWarnings } from "../src/worker/config-warnings.ts";
import { readWranglerEnv, WranglerConfigError } from "./wrangler-env.ts";

/**
 * `npm run check-config [-- ENVIRONMENT]`: validates the Worker's configuration
 * (wrangler.toml vars plus .dev.vars secrets, and which bindings are declared)
 * with the Worker's own parser, without starting a runtime. Prints every bad
 * field by name, never a value; exits 1 when any is bad (or the file cannot be
 * read), 2 on bad arguments. Warnings (valid settings that are probably a
 * mistake) do not fail the check.
 */
const USAGE = `usage: npm run check-config [-- [ENVIRONMENT]]

Validates the Worker's configuration as the Worker itself would: wrangler.toml's
vars (those of [env.ENVIRONMENT] when one is named), the secrets in .dev.vars,
and the bindings declared. Names each bad setting, never its value, and exits 1
if there is any; warnings about likely mistakes do not fail the check.
`;

/** Settings that are secrets: `wrangler secret put` for the deployed Worker, `.dev.vars` locally, never `[vars]`. */
const SECRETS = new Set(["L402_MASTER_KEYS", "LND_MACAROON", "CLN_RUNE", "PHOENIXD_PASSWORD", "LNBITS_INVOICE_KEY", "L402_NWC_URI", "L402_ORIGIN_SECRET", "L402_ADMIN_TOKEN", "L402_CONTEXT_KEYS"]);

class UsageError extends Error {}

function readArguments(): { environment: string | undefined } | undefined {
  let parsed: ReturnType<typeof parseArgs<{ allowPositionals: true; options: { help: { type: "boolean"; short: "h" } } }>>;
  try {
    parsed = parseArgs({ args: process.argv.slice(2), allowPositionals: true, options: { help: { type: "boolean", short: "h" } } });
  } catch (error) {
    const option = /'([^']+)'/.exec((error as Error).message)?.[1] ?? "";
    throw new UsageError(`unknown option ${option}`);
  }
  if (parsed.values.help) return undefined;
  if (parsed.positionals.length > 1) throw new UsageError("give at most one environment");
  return { environment: parsed.positionals[0] };
}

/** A missing secret's problem, with where to set it; others as they are. */
function withWhereToSet(problem: string, configFile: string, environment: string | undefined): string {
  const setting = /^([A-Z][A-Z0-9_]*): (?:is required|is not set)\b/.exec(problem)?.[1];
  // A secret an origin header names: whatever it is called, it is a secret.
  const name = setting !== undefined && SECRETS.has(setting) ? setting : /: secret "([^"]+)" is not set$/.exec(problem)?.[1];
  if (name === undefined) return problem;
  const devVars = environment === undefined ? ".dev.vars" : `.dev.vars.${environment} (or .dev.vars)`;
  const put = `npx wrangler secret put ${name}${environment === undefined ? "" : ` --env ${environment}`}`;
  return `${problem} (a secret: for local runs put it in ${devVars} beside ${configFile}; for the deployed Worker, ${put})`;
}

/** A secret written in the config file's `[vars]`: committed with the file and shown in the dashboard. Named, never quoted. */
function exposedSecret(name: string, configFile: string, environment: string | undefined): string {
  const put = `npx wrangler secret put ${name}${environment === undefined ? "" : ` --env ${environment}`}`;
  return `${name}: is a secret, but ${configFile}'s [vars] holds it (committed with the file, shown in the dashboard): remove it there, put it in .dev.vars for local runs, and ${put} for the deployed Worker`;
}

/** Cloudflare's documented size limit for one environment variable (Workers limits: 5 KB). */
const MOST_VAR_BYTES = 5 * 1024;

/** The [vars] larger than Cloudflare takes for one variable, as their text (JSON for a table) measures: a deploy may refuse them. */
function oversizedVars(env: Record<string, unknown>, inConfigVars: readonly string[]): string[] {
  return inConfigVars.flatMap((name) => {
    const value = env[name];
    const bytes = new TextEncoder().encode(typeof value === "string" ? value : JSON.stringify(value)).length;
    return bytes > MOST_VAR_BYTES ? [`${name}: is ${bytes} bytes, and Cloudflare documents ${MOST_VAR_BYTES} as the most one variable may hold (Workers limits): a deploy may refuse it`] : [];
  });
}

async function main(): Promise<void> {
  const args = readArguments();
  if (args === undefined) {
    process.stdout.write(USAGE);
    return;
  }
  const { environment } = args;
  const { env, configPath, inConfigVars, define, crons } = readWranglerEnv(environment === undefined ? {} : { environment });
  // The build the config's [define] makes, not the full one this script is: what it leaves out, the Worker refuses.
  const result = parseConfig(env, buildOfDefines(define));
  const exposed = inConfigVars.filter((name) => SECRETS.has(name)).map((name) => exposedSecret(name, basename(configPath), environment));
  if (!result.ok || exposed.length > 0) {
    for (const problem of [...exposed, ...(result.ok ? [] : result.problems)]) process.stderr.write(`check-config: ${withWhereToSet(problem, basename(configPath), environment)}\n`);
    process.exitCode = 1;
    return;
  }
  const declared = { mintLimiter: env["L402_MINT_LIMITER"] !== undefined, networkMintLimiter: env["L402_MINT_NETWORK_LIMITER"] !== undefined, ledger: env["L402_LEDGER"] !== undefined, crons };
  for (const warning of [...oversizedVars(env, inConfigVars), ...configWarnings(result.value, declared)]) {
    process.stderr.write(`check-config: warning: ${warning}\n`);
  }
  const { services, network, keyring, node } = result.value;
  const where = node.backend === "nwc" ? `NWC wallet ${node.connection.walletPubkey.slice(0, 12)}… via ${new URL(node.connection.relay).host}` : `${node.backend} at ${new URL(node.url).host}`;
  process.stdout.write(
    `check-config: OK — network ${network}, ${keyring.byId.size} master key(s), ${where}\n` +
      services
        .map((s) => {
          const schemes = s.schemes.map((scheme) => ({ l402: "L402", mpp: "Payment" })[scheme] ?? scheme).join("+");
          const terms = s.auth ? `${formatSats(s.priceMsat)} sat (${schemes}${s.browser ? ", browsers" : ""})` : "free (auth off)";
          return `  ${s.name}: ${terms}, origin ${s.origin.url?.host ?? "(the request's own URL)"}\n`;
        })
        .join(""),
  );
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    process.stderr.write(`check-config: ${error.message} (see --help)\n`);
    process.exitCode = 2;
  } else if (error instanceof WranglerConfigError) {
    process.stderr.write(`check-config: ${error.message}\n`);
    process.exitCode = 1;
  } else {
    process.stderr.write(`check-config: ${(error as Error).message.split("\n")[0]}\n`);
    process.exitCode = 2;
  }
});
