import { dirname, resolve } from "node:path";
import { createTestHarness } from "wrangler";

/**
 * The template Worker in workerd, as `wrangler.toml` declares it (its Durable
 * Objects, D1 with the migrations applied, Cache API, rate limiter), with vars
 * and secrets given here, listening on a loopback port: for the browser tests
 * and the screenshots. (`npm run dev` runs `wrangler dev` itself.)
 */
const ROOT = resolve(dirname(new URL(import.meta.url).pathname), "..");

export interface LocalWorker {
  /** e.g. http://127.0.0.1:PORT */
  readonly url: string;
  close(): Promise<void>;
}

export async function startLocalWorker(settings: { readonly vars: Record<string, string>; readonly secrets: Record<string, string> }): Promise<LocalWorker> {
  const harness = createTestHarness({ root: ROOT, workers: [{ configPath: "./wrangler.toml", vars: settings.vars, secrets: settings.secrets }] });
  const { url } = await harness.listen();
  await harness.getWorker().applyD1Migrations("L402_LEDGER");
  return { url: url.origin, close: () => harness.close() };
}
