import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/**
 * The README names files of this repository in two ways: `backticked/paths` in
 * its text, and the Layout block, where each entry is a folder or file and its
 * description names files in that folder. Every one must exist, so that a file
 * moved or renamed cannot leave the README pointing at nothing.
 */
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const README = readFileSync(join(ROOT, "README.md"), "utf8");
const FOLDERS = "(?:\\.ci|bench|bin|dev|docs|migrations|platform|src|test|types)";
const REPO_PATH = new RegExp(`^${FOLDERS}/[\\w./-]*$`);
/** A file at the root: `wrangler.toml`, `package.json`, `.dev.vars.example` (not a host such as `shop.example`). */
const ROOT_FILE = /^(?:[\w.-]+\.(?:toml|json|cjs|md)|\.[\w.-]+\.example)$/;
/** A file name in a description: no folder, no wildcard. */
const FILE_NAME = /(?<![\w/*.-])[\w-]+(?:\.[\w-]+)*\.(?:ts|js|cjs|sql|md|json)(?![\w/*])/g;

const missing = (paths: Iterable<string>) => [...new Set(paths)].filter((path) => !existsSync(join(ROOT, path)));

/** The Layout block's entries: where each is, and the text describing it (its continuation lines included). */
function layoutEntries(): { folder: string; path: string; text: string }[] {
  const start = README.indexOf("## Layout");
  const block = /```\n([\s\S]*?)```/.exec(README.slice(start))?.[1] ?? "";
  const entries: { folder: string; path: string; text: string }[] = [];
  let top = "";
  for (const line of block.split("\n")) {
    const entry = /^( {0,2})(\S+)(.*)$/.exec(line);
    if (entry === null) {
      const last = entries.at(-1);
      if (last !== undefined) last.text += ` ${line.trim()}`;
      continue;
    }
    const [, indent = "", token = "", rest = ""] = entry;
    const path = indent === "" ? token : `${top}${token}`;
    if (indent === "" && token.endsWith("/")) top = token;
    entries.push({ folder: path.endsWith("/") ? path : `${dirname(path)}/`, path, text: rest });
  }
  return entries;
}

describe("the README names only paths that exist", () => {
  it("in its text", () => {
    const backticked = [...README.matchAll(/`([^`\s]+)`/g)].map((match) => match[1] as string);
    expect(missing(backticked.filter((text) => REPO_PATH.test(text) || ROOT_FILE.test(text)))).toEqual([]);
  });

  it("in its Layout: each entry, and the files its description names", () => {
    const entries = layoutEntries();
    expect(entries.length).toBeGreaterThan(20);
    expect(missing(entries.map((entry) => entry.path))).toEqual([]);
    const named = entries.flatMap((entry) => [
      ...[...entry.text.matchAll(FILE_NAME)].map((match) => `${entry.folder}${match[0]}`),
      ...[...entry.text.matchAll(new RegExp(`${FOLDERS}/[\\w./-]*[\\w/]`, "g"))].map((match) => match[0]),
    ]);
    expect(missing(named)).toEqual([]);
  });

  it("sets every shell variable its commands use before they use it, reading the blocks in order as one shell would", () => {
    const defined = new Set<string>();
    const unset: string[] = [];
    for (const [, block = ""] of README.matchAll(/```sh\n([\s\S]*?)```/g)) {
      for (const line of block.split("\n").filter((text) => !text.trimStart().startsWith("#"))) {
        for (const [, name = ""] of line.matchAll(/\$\{?(\w+)/g)) if (!defined.has(name)) unset.push(`${name} in: ${line.trim()}`);
        // `export A=… B=…`, or a line of assignments alone; `A=… command` sets A for that command only.
        const assignments = /^\s*export\s+(.*)$/.exec(line)?.[1] ?? (/^\s*(?:\w+=\S+\s*)+$/.test(line) ? line : "");
        for (const [, name = ""] of assignments.matchAll(/(?:^|\s)(\w+)=/g)) defined.add(name);
      }
    }
    expect(unset).toEqual([]);
  });
});
