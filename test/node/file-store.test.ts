import { existsSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { withFileLock } from "../../src/cli/file-lock.ts";
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

  it("update: changes made at once to one token by stores sharing a directory are all kept (none read and written back over another's)", async () => {
    const dir = scratchDir("l402-store-");
    await fileStore(dir).put(ORIGIN, token(1));
    await Promise.all([
      fileStore(dir).update?.(ORIGIN, "AgE1", (t) => ({ ...t, balanceMsat: "700" })),
      fileStore(dir).update?.(ORIGIN, "AgE1", (t) => ({ ...t, topUpInDoubt: { macaroon: "AgE9", paidMsat: "5000" } })),
      fileStore(dir).update?.(ORIGIN, "AgE2", (t) => ({ ...t, balanceMsat: "1" })),
    ]);
    expect(await fileStore(dir).get(ORIGIN)).toEqual([{ ...token(1), balanceMsat: "700", topUpInDoubt: { macaroon: "AgE9", paidMsat: "5000" } }]);
  });

  it("an origin too long to name a file (a 253-character host) is kept in a file named by its digest, the origin inside, and listed", async () => {
    const dir = scratchDir("l402-store-");
    const long = `https://${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(61)}:8443`;
    const store = fileStore(dir);
    await store.put(long, token(1));
    await store.put(ORIGIN, token(2));
    expect(await store.get(long)).toEqual([token(1)]);
    expect([...(await store.keys())].sort()).toEqual([ORIGIN, long].sort());
    const names = readdirSync(dir).filter((name) => name.endsWith(".json"));
    expect(names.every((name) => name.length < 100)).toBe(true);
    await store.update?.(long, "AgE1", (t) => ({ ...t, balanceMsat: "5" }));
    expect(await store.get(long)).toEqual([{ ...token(1), balanceMsat: "5" }]);
    await store.remove(long);
    expect(await store.get(long)).toEqual([]);
    expect(await store.keys()).toEqual([ORIGIN]);
  });

  it("a stray file whose name is no origin's is not listed, and does not break the listing", async () => {
    const dir = scratchDir("l402-store-");
    await fileStore(dir).put(ORIGIN, token(1));
    writeFileSync(join(dir, "%zz.json"), "[]");
    writeFileSync(join(dir, "%digest-0123.json"), "not json");
    expect(await fileStore(dir).keys()).toEqual([ORIGIN]);
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

  it("purchasing: one purchase of a name at a time across stores sharing a directory (others wait, however long it takes), different names side by side; no lock left", async () => {
    const dir = scratchDir("l402-store-");
    const events: string[] = [];
    let finish = () => {};
    const first = fileStore(dir).purchasing!("https://api.example svc 1000", async () => {
      events.push("first in");
      await new Promise<void>((resolve) => (finish = resolve));
      events.push("first out");
    });
    await expect.poll(() => events).toEqual(["first in"]);
    let waits = 0;
    const told = fileStore(dir, { onPurchaseWait: () => waits++ });
    const second = told.purchasing!("https://api.example svc 1000", async () => void events.push("second"));
    await told.purchasing!("https://api.example other 1000", async () => void events.push("other"));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(events).toEqual(["first in", "other"]);
    finish();
    await Promise.all([first, second]);
    expect(events).toEqual(["first in", "other", "first out", "second"]);
    expect(waits).toBe(1);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("a lock is taken over for its age only where the holder says how long it may hold it: a running purchase is never, a crashed one at once", async () => {
    const dir = scratchDir("l402-store-");
    const lock = join(dir, "held.lock");
    // Another process that is running: this one's parent.
    const hourOld = `${process.ppid} ${Date.now() - 3_600_000} nonce\n`;
    writeFileSync(lock, hourOld);
    await expect(withFileLock(lock, "busy", async () => "ran", { staleMs: Infinity, waitMs: 300, maxPauseMs: 20 })).rejects.toThrow("busy");
    expect(await withFileLock(lock, "busy", async () => "ran")).toBe("ran");
    writeFileSync(lock, `${2 ** 22 + 1} ${Date.now()} nonce\n`);
    expect(await withFileLock(lock, "busy", async () => "ran", { staleMs: Infinity, waitMs: 300, maxPauseMs: 20 })).toBe("ran");
    expect(existsSync(lock)).toBe(false);
  });

  it("a lock from another pid space (another container or host sharing the folder) is judged by its holder's touches, never by its pid", async () => {
    const dir = scratchDir("l402-store-");
    const lock = join(dir, "held.lock");
    const purchase = { staleMs: Infinity, waitMs: 300, maxPauseMs: 20 };
    // A pid no process here has, and this process's own (the other container's pid 1 may be this one's): both running there, touched just now.
    for (const pid of [2 ** 22 + 1, process.pid]) {
      writeFileSync(lock, `${pid} ${Date.now() - 3_600_000} nonce elsewhere0000000\n`);
      await expect(withFileLock(lock, "busy", async () => "ran", purchase)).rejects.toThrow("busy");
    }
    // Untouched for over 30 s: its holder crashed (a container's last run), taken over at once, whatever its pid.
    const silent = new Date(Date.now() - 31_000);
    utimesSync(lock, silent, silent);
    expect(await withFileLock(lock, "busy", async () => "ran", purchase)).toBe("ran");
    expect(existsSync(lock)).toBe(false);
  });

  it("a holder touches its lock while it holds it (every 5 s), so that other pid spaces see it running", async () => {
    const dir = scratchDir("l402-store-");
    const lock = join(dir, "held.lock");
    const touches: number[] = [];
    await withFileLock(lock, "busy", async () => {
      const old = new Date(Date.now() - 60_000);
      utimesSync(lock, old, old);
      touches.push(statSync(lock).mtimeMs);
      await new Promise((resolve) => setTimeout(resolve, 5_500));
      touches.push(statSync(lock).mtimeMs);
    }, { staleMs: Infinity, waitMs: 300, maxPauseMs: 20 });
    expect((touches[1] ?? 0) - (touches[0] ?? 0)).toBeGreaterThan(50_000);
  }, 15_000);

  it("a lock naming this process that this process does not hold (an earlier process with the same pid, as a container's pid 1) is taken over at once; one it holds is waited for", async () => {
    const dir = scratchDir("l402-store-");
    const lock = join(dir, "held.lock");
    writeFileSync(lock, `${process.pid} ${Date.now()} left-by-an-earlier-run\n`);
    expect(await withFileLock(lock, "busy", async () => "ran", { staleMs: Infinity, waitMs: 300, maxPauseMs: 20 })).toBe("ran");
    let release = () => {};
    const holding = withFileLock(lock, "busy", () => new Promise<void>((resolve) => (release = resolve)), { staleMs: Infinity, waitMs: 60_000, maxPauseMs: 20 });
    await expect.poll(() => existsSync(lock)).toBe(true);
    await expect(withFileLock(lock, "busy", async () => "ran", { staleMs: Infinity, waitMs: 300, maxPauseMs: 20 })).rejects.toThrow("busy");
    release();
    await holding;
    expect(existsSync(lock)).toBe(false);
  });

  it("a holder taken over for holding too long (a process suspended) writes nothing over what the taker wrote, and says why", async () => {
    const dir = scratchDir("l402-store-");
    const lock = join(dir, "held.lock");
    const file = join(dir, "records.json");
    const options = { staleMs: 150, waitMs: 5_000, maxPauseMs: 20 };
    let resume = () => {};
    const paused = new Promise<void>((resolve) => (resume = resolve));
    const slow = withFileLock(lock, "busy", async (write) => {
      await paused;
      await write(file, "slow\n");
    }, options);
    await expect.poll(() => existsSync(lock)).toBe(true);
    // Past staleMs: the next run takes the lock over and writes.
    await new Promise((resolve) => setTimeout(resolve, 200));
    await withFileLock(lock, "busy", (write) => write(file, "taker\n"), options);
    resume();
    await expect(slow).rejects.toThrow(/taken over while this run held it.*left as it was/);
    expect(readFileSync(file, "utf8")).toBe("taker\n");
    expect(readdirSync(dir).filter((name) => name.endsWith(".tmp"))).toEqual([]);
  });
});
