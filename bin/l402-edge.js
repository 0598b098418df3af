#!/usr/bin/env node
// The command line runs the TypeScript sources directly with Node's type stripping
// (Node >= 22.18). Inside npm scripts and npx, the project's own Node 22 comes first.
const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(
    `l402-edge: needs Node >= 22.18 (this is ${process.versions.node}); run it through npx or npm run so the project's Node is used\n`,
  );
  process.exit(2);
}
await import("../src/cli/main.ts");
