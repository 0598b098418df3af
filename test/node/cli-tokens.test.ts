import { spawnSync } from "node:child_process";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { fileStore } from "../../src/cli/file-store.ts";
import { useScratchDirs } from "../setup/scratch-dirs.ts";

/** `l402-edge tokens`: what `get` keeps in the token directory, listed, shown and removed. */
const scratchDir = useScratchDirs();
const BIN = fileURLToPath(new URL("../../bin/l402-edge.js", import.meta.url));

function cli(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8" });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("l402-edge tokens", () => {
  it("lists, shows and removes what get keeps", async () => {
    const dir = scratchDir("l402-tokens-");
    await fileStore(dir).put("https://api.example", { macaroon: "AgE=", preimage: "ab".repeat(32), services: ["svc"], paidMsat: "1000", createdAt: 1_800_000_000 });
    const list = cli(["tokens", "list", "--token-dir", dir]);
    expect(JSON.parse(list.stdout)).toEqual([{ origin: "https://api.example", tokens: [{ services: ["svc"], paidMsat: "1000", createdAt: "2027-01-15T08:00:00.000Z" }] }]);
    const show = cli(["tokens", "show", "https://api.example/any/path", "--token-dir", dir]);
    expect(JSON.parse(show.stdout)).toMatchObject({ origin: "https://api.example", tokens: [{ preimage: "ab".repeat(32) }] });
    expect(cli(["tokens", "rm", "https://api.example", "--token-dir", dir]).code).toBe(0);
    expect(JSON.parse(cli(["tokens", "list", "--token-dir", dir]).stdout)).toEqual([]);
    expect(cli(["tokens", "show", "https://api.example", "--token-dir", dir]).code).toBe(2);
  });

  it("a spend ledger or token file that is not one is said as it is, with the way out, exit 70 (no stack, no 'unexpected error')", async () => {
    const dir = scratchDir("l402-tokens-");
    writeFileSync(join(dir, "spent.ledger"), "{ not json");
    const spent = cli(["tokens", "spent", "--token-dir", dir]);
    expect(spent.code).toBe(70);
    expect(spent.stderr).toBe(`l402-edge: ${join(dir, "spent.ledger")} is not a spend ledger; remove it to start counting afresh\n`);
    writeFileSync(join(dir, `${encodeURIComponent("https://api.example")}.json`), "[1]");
    const shown = cli(["tokens", "show", "https://api.example", "--token-dir", dir]);
    expect(shown.code).toBe(70);
    expect(shown.stderr).toMatch(/^l402-edge: .* is not a token file; remove it \(l402-edge tokens rm https:\/\/api\.example\) to start afresh\n$/);
  });

  it("a token directory every user could write is refused, exit 70: they could reset the spend windows or hold purchases", () => {
    const dir = scratchDir("l402-tokens-");
    chmodSync(dir, 0o777);
    const spent = cli(["tokens", "spent", "--token-dir", dir]);
    expect(spent.code).toBe(70);
    expect(spent.stderr).toBe(`l402-edge: ${dir} is writable by every user of this machine: any could reset the spend windows or hold your purchases; chmod o-w it, or give another directory (--token-dir, L402_TOKEN_DIR)\n`);
    chmodSync(dir, 0o700);
    expect(cli(["tokens", "spent", "--token-dir", dir]).code).toBe(0);
  });
});
