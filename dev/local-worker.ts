import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createTestHarness } from "wrangler";
import { FULL_BUILD_DEFINES } from "../src/worker/build.ts";
import { deployBundle } from "./deploy-bundle.ts";

/**
 * The template Worker in workerd, as `wrangler.toml` declares it (its Durable
 * Objects, D1 with the migrations applied, Cache API, rate limiter), with vars
 * and secrets given here, listening on a loopback port: for the browser tests
 * and the screenshots. (`npm run dev` runs `wrangler dev` itself.) It is the
 * full build (every backend and feature, src/worker/build.ts), as `npm run dev`
 * runs: wrangler.toml's own leaves out the page and browser payments these show.
 */
const ROOT = resolve(dirname(new URL(import.meta.url).pathname), "..");

export interface LocalWorker {
  /** e.g. http://127.0.0.1:PORT */
  readonly url: string;
  close(): Promise<void>;
}

let fullBuild: string | undefined;
/** Built once per process: wrangler's bundling takes seconds, and every stack runs the same code. */
function fullBuildDir(): string {
  if (fullBuild === undefined) {
    const dir = mkdtempSync(join(tmpdir(), "l402-full-build-"));
    deployBundle(dir, FULL_BUILD_DEFINES);
    fullBuild = dir;
  }
  return fullBuild;
}

export async function startLocalWorker(settings: { readonly vars: Record<string, string>; readonly secrets: Record<string, string> }): Promise<LocalWorker> {
  const harness = createTestHarness({ root: ROOT, workers: [{ configPath: "./wrangler.toml", prebuiltWorkerDir: fullBuildDir(), vars: settings.vars, secrets: settings.secrets }] });
  const { url } = await harness.listen();
  await harness.getWorker().applyD1Migrations("L402_LEDGER");
  return { url: url.origin, close: () => harness.close() };
}
