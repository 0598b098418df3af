#!/usr/bin/env node
// The installed package runs its compiled JavaScript (plain Node 20). In a checkout
// of the repository, where the TypeScript sources sit beside this file, it runs
// those with Node's type stripping (Node >= 22.18: npm scripts and npx put the
// project's own Node 22 first), so a change to src/ needs no build to be tried.
import { existsSync } from "node:fs";

const sources = new URL("../src/cli/main.ts", import.meta.url);
if (existsSync(sources)) {
  const [major, minor] = process.versions.node.split(".").map(Number);
  if (major < 22 || (major === 22 && minor < 18)) {
    process.stderr.write(`l402-edge: running from the sources needs Node >= 22.18 (this is ${process.versions.node}); use npx or npm run, or npm run build\n`);
    process.exit(2);
  }
  await import(sources.href);
} else {
  await import("../dist/cli/main.js");
}
