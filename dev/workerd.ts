import { build } from "esbuild";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";

/** Bundles a Worker entry as wrangler would (ESM; Node built-ins and cloudflare:* modules left to the runtime). */
export async function bundleWorker(entry: URL, banner?: string): Promise<string> {
  const bundle = await build({
    entryPoints: [entry.pathname],
    bundle: true,
    format: "esm",
    platform: "neutral",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["module", "main"],
    external: ["node:*", "cloudflare:*", "util", "crypto", "*.wasm"],
    write: false,
    logLevel: "error",
    ...(banner === undefined ? {} : { banner: { js: banner } }),
  });
  return bundle.outputFiles[0]?.text ?? "";
}

export interface WorkerdExtras {
  readonly ratelimits?: Record<string, { namespace_id: string; simple: { limit: number; period: 10 | 60 } }>;
  /** WebAssembly modules the script imports by these paths, as wrangler bundles a .wasm. */
  readonly wasmModules?: Record<string, Uint8Array<ArrayBuffer>>;
  /** Durable Object bindings → the classes the script exports (with useSQLite for a class on SQL storage, as wrangler.toml's new_sqlite_classes). */
  readonly durableObjects?: Record<string, string | { readonly className: string; readonly useSQLite: boolean }>;
  /** Analytics Engine bindings → their datasets (miniflare keeps the points locally). */
  readonly analyticsEngineDatasets?: Record<string, { readonly dataset: string }>;
  /** D1 bindings, each an empty database of its own. */
  readonly d1Databases?: readonly string[];
  /** A Worker's own wrangler.toml settings (default: the template Worker's). */
  readonly compatibilityDate?: string;
  readonly compatibilityFlags?: readonly string[];
}

/** One Worker's options, as Miniflare takes them. */
function workerOptions(script: string, bindings: Record<string, string>, extras: WorkerdExtras) {
  return {
    modules: [
      { type: "ESModule" as const, path: "worker.mjs", contents: script },
      ...Object.entries(extras.wasmModules ?? {}).map(([path, contents]) => ({ type: "CompiledWasm" as const, path, contents })),
    ],
    compatibilityDate: extras.compatibilityDate ?? "2026-10-01",
    compatibilityFlags: [...(extras.compatibilityFlags ?? ["nodejs_compat"])],
    bindings,
    ratelimits: extras.ratelimits ?? {},
    durableObjects: extras.durableObjects ?? {},
    ...(extras.analyticsEngineDatasets === undefined ? {} : { analyticsEngineDatasets: extras.analyticsEngineDatasets }),
    d1Databases: [...(extras.d1Databases ?? [])],
  };
}

const listening = {
  host: "127.0.0.1",
  port: 0,
  // The Worker logs a line per request; a benchmark's tens of thousands would drown its table.
  handleStructuredLogs: () => {},
};

/** Runs a bundled Worker in workerd, listening on a loopback port. */
export async function startWorkerd(script: string, bindings: Record<string, string> = {}, extras: WorkerdExtras = {}): Promise<{ mf: Miniflare; url: URL }> {
  const mf = new Miniflare(convertV4MiniflareOptions({ ...workerOptions(script, bindings, extras), ...listening }));
  return { mf, url: await mf.ready };
}

/** What answers a request whose Host names none of a group's Workers: Miniflare would otherwise hand it to the first, and a case would measure another Worker unseen. */
const UNROUTED = `export default { fetch: (request) => new Response("no Worker answers the Host " + new URL(request.url).host + "\\n", { status: 421 }) };`;

/**
 * Runs several Workers in one workerd process on one loopback port, each
 * answering the requests whose Host is its name with `.bench` after it
 * (`minimal.bench`); any other Host is answered 421. Cases compared in one
 * process share its allocator, its threads and the CPU the machine gives it;
 * in separate processes, two identical Workers have measured 20% apart.
 */
export async function startWorkerdGroup(
  workers: Record<string, { readonly script: string; readonly bindings?: Record<string, string>; readonly extras?: WorkerdExtras }>,
): Promise<{ mf: Miniflare; url: URL; host: (name: string) => string }> {
  const mf = new Miniflare(convertV4MiniflareOptions({
    workers: [
      { name: "unrouted", ...workerOptions(UNROUTED, {}, {}) },
      ...Object.entries(workers).map(([name, { script, bindings = {}, extras = {} }]) => ({
        name,
        routes: [`${name}.bench/*`],
        ...workerOptions(script, bindings, extras),
      })),
    ],
    ...listening,
  }));
  return { mf, url: await mf.ready, host: (name) => `${name}.bench` };
}
