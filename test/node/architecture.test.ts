import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { cruise, type IConfiguration } from "dependency-cruiser";
import ts from "typescript";
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

  it.each(["macaroon", "l402", "x402", "context"])("src/%s mentions no Workers or Node global", (folder) => {
    for (const file of readdirSync(join(SRC, folder))) {
      const source = readFileSync(join(SRC, folder, file), "utf8").replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
      expect(source, file).not.toMatch(/\b(Buffer|process|require|caches|Request|Response|Headers|ExecutionContext)\b/);
    }
  });

  it("no function in src/paywall/ runs over 50 lines: the decision reads in steps", () => {
    const long: string[] = [];
    const files = readdirSync(join(SRC, "paywall"), { recursive: true, encoding: "utf8" }).filter((file) => file.endsWith(".ts"));
    expect(files.length).toBeGreaterThan(20);
    for (const file of files) {
      const source = ts.createSourceFile(file, readFileSync(join(SRC, "paywall", file), "utf8"), ts.ScriptTarget.Latest, true);
      const visit = (node: ts.Node): void => {
        if (ts.isFunctionLike(node) && "body" in node && node.body !== undefined) {
          const lines = source.getLineAndCharacterOfPosition(node.getEnd()).line - source.getLineAndCharacterOfPosition(node.getStart()).line + 1;
          if (lines > 50) long.push(`${file}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1} (${lines} lines)`);
        }
        ts.forEachChild(node, visit);
      };
      visit(source);
    }
    expect(long).toEqual([]);
  });
});
