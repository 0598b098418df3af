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

/** Runs a bundled Worker in workerd, listening on a loopback port. */
export async function startWorkerd(script: string, bindings: Record<string, string> = {}, extras: WorkerdExtras = {}): Promise<{ mf: Miniflare; url: URL }> {
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      modules: [
        { type: "ESModule", path: "worker.mjs", contents: script },
        ...Object.entries(extras.wasmModules ?? {}).map(([path, contents]) => ({ type: "CompiledWasm" as const, path, contents })),
      ],
      compatibilityDate: extras.compatibilityDate ?? "2026-10-01",
      compatibilityFlags: [...(extras.compatibilityFlags ?? ["nodejs_compat"])],
      bindings,
      ratelimits: extras.ratelimits ?? {},
      durableObjects: extras.durableObjects ?? {},
      ...(extras.analyticsEngineDatasets === undefined ? {} : { analyticsEngineDatasets: extras.analyticsEngineDatasets }),
      d1Databases: [...(extras.d1Databases ?? [])],
      host: "127.0.0.1",
      port: 0,
      // The Worker logs a line per request; a benchmark's tens of thousands would drown its table.
      handleStructuredLogs: () => {},
    }),
  );
  return { mf, url: await mf.ready };
}
