import { readFileSync, renameSync, writeFileSync } from "node:fs";

const ROOT = new URL("../../", import.meta.url);

/**
 * The wrangler config the workerd tests run: wrangler.toml without its
 * `[define]`, so the tests run the full build (every backend and feature), as
 * `npm run dev` does. The Workers Vitest integration would set each define as
 * a global when its runner starts, where a deployed bundle has them folded
 * away (src/worker/build.ts), and a module that reads one as it loads (the
 * Worker's Durable Object exports) would see it. Written beside wrangler.toml,
 * whose paths are relative to it; git ignores it. test/node/deploy-bundle.test.ts
 * holds the builds as wrangler bundles them.
 */
export function fullBuildConfig(): string {
  const lines = readFileSync(new URL("wrangler.toml", ROOT), "utf8").split("\n");
  const start = lines.findIndex((line) => line.trim() === "[define]");
  if (start !== -1) {
    const next = lines.findIndex((line, index) => index > start && line.trimStart().startsWith("["));
    lines.splice(start, (next === -1 ? lines.length : next) - start);
  }
  // Written whole, then renamed: a run starting beside this one never reads half a file.
  const written = new URL(`wrangler.full-build.toml.${process.pid}`, ROOT);
  writeFileSync(written, lines.join("\n"));
  renameSync(written, new URL("wrangler.full-build.toml", ROOT));
  return "./wrangler.full-build.toml";
}
