import { isAbsolute, relative } from "node:path";
import { unstable_getVarsForDev, unstable_readConfig } from "wrangler";

/**
 * What a Worker configured by a wrangler file would find in its env: the vars,
 * the secrets of the `.dev.vars` beside the file, and placeholders for its
 * declared bindings (only their presence matters outside the runtime). Read by
 * wrangler's own config reader, so it sees what `wrangler dev` and `deploy` see.
 */
export interface WranglerEnv {
  readonly configPath: string;
  readonly env: Record<string, unknown>;
  /** The config declares routes: `wrangler dev` then presents requests as addressed to the route's host. */
  readonly hasRoutes: boolean;
  /** The names the config file's own `[vars]` set (committed with it, shown in the dashboard), as against `.dev.vars`. */
  readonly inConfigVars: readonly string[];
  /** The config's `[define]`: what the bundle is built with (src/worker/build.ts reads the Worker's build from it). */
  readonly define: Readonly<Record<string, string>>;
  /** The config's `[triggers]` crons (the Worker's `scheduled` runs). */
  readonly crons: readonly string[];
}

/** The configuration file could not be read: a TOML syntax error (at `file:line:column`), an unknown environment, … */
export class WranglerConfigError extends Error {}

export function readWranglerEnv(options: { config?: string; environment?: string } = {}): WranglerEnv {
  let config: ReturnType<typeof unstable_readConfig>;
  try {
    config = unstable_readConfig({ ...(options.config === undefined ? {} : { config: options.config }), ...(options.environment === undefined ? {} : { env: options.environment }) }, { hideWarnings: true });
  } catch (error) {
    throw new WranglerConfigError(describeReadError(error));
  }
  const vars = unstable_getVarsForDev(config.configPath, undefined, config.vars, options.environment, true);
  const env: Record<string, unknown> = Object.fromEntries(Object.entries(vars).map(([name, binding]) => [name, binding.value]));
  for (const { name } of [...config.durable_objects.bindings, ...config.ratelimits]) env[name] = { binding: name };
  for (const { binding } of config.d1_databases) env[binding] = { binding };
  return { configPath: config.configPath ?? "wrangler.toml", env, hasRoutes: (config.routes?.length ?? 0) > 0 || config.route !== undefined, inConfigVars: Object.keys(config.vars ?? {}), define: config.define, crons: config.triggers?.crons ?? [] };
}

/** Where wrangler's TOML parser stopped (its line is 1-based, its column 0-based). */
interface ParseLocation {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/**
 * A TOML syntax error as editors and compilers name one, `wrangler.toml:5:24:
 * what`, with a 1-based column; any other error by its first paragraph (wrangler
 * follows it with advice about its own flags).
 */
function describeReadError(error: unknown): string {
  const { location, text } = error as { location?: Partial<ParseLocation>; text?: unknown };
  if (typeof location?.file === "string" && typeof location.line === "number" && typeof location.column === "number") {
    const shown = relative(process.cwd(), location.file);
    const file = shown.startsWith("..") || isAbsolute(shown) ? location.file : shown;
    return `${file}:${location.line}:${location.column + 1}: ${typeof text === "string" ? text : (error as Error).message}`;
  }
  return String((error as Error).message ?? error).split(/\n\s*\n/)[0] ?? "";
}
