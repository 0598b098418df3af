import { existsSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fileStore } from "../../src/cli/file-store.ts";
import type { StoredToken } from "../../src/client/index.ts";
import { useScratchDirs } from "../setup/scratch-dirs.ts";

const scratchDir = useScratchDirs();
const ORIGIN = "https://api.example";
const token = (n: number): StoredToken => ({ macaroon: `AgE${n}`, preimage: "ab".repeat(32), services: ["svc"], paidMsat: "1000", createdAt: 1_800_000_000 + n });

describe("fileStore", () => {
  it("stores sharing a directory at once (runs of get side by side) keep every token each put", async () => {
    const dir = scratchDir("l402-store-");
    // One store per run, as separate processes have: nothing shared in memory, only the files.
    await Promise.all(Array.from({ length: 8 }, (_, n) => fileStore(dir).put(ORIGIN, token(n))));
    const kept = await fileStore(dir).get(ORIGIN);
    expect(kept.map((t) => t.macaroon).sort()).toEqual(Array.from({ length: 8 }, (_, n) => `AgE${n}`));
    await Promise.all([0, 1, 2].map((n) => fileStore(dir).remove(ORIGIN, `AgE${n}`)));
    expect(await fileStore(dir).get(ORIGIN)).toHaveLength(5);
  });

  it("writes each file whole, mode 0600, and leaves neither its lock nor a temporary file behind", async () => {
    const dir = scratchDir("l402-store-");
    const store = fileStore(dir);
    await store.put(ORIGIN, token(1));
    await store.put(ORIGIN, token(1));
    expect(await store.get(ORIGIN)).toEqual([token(1)]);
    expect(readdirSync(dir)).toEqual([`${encodeURIComponent(ORIGIN)}.json`]);
    expect(statSync(join(dir, readdirSync(dir)[0] as string)).mode & 0o777).toBe(0o600);
    await store.remove(ORIGIN);
    expect(existsSync(join(dir, `${encodeURIComponent(ORIGIN)}.json`))).toBe(false);
    expect(await store.keys()).toEqual([]);
  });

  it("a file that is not a token file is refused with its name and the way out, and rm clears it", async () => {
    const dir = scratchDir("l402-store-");
    const store = fileStore(dir);
    for (const text of ["{not json", JSON.stringify([{ macaroon: "AgE=" }]), JSON.stringify({ tokens: [] })]) {
      writeFileSync(join(dir, `${encodeURIComponent(ORIGIN)}.json`), text);
      await expect(store.get(ORIGIN)).rejects.toThrow(`${encodeURIComponent(ORIGIN)}.json is not a token file; remove it (l402-edge tokens rm ${ORIGIN}) to start afresh`);
    }
    await store.remove(ORIGIN);
    expect(await store.get(ORIGIN)).toEqual([]);
  });

  it("a lock held by a process that is no longer running is taken over, by one store at a time: stores racing to take it over keep every token", async () => {
    for (let trial = 0; trial < 100; trial++) {
      const dir = scratchDir("l402-store-");
      // pid 2^22 + 1 is above Linux's pid_max: certainly no running process.
      writeFileSync(join(dir, "tokens.lock"), `${2 ** 22 + 1} ${Date.now()}\n`);
      await Promise.all(Array.from({ length: 8 }, (_, n) => fileStore(dir).put(ORIGIN, token(n))));
      expect((await fileStore(dir).get(ORIGIN)).length).toBe(8);
      expect(readdirSync(dir)).toEqual([`${encodeURIComponent(ORIGIN)}.json`]);
    }
  });
});
