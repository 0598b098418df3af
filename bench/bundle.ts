import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { deployBundle, NAMED_BUILDS } from "../dev/deploy-bundle.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** The template Worker as `wrangler deploy --minify` would upload it: bytes, and gzipped (what Cloudflare's limits count). */
export function benchBundle(): void {
  const out = mkdtempSync(join(tmpdir(), "l402-bundle-"));
  execFileSync(join(ROOT, "node_modules", ".bin", "wrangler"), ["deploy", "--dry-run", "--minify", "--outdir", out], { cwd: ROOT, stdio: "pipe", env: { ...process.env, WRANGLER_SEND_METRICS: "false" } });
  const bundle = readFileSync(join(out, "index.js"));
  rmSync(out, { recursive: true, force: true });
  const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
  console.log(`\nThe template Worker, minified by wrangler deploy --dry-run --minify: ${kib(bundle.length)}, gzip ${kib(gzipSync(bundle, { level: 9 }).length)}`);
}

/** Each build of the template Worker (src/worker/build.ts: a backend, and the optional features it carries), as `wrangler deploy` would upload it. */
export function benchBuilds(): void {
  const out = mkdtempSync(join(tmpdir(), "l402-builds-"));
  const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`.padStart(10);
  console.log("\nEach build of the template Worker (wrangler deploy --dry-run, minified; --define on top of wrangler.toml's)");
  try {
    for (const [index, [name, defines]] of Object.entries(NAMED_BUILDS).entries()) {
      const code = Buffer.from(deployBundle(join(out, String(index)), defines));
      console.log(`  ${name.padEnd(34)} ${kib(code.length)}, gzip ${kib(gzipSync(code, { level: 9 }).length)}`);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
