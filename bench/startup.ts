import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deployBundle, NAMED_BUILDS } from "../dev/deploy-bundle.ts";
import { startWorkerd } from "../dev/workerd.ts";
import { BARE_WORKER } from "./bare-worker.ts";
import { median } from "./measure.ts";

const ROUNDS = 9;

/**
 * The isolate's start-up cost: milliseconds from starting a fresh workerd
 * (Miniflare) with the script to the first 200 it answers, forwarded from a
 * loopback origin, median of rounds that alternate the scripts so drift on
 * the machine affects each alike. The process start is in every figure alike;
 * what a script adds over the bare Worker is its parsing and top-level
 * evaluation and, for the template, building its app from the settings on the
 * first request (to a service with `auth: false`: forwarded, no node involved).
 */
export async function benchStartup(): Promise<void> {
  const origin = createServer((_request, response) => response.writeHead(200, { "content-type": "text/plain" }).end("ok"));
  await new Promise<void>((resolve) => origin.listen(0, "127.0.0.1", resolve));
  const originUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
  const out = mkdtempSync(join(tmpdir(), "l402-startup-"));
  const template = {
    L402_MASTER_KEYS: "55".repeat(32),
    L402_NETWORK: "regtest",
    LND_REST_URL: "http://127.0.0.1:9",
    LND_MACAROON: "ab".repeat(32),
    L402_SERVICES: JSON.stringify([
      { name: "paid", match: ["/paid/*"], price_sats: 1, origin: { url: originUrl } },
      { name: "open", match: ["/first"], price_sats: 1, auth: false, origin: { url: originUrl } },
    ]),
  };
  const scripts: Record<string, { script: string; bindings: Record<string, string> }> = {
    "bare forwarding Worker": { script: BARE_WORKER, bindings: { ORIGIN: originUrl } },
    "template, LND build (wrangler.toml)": { script: deployBundle(join(out, "lnd")), bindings: template },
    "template, full build": { script: deployBundle(join(out, "full"), NAMED_BUILDS["full (every backend and feature)"]), bindings: template },
  };
  rmSync(out, { recursive: true, force: true });
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(scripts).map((name) => [name, []]));
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, { script, bindings }] of Object.entries(scripts)) {
        const start = performance.now();
        const { mf, url } = await startWorkerd(script, bindings);
        const response = await fetch(new URL("/first", url));
        await response.text();
        const elapsed = performance.now() - start;
        await mf.dispose();
        if (response.status !== 200) throw new Error(`${name} answered ${response.status} to its first request`);
        samples[name]?.push(elapsed);
      }
    }
  } finally {
    origin.close();
  }
  const bare = median(samples["bare forwarding Worker"] ?? []);
  console.log(`\nStart-up: a fresh workerd to its first 200 (forwarded), median of ${ROUNDS} alternating rounds`);
  for (const [name, values] of Object.entries(samples)) {
    const ms = median(values);
    console.log(`  ${name.padEnd(38)} ${ms.toFixed(1).padStart(7)} ms${name.startsWith("bare") ? "" : `  (+${(ms - bare).toFixed(1)} ms over bare)`}`);
  }
}
