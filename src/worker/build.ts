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
  /** `false`: no x402 scheme (a service's `schemes` "x402"). */
  var L402_BUILD_X402: boolean | undefined;
  /** `false`: no Payment scheme (a service's `schemes` "mpp"). */
  var L402_BUILD_MPP: boolean | undefined;
  /** `false`: no 402 page for browsers (its QR code, its script): a browser gets the JSON 402 a program does. */
  var L402_BUILD_PAGE: boolean | undefined;
  /** `false`: no browser payments (a service's `browser`): the page's script, its cookie and poll steps. */
  var L402_BUILD_BROWSER: boolean | undefined;
  /** `false`: no prepaid balances (a service's `balance`: its cost header, its metered streams). */
  var L402_BUILD_BALANCE: boolean | undefined;
  /** `false`: no request pricing (a service's `price_rules`, `pricer`): every request at its service's price. */
  var L402_BUILD_PRICES: boolean | undefined;
  /** `false`: no admin API and no operator dashboard (L402_ADMIN_TOKEN), nor the decision counts kept in D1 for them (L402_DECISION_FLUSH_SECONDS). */
  var L402_BUILD_ADMIN: boolean | undefined;
  /** `false`: no run-time overrides (L402_OVERRIDES). */
  var L402_BUILD_OVERRIDES: boolean | undefined;
  /** `false`: no invoice pool (L402_INVOICE_POOL_SIZE above 0). */
  var L402_BUILD_POOL: boolean | undefined;
  /** `false`: no signed payment context (L402_CONTEXT_KEYS). */
  var L402_BUILD_CONTEXT: boolean | undefined;
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
    usedBy: (config: WorkerConfig) => servicesWith(config, "mcp", (service) => service.mcp !== undefined),
  },
  x402: {
    what: "the x402 scheme",
    define: "globalThis.L402_BUILD_X402",
    carried: () => globalThis.L402_BUILD_X402 !== false,
    usedBy: (config: WorkerConfig) => servicesWith(config, 'schemes "x402"', (service) => service.schemes.includes("x402")),
  },
  mpp: {
    what: "the Payment scheme",
    define: "globalThis.L402_BUILD_MPP",
    carried: () => globalThis.L402_BUILD_MPP !== false,
    usedBy: (config: WorkerConfig) => servicesWith(config, 'schemes "mpp"', (service) => service.schemes.includes("mpp")),
  },
  page: {
    what: "the 402 page for browsers",
    define: "globalThis.L402_BUILD_PAGE",
    carried: () => globalThis.L402_BUILD_PAGE !== false,
    // What only the page shows: a browser-payments service is paid on it, the fiat estimate is written on it.
    usedBy: (config: WorkerConfig) => [...servicesWith(config, "browser", (service) => service.browser), ...(config.fiatRate === undefined ? [] : ["L402_FIAT_RATE"])],
  },
  browser: {
    what: "browser payments",
    define: "globalThis.L402_BUILD_BROWSER",
    carried: () => globalThis.L402_BUILD_BROWSER !== false,
    usedBy: (config: WorkerConfig) => servicesWith(config, "browser", (service) => service.browser),
  },
  balance: {
    what: "prepaid balances",
    define: "globalThis.L402_BUILD_BALANCE",
    carried: () => globalThis.L402_BUILD_BALANCE !== false,
    usedBy: (config: WorkerConfig) => servicesWith(config, "balance", (service) => service.balance !== undefined),
  },
  prices: {
    what: "request pricing",
    define: "globalThis.L402_BUILD_PRICES",
    carried: () => globalThis.L402_BUILD_PRICES !== false,
    usedBy: (config: WorkerConfig) => [
      ...servicesWith(config, "price_rules", (service) => service.pricing.rules.length > 0),
      ...servicesWith(config, "pricer", (service) => service.pricing.pricer !== undefined),
    ],
  },
  admin: {
    what: "the admin API, the operator dashboard and the decision counts they read from D1",
    define: "globalThis.L402_BUILD_ADMIN",
    carried: () => globalThis.L402_BUILD_ADMIN !== false,
    usedBy: (config: WorkerConfig) => [...(config.adminToken === undefined ? [] : ["L402_ADMIN_TOKEN"]), ...(config.decisionFlushSeconds === undefined ? [] : ["L402_DECISION_FLUSH_SECONDS"])],
  },
  overrides: {
    what: "run-time overrides",
    define: "globalThis.L402_BUILD_OVERRIDES",
    carried: () => globalThis.L402_BUILD_OVERRIDES !== false,
    usedBy: (config: WorkerConfig) => (config.overridesTtlSeconds === undefined ? [] : ["L402_OVERRIDES"]),
  },
  pool: {
    what: "the invoice pool",
    define: "globalThis.L402_BUILD_POOL",
    carried: () => globalThis.L402_BUILD_POOL !== false,
    usedBy: (config: WorkerConfig) => (config.invoicePool.size === 0 ? [] : ["L402_INVOICE_POOL_SIZE"]),
  },
  context: {
    what: "the signed payment context",
    define: "globalThis.L402_BUILD_CONTEXT",
    carried: () => globalThis.L402_BUILD_CONTEXT !== false,
    usedBy: (config: WorkerConfig) => (config.paymentContext === undefined ? [] : ["L402_CONTEXT_KEYS"]),
  },
} as const satisfies Record<string, { readonly what: string; readonly define: string; readonly carried: () => boolean; readonly usedBy: (config: WorkerConfig) => string[] }>;

export type Feature = keyof typeof FEATURES;

/** The services whose `field` uses a feature, named as the config names them. */
function servicesWith(config: WorkerConfig, field: string, uses: (service: WorkerConfig["services"][number]) => boolean): string[] {
  return config.services.filter(uses).map((service) => `L402_SERVICES "${service.name}".${field}`);
}

export interface WorkerBuild {
  /** Undefined: every backend. A name outside BACKENDS is a build no config can run (check-config says so). */
  readonly backend: string | undefined;
  readonly features: Readonly<Record<Feature, boolean>>;
}

export const BACKEND_DEFINE = "globalThis.L402_BUILD_BACKEND";
const featureNames = Object.keys(FEATURES) as Feature[];

/** Each optional feature's define (what `--define NAME:true` puts back). */
export const FEATURE_DEFINES: Readonly<Record<Feature, string>> = Object.fromEntries(featureNames.map((feature) => [feature, FEATURES[feature].define])) as Record<Feature, string>;

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
