import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { BACKEND_DEFINE, FEATURE_DEFINES, FULL_BUILD_DEFINES } from "../src/worker/build.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** A build of the template Worker: wrangler.toml's own (`[]`), or with these `--define NAME:VALUE` on top (src/worker/build.ts). */
export type BuildDefines = readonly string[];

/** The builds `npm run bench` and the deploy-bundle test measure: wrangler.toml's (LND), each other backend's, LND with the page, LND with every feature but MCP, and the full one. */
export const NAMED_BUILDS: Readonly<Record<string, BuildDefines>> = {
  "lnd (wrangler.toml)": [],
  cln: [`${BACKEND_DEFINE}:"cln"`],
  lnbits: [`${BACKEND_DEFINE}:"lnbits"`],
  phoenixd: [`${BACKEND_DEFINE}:"phoenixd"`],
  nwc: [`${BACKEND_DEFINE}:"nwc"`],
  "lnd, with the page": [`${FEATURE_DEFINES.page}:true`],
  "lnd, every feature but MCP": Object.entries(FEATURE_DEFINES).flatMap(([feature, define]) => (feature === "mcp" ? [] : [`${define}:true`])),
  "full (every backend and feature)": FULL_BUILD_DEFINES,
};

/**
 * The template Worker as `wrangler deploy` would upload it (minified, as
 * wrangler.toml says), written to `outDir`; its code. Throws with wrangler's
 * output when the build fails.
 */
export function deployBundle(outDir: string, defines: BuildDefines = []): string {
  const result = spawnSync(
    process.execPath,
    [join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js"), "deploy", "--dry-run", "--outdir", outDir, ...defines.flatMap((define) => ["--define", define])],
    { cwd: ROOT, encoding: "utf8", env: { ...process.env, WRANGLER_SEND_METRICS: "false" } },
  );
  if (result.status !== 0) throw new Error(`wrangler deploy --dry-run failed: ${result.stderr}${result.stdout}`);
  return readFileSync(join(outDir, "index.js"), "utf8");
}
