import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = fileURLToPath(new URL("../../src/", import.meta.url));
const IMPORT = /^\s*(?:import|export)\s[^;]*?from\s+"([^"]+)"/gms;

function importsIn(folder: string): { file: string; specifier: string }[] {
  return readdirSync(join(SRC, folder), { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".ts"))
    .flatMap((file) => [...readFileSync(join(SRC, folder, file), "utf8").matchAll(IMPORT)].map((m) => ({ file: `${folder}/${file}`, specifier: m[1] as string })));
}

describe("the protocol core runs anywhere", () => {
  it.each([
    ["macaroon", /^(\.\/|@noble\/hashes\/)/],
    ["l402", /^(\.\/|\.\.\/macaroon\/index\.ts$|@noble\/hashes\/|@scure\/base$)/],
  ])("src/%s imports only itself, its inner layer and pure libraries", (folder, allowed) => {
    const imports = importsIn(folder);
    expect(imports.length).toBeGreaterThan(3);
    expect(imports.filter(({ specifier }) => !allowed.test(specifier))).toEqual([]);
  });

  it.each(["macaroon", "l402"])("src/%s mentions no Workers or Node global", (folder) => {
    for (const file of readdirSync(join(SRC, folder))) {
      const source = readFileSync(join(SRC, folder, file), "utf8").replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
      expect(source, file).not.toMatch(/\b(Buffer|process|require|caches|Request|Response|Headers|ExecutionContext)\b/);
    }
  });
});
