import { spawnSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { useScratchDirs } from "../setup/scratch-dirs.ts";

const scratchDir = useScratchDirs();

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

describe("the Worker as it would be deployed", () => {
  it("bundles with wrangler's production bundler (deploy --dry-run, minified), small, with its Durable Objects and no dev code", () => {
    const out = scratchDir("l402-bundle-");
    const result = spawnSync(process.execPath, [join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js"), "deploy", "--dry-run", "--outdir", out], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
    });
    expect(result.status, result.stderr).toBe(0);
    const bundle = join(out, "index.js");
    // Every backend is in this bundle (NWC's curve code the largest part of the paywall's ~305 KiB), and the MCP endpoint's
    // SDK (~200 KiB with zod and @cfworker/json-schema, evaluated on the first MCP call only); a bound that catches a library pulled in by mistake.
    expect(statSync(bundle).size).toBeLessThan(540 * 1024);
    const code = readFileSync(bundle, "utf8");
    // The SDK's default validator, Ajv, is aliased out (wrangler.toml, platform/no-ajv.js): the endpoint never uses it.
    expect(code).not.toContain("ajv.addFormat");
    // Minified: one line per thousands of characters.
    expect(code.length / code.split("\n").length).toBeGreaterThan(1000);
    expect(code).toMatch(/export\s*\{[^}]*\bas FreebieCounter\b[^}]*\}/s);
    expect(code).toMatch(/export\s*\{[^}]*\bas TokenMeter\b[^}]*\}/s);
    expect(code).toMatch(/export\s*\{[^}]*\bas TokenBalance\b[^}]*\}/s);
    // The simulator, the tests' libraries and js-macaroon stay out of production.
    for (const devOnly of ["lnd-sim", "fast-check", "tweetnacl", "startSimulator"]) expect(code).not.toContain(devOnly);
    // workerd has URLPattern: #url-pattern's "workerd" condition keeps the polyfill out (its error message would show it).
    expect(code).toContain("URLPattern");
    expect(code).not.toContain("Failed to construct 'URLPattern'");
  }, 60_000);
});
