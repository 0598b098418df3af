import { BACKENDS, type Backend, type ServiceConfig } from "../config/index.ts";

/**
 * What this build of the template Worker carries, chosen when it is bundled:
 * wrangler's `[define]` (wrangler.toml) replaces these globals with literals,
 * and esbuild drops the code behind a `false` or another backend's name, so
 * an isolate parses only what the operator uses. Unset (the Workers Vitest
 * integration, `npm run dev`, the benchmarks, the package's dist), the build
 * carries everything.
 *
 * The code a flag guards must test `globalThis.L402_BUILD_…` itself, in the
 * condition of the branch that reaches it (an `import()` included): esbuild
 * folds a replaced literal there, not a copy of it kept in a variable or in
 * another module. A new flag is a line in `BuildFlags`, in `FEATURE_DEFINES`
 * and in `thisBuild()`; its guard; and its line in wrangler.toml.
 */
declare global {
  /** The one backend this build carries (`'"lnd"'`); unset: every backend. */
  var L402_BUILD_BACKEND: string | undefined;
  /** `false`: no MCP endpoint (the MCP SDK and its validator, most of the full bundle). */
  var L402_BUILD_MCP: boolean | undefined;
}

export interface WorkerBuild {
  /** Undefined: every backend. A name outside BACKENDS is a build no config can run (check-config says so). */
  readonly backend: string | undefined;
  readonly features: BuildFlags;
}

/** The optional features, each carried unless its define is `false`. */
export interface BuildFlags {
  readonly mcp: boolean;
}

/** Each feature's define, as wrangler.toml's `[define]` names it. */
export const FEATURE_DEFINES: { readonly [F in keyof BuildFlags]: string } = {
  mcp: "globalThis.L402_BUILD_MCP",
};
export const BACKEND_DEFINE = "globalThis.L402_BUILD_BACKEND";

/** The defines of the build that carries everything (`npm run dev`, whatever the config file leaves out), as wrangler's `--define NAME:VALUE`. */
export const FULL_BUILD_DEFINES: readonly string[] = [`${BACKEND_DEFINE}:undefined`, ...Object.values(FEATURE_DEFINES).map((name) => `${name}:true`)];

/** The build this code was bundled as. */
export function thisBuild(): WorkerBuild {
  return { backend: globalThis.L402_BUILD_BACKEND, features: { mcp: globalThis.L402_BUILD_MCP !== false } };
}

/** The build a wrangler config's `define` table selects (values are JavaScript source, as esbuild reads them), for `npm run check-config`. */
export function buildOfDefines(define: Readonly<Record<string, string>>): WorkerBuild {
  const literal = (name: string): unknown => {
    const source = define[name];
    if (source === undefined || source === "undefined") return undefined;
    try {
      return JSON.parse(source) as unknown;
    } catch {
      return source;
    }
  };
  const backend = literal(BACKEND_DEFINE);
  return {
    backend: backend === undefined ? undefined : String(backend),
    features: { mcp: literal(FEATURE_DEFINES.mcp) !== false },
  };
}

const HOW = 'README, "Deploying": choose the build with wrangler\'s [define]';

/**
 * What the settings use that this build left out: each a settings problem,
 * so the Worker answers 500 `misconfigured` (health names it) rather than
 * run without it, and `npm run check-config` names the build to deploy.
 */
export function buildProblems(build: WorkerBuild, backend: Backend, services: readonly ServiceConfig[]): string[] {
  const problems: string[] = [];
  if (build.backend !== undefined && !(BACKENDS as readonly string[]).includes(build.backend)) {
    problems.push(`${BACKEND_DEFINE}: ${JSON.stringify(build.backend)} is not a backend (${BACKENDS.join(", ")}); ${HOW}`);
  } else if (build.backend !== undefined && build.backend !== backend) {
    problems.push(`L402_BACKEND: ${JSON.stringify(backend)} is not in this build of the Worker, which carries ${build.backend} only: build it with ${BACKEND_DEFINE} = '"${backend}"' (${HOW})`);
  }
  const tools = services.filter((service) => service.mcp !== undefined).map((service) => `"${service.name}"`);
  if (!build.features.mcp && tools.length > 0) {
    problems.push(`L402_SERVICES ${tools.join(", ")}: sold as MCP tools, but this build of the Worker leaves the MCP endpoint out (${FEATURE_DEFINES.mcp} = false): remove that define (${HOW})`);
  }
  return problems;
}
