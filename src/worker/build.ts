import { BACKENDS, type Backend } from "../config/index.ts";
import type { WorkerConfig } from "./worker-config.ts";

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
 * another module. A new feature is its global below, its entry in FEATURES,
 * its guard, and its line in wrangler.toml.
 */
declare global {
  /** The one backend this build carries (`'"lnd"'`); unset: every backend. */
  var L402_BUILD_BACKEND: string | undefined;
  /** `false`: no MCP endpoint (the MCP SDK and its validator, most of the full bundle). */
  var L402_BUILD_MCP: boolean | undefined;
}

/**
 * The optional features, each one entry: what it is, its define, whether this build
 * carries it (read here, where esbuild has replaced the define), and what in
 * the config uses it (named in the refusal when the build left it out).
 */
const FEATURES = {
  mcp: {
    what: "the MCP endpoint",
    define: "globalThis.L402_BUILD_MCP",
    carried: () => globalThis.L402_BUILD_MCP !== false,
    usedBy: (config: WorkerConfig) => config.services.filter((service) => service.mcp !== undefined).map((service) => `L402_SERVICES "${service.name}".mcp`),
  },
} as const satisfies Record<string, { readonly what: string; readonly define: string; readonly carried: () => boolean; readonly usedBy: (config: WorkerConfig) => string[] }>;

export type Feature = keyof typeof FEATURES;

export interface WorkerBuild {
  /** Undefined: every backend. A name outside BACKENDS is a build no config can run (check-config says so). */
  readonly backend: string | undefined;
  readonly features: Readonly<Record<Feature, boolean>>;
}

export const BACKEND_DEFINE = "globalThis.L402_BUILD_BACKEND";
const featureNames = Object.keys(FEATURES) as Feature[];

/** The defines of the build that carries everything (`npm run dev`, whatever the config file leaves out), as wrangler's `--define NAME:VALUE`. */
export const FULL_BUILD_DEFINES: readonly string[] = [`${BACKEND_DEFINE}:undefined`, ...featureNames.map((feature) => `${FEATURES[feature].define}:true`)];

/** The build this code was bundled as. */
export function thisBuild(): WorkerBuild {
  return { backend: globalThis.L402_BUILD_BACKEND, features: Object.fromEntries(featureNames.map((feature) => [feature, FEATURES[feature].carried()])) as Record<Feature, boolean> };
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
    features: Object.fromEntries(featureNames.map((feature) => [feature, literal(FEATURES[feature].define) !== false])) as Record<Feature, boolean>,
  };
}

const HOW = 'README, "Deploying": choose the build with wrangler\'s [define]';

/**
 * What the settings use that this build left out: each a settings problem,
 * so the Worker answers 500 `misconfigured` (health names it) rather than
 * run without it, and `npm run check-config` names the define to change.
 */
export function backendProblems(build: WorkerBuild, backend: Backend): string[] {
  if (build.backend !== undefined && !(BACKENDS as readonly string[]).includes(build.backend)) {
    return [`${BACKEND_DEFINE}: ${JSON.stringify(build.backend)} is not a backend (${BACKENDS.join(", ")}); ${HOW}`];
  }
  if (build.backend !== undefined && build.backend !== backend) {
    return [`L402_BACKEND: ${JSON.stringify(backend)} is not in this build of the Worker, which carries ${build.backend} only: build it with ${BACKEND_DEFINE} = '"${backend}"' (${HOW})`];
  }
  return [];
}

export function featureProblems(build: WorkerBuild, config: WorkerConfig): string[] {
  return featureNames.flatMap((feature) => {
    const users = build.features[feature] ? [] : FEATURES[feature].usedBy(config);
    return users.length === 0 ? [] : [`${users.join(", ")}: this build of the Worker leaves ${FEATURES[feature].what} out (${FEATURES[feature].define} = false): remove that define (${HOW})`];
  });
}
