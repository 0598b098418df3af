import { open, readFile, rename, rm, stat, writeFile } from "node:fs/promises";

/** How long a lock may be held before it is taken for a crashed holder's; a change holds it for milliseconds. */
const STALE_MS = 10_000;
/** How long to wait for the lock before giving up (fails closed: nothing is changed). */
const WAIT_MS = 15_000;

/**
 * Runs `change` holding `lock`, a file created with O_EXCL that holds its
 * owner's pid, so that a read-then-write of files beside it is one step across
 * processes. A lock whose owner is no longer running, or older than STALE_MS,
 * is a crashed holder's and is removed. Waiting longer than WAIT_MS throws `busy`.
 */
export async function withFileLock<T>(lock: string, busy: string, change: () => Promise<T>): Promise<T> {
  await acquire(lock, busy);
  try {
    return await change();
  } finally {
    await rm(lock, { force: true });
  }
}

/** Writes `text` to `file` whole or not at all (a temporary file renamed over it): a reader or a crash never sees half of it. */
export async function writeWhole(file: string, text: string): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, text, { mode: 0o600 });
  await rename(temporary, file);
}

async function acquire(lock: string, busy: string): Promise<void> {
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
    else if (Date.now() > deadline) throw new Error(busy);
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
