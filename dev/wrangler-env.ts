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
}

export function readWranglerEnv(options: { config?: string; environment?: string } = {}): WranglerEnv {
  const config = unstable_readConfig({ ...(options.config === undefined ? {} : { config: options.config }), ...(options.environment === undefined ? {} : { env: options.environment }) }, { hideWarnings: true });
  const vars = unstable_getVarsForDev(config.configPath, undefined, config.vars, options.environment, true);
  const env: Record<string, unknown> = Object.fromEntries(Object.entries(vars).map(([name, binding]) => [name, binding.value]));
  for (const { name } of [...config.durable_objects.bindings, ...config.ratelimits]) env[name] = { binding: name };
  for (const { binding } of config.d1_databases) env[binding] = { binding };
  return { configPath: config.configPath ?? "wrangler.toml", env, hasRoutes: (config.routes?.length ?? 0) > 0 || config.route !== undefined };
}
