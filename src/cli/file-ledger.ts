import { mkdir, open, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { SpendLedger, SpendRecord } from "../client/index.ts";

/** How long a lock may be held before it is taken for a crashed holder's; a change holds it for milliseconds. */
const STALE_MS = 10_000;
/** How long to wait for the lock before giving up (fails closed: nothing is paid). */
const WAIT_MS = 15_000;

/**
 * The spend windows' records on disk, beside the tokens (`spent.ledger`, mode
 * 0600), shared by every client using the directory. Each change holds a lock
 * file created with O_EXCL (`spent.lock`, holding its owner's pid), so the
 * check of the windows and the record of a payment are one step across
 * processes. A lock whose owner is no longer running, or older than STALE_MS,
 * is a crashed holder's and is removed. The ledger is written whole to a
 * temporary file and renamed, so a crash never leaves half of one; a ledger
 * that cannot be read refuses every payment rather than count from nothing.
 */
export function fileLedger(directory: string): SpendLedger {
  const file = join(directory, "spent.ledger");
  const lock = join(directory, "spent.lock");
  const read = async (): Promise<SpendRecord[]> => {
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    }
    const parsed: unknown = JSON.parse(text);
    if (!Array.isArray(parsed) || !parsed.every(isRecord)) throw new Error(`${file} is not a spend ledger; remove it to start counting afresh`);
    return parsed;
  };
  return {
    async change(update) {
      await mkdir(directory, { recursive: true, mode: 0o700 });
      await acquire(lock);
      try {
        const { records, result } = update(await read());
        const temporary = `${file}.${process.pid}`;
        await writeFile(temporary, `${JSON.stringify(records)}\n`, { mode: 0o600 });
        await rename(temporary, file);
        return result;
      } finally {
        await rm(lock, { force: true });
      }
    },
  };
}

async function acquire(lock: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    try {
      const handle = await open(lock, "wx", 0o600);
      await handle.writeFile(`${process.pid} ${Date.now()}\n`);
      await handle.close();
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    if (await stale(lock)) await rm(lock, { force: true });
    else if (Date.now() > deadline) throw new Error(`the spend ledger's lock ${lock} is held by another process; nothing was paid`);
    else await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20));
  }
}

/** Whether the lock's holder crashed: it is not running, or has held the lock far longer than any change takes. */
async function stale(lock: string): Promise<boolean> {
  const text = await readFile(lock, "utf8").catch(() => "");
  const [pid, since] = text.trim().split(" ").map(Number);
  if (pid === undefined || since === undefined || !Number.isSafeInteger(pid) || !Number.isSafeInteger(since)) {
    // Created, its owner not yet written: a live holder, unless it crashed right there long ago.
    const made = await stat(lock).catch(() => undefined);
    return made !== undefined && Date.now() - made.mtimeMs > STALE_MS;
  }
  if (Date.now() - since > STALE_MS) return true;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}

function isRecord(value: unknown): value is SpendRecord {
  const r = value as Record<string, unknown> | null;
  return typeof r === "object" && r !== null && typeof r["id"] === "string" && typeof r["host"] === "string" && Number.isSafeInteger(r["at"]) && typeof r["msat"] === "string" && /^\d{1,19}$/.test(r["msat"]);
}
