import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { cruise, type IConfiguration } from "dependency-cruiser";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SRC = join(ROOT, "src");

describe("architecture", () => {
  it("every import follows the rules in .dependency-cruiser.cjs", async () => {
    const { default: config } = (await import(join(ROOT, ".dependency-cruiser.cjs"))) as { default: IConfiguration };
    const result = await cruise(["src", "bench", "dev", "test"], { ...config.options, validate: true, ruleSet: { forbidden: config.forbidden ?? [] }, baseDir: ROOT });
    if (typeof result.output === "string") throw new Error(result.output);
    const { summary } = result.output;
    expect(summary.totalCruised).toBeGreaterThan(100);
    expect(summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`)).toEqual([]);
  });

  it.each(["macaroon", "l402"])("src/%s mentions no Workers or Node global", (folder) => {
    for (const file of readdirSync(join(SRC, folder))) {
      const source = readFileSync(join(SRC, folder, file), "utf8").replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
      expect(source, file).not.toMatch(/\b(Buffer|process|require|caches|Request|Response|Headers|ExecutionContext)\b/);
    }
  });
});
