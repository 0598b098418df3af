import { createHash, randomUUID } from "node:crypto";
import { readFileSync, readlinkSync } from "node:fs";
import { open, readFile, rename, rm, stat, utimes } from "node:fs/promises";
import { hostname } from "node:os";
import { dirname } from "node:path";
import { LocalStateError } from "./io.ts";

/** How long a lock may be held, and how long to wait for it before giving up (fails closed: nothing is done). */
export interface LockOptions {
  /** Held longer, its holder is taken for crashed even if running (Infinity: only a holder no longer running is). */
  readonly staleMs: number;
  readonly waitMs: number;
  /** The longest pause between looks at a held lock (they start at 5 ms and grow). */
  readonly maxPauseMs: number;
  /** Called once, when the lock is found held by a running holder: the wait begins. */
  readonly onWait?: () => void;
}

/**
 * What this process's locks hold, while it holds them: a lock naming this
 * process's pid and none of these was left by an earlier process that had the
 * same pid (a container's entrypoint is pid 1 at every start) or by a release
 * that failed, not by a holder still running.
 */
const heldHere = new Set<string>();

/**
 * Where this process's pids mean what they say: the host, its boot and (on
 * Linux) the pid namespace. Two containers sharing a token folder each have a
 * pid 1, and neither sees the other's processes: a lock written elsewhere is
 * judged by its holder's touches (stale), never by a pid looked up here.
 */
const PID_SPACE = createHash("sha256")
  .update([hostname(), linuxFile(() => readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim()), linuxFile(() => readlinkSync("/proc/self/ns/pid"))].join("\n"))
  .digest("hex")
  .slice(0, 16);

function linuxFile(read: () => string): string {
  try {
    return read();
  } catch {
    return "";
  }
}

/**
 * A holder touches its lock this often while it holds it, and a lock from
 * another pid space untouched for FOREIGN_SILENT_MS was left by a crash: the
 * next container (a new pid space at every start) takes it over in seconds.
 */
const HEARTBEAT_MS = 5_000;
const FOREIGN_SILENT_MS = 30_000;

/** A change to files beside the lock holds it for milliseconds. */
const CHANGE: LockOptions = { staleMs: 10_000, waitMs: 15_000, maxPauseMs: 20 };
/** A lock created and not yet written, or a takeover guard, older than this was left by a crash (each lasts microseconds). */
const LEFT_MS = 10_000;

/**
 * Runs `change` holding `lock`, a file created with O_EXCL that holds its
 * owner's pid, the time, a nonce and its pid space, so that a read-then-write
 * of files beside it is one step across processes. A lock whose owner is no longer running, or
 * held longer than `options.staleMs`, is a crashed holder's and is taken over
 * (takeOver). Waiting longer than `options.waitMs` throws `busy`. `change`
 * writes its files with the `LockedWrite` it is given.
 */
export async function withFileLock<T>(lock: string, busy: string, change: (write: LockedWrite) => Promise<T>, options: LockOptions = CHANGE): Promise<T> {
  const mine = await acquire(lock, busy, options);
  // The time only (the content is what says whose it is); unref'd: it keeps no process running.
  const heartbeat = setInterval(() => void utimes(lock, new Date(), new Date()).catch(() => undefined), HEARTBEAT_MS);
  heartbeat.unref();
  const write: LockedWrite = (file, text) =>
    writeWhole(file, text, async () => {
      if ((await readFile(lock, "utf8").catch(() => undefined)) !== mine) {
        throw new LocalStateError(`${lock} was taken over while this run held it (held over ${options.staleMs / 1000} s: was the process suspended?); ${file} was left as it was`);
      }
    });
  try {
    return await change(write);
  } finally {
    clearInterval(heartbeat);
    // Only our own: one taken over as stale (held past staleMs) is another's now.
    // Held here until it is gone: another task of this process must not take it over between the look and the removal.
    if ((await readFile(lock, "utf8").catch(() => undefined)) === mine) await rm(lock, { force: true }).catch(() => undefined);
    heldHere.delete(mine);
  }
}

/**
 * `writeWhole` under a lock still held: a holder taken for crashed (held past
 * `staleMs`: a process suspended, a disk stalled) writes nothing over what the
 * taker wrote since, and is told so (its last look to the rename is
 * microseconds, where its hold was seconds).
 */
export type LockedWrite = (file: string, text: string) => Promise<void>;

/**
 * Writes `text` to `file` whole or not at all (a temporary file, flushed to
 * the disk, renamed over it, the directory flushed): a reader, a crash or a
 * power cut never sees half of it, nor an empty file where paid tokens were.
 * `beforeRename` may refuse the write at the last moment (by throwing).
 */
async function writeWhole(file: string, text: string, beforeRename: () => Promise<void>): Promise<void> {
  const temporary = `${file}.${randomUUID()}.tmp`;
  try {
    const handle = await open(temporary, "wx", 0o600);
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await beforeRename();
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  await syncDirectory(dirname(file));
}

/** Flushes a directory, so that a rename in it outlasts a power cut; where a directory cannot be opened (Windows), the rename is as durable as the system makes it. */
async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, "r").catch(() => undefined);
  if (handle === undefined) return;
  try {
    await handle.sync();
  } catch {
    // Some file systems refuse to flush a directory: the file itself was flushed.
  } finally {
    await handle.close();
  }
}

/** Takes the lock; what it holds, by which it is known as ours. */
async function acquire(lock: string, busy: string, options: LockOptions): Promise<string> {
  const deadline = Date.now() + options.waitMs;
  let waiting = false;
  for (let attempt = 0; ; attempt++) {
    const mine = `${process.pid} ${Date.now()} ${randomUUID()} ${PID_SPACE}\n`;
    // Known as held here before the file exists: another task of this process reading it meanwhile must not take it for a leftover.
    heldHere.add(mine);
    try {
      const handle = await open(lock, "wx", 0o600);
      try {
        await handle.writeFile(mine);
      } finally {
        await handle.close();
      }
      return mine;
    } catch (error) {
      heldHere.delete(mine);
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const held = await readFile(lock, "utf8").catch(() => undefined);
    if (held !== undefined && (await stale(lock, held, options.staleMs))) {
      await takeOver(lock, held);
      continue;
    }
    if (Date.now() > deadline) throw new LocalStateError(busy);
    if (!waiting && held !== undefined) {
      waiting = true;
      options.onWait?.();
    }
    // Jittered, so that waiters do not look all at once.
    await new Promise((resolve) => setTimeout(resolve, Math.min(5 + 5 * attempt, options.maxPauseMs) * (0.5 + Math.random())));
  }
}

/**
 * Removes a lock judged stale, and only that one. Removing the path outright
 * could remove a lock another waiter made after taking over the same stale
 * one, and two would hold it: so one waiter at a time (holding
 * `<lock>.takeover`, O_EXCL) looks again and removes the lock only if it is
 * still the one judged. Only a takeover removes a lock that is not its
 * holder's, so none can change between that look and the removal.
 */
async function takeOver(lock: string, judged: string): Promise<void> {
  const guard = `${lock}.takeover`;
  try {
    await (await open(guard, "wx", 0o600)).close();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    // Another waiter's takeover, under way (microseconds), or left by a crash inside one long ago.
    const made = await stat(guard).catch(() => undefined);
    if (made !== undefined && Date.now() - made.mtimeMs > LEFT_MS) await rm(guard, { force: true });
    return;
  }
  try {
    if ((await readFile(lock, "utf8").catch(() => undefined)) === judged) await rm(lock, { force: true });
  } finally {
    await rm(guard, { force: true });
  }
}

/**
 * Whether the lock's holder crashed: it is not running (this process, not
 * holding it: heldHere), or has held the lock longer than `staleMs`. A holder
 * in another pid space (PID_SPACE: another container or host) cannot be
 * looked up: it is taken for crashed past `staleMs`, or once its holder has
 * stopped touching it (FOREIGN_SILENT_MS; hosts sharing a directory need
 * clocks that agree within seconds).
 */
async function stale(lock: string, held: string, staleMs: number): Promise<boolean> {
  const fields = held.trim().split(" ");
  const [pid, since] = fields.map(Number);
  if (pid === undefined || since === undefined || !Number.isSafeInteger(pid) || !Number.isSafeInteger(since)) {
    // Created, its owner not yet written: a live holder, unless it crashed right there long ago.
    const made = await stat(lock).catch(() => undefined);
    return made !== undefined && Date.now() - made.mtimeMs > LEFT_MS;
  }
  if (Date.now() - since > staleMs) return true;
  // A lock from before pid spaces were written (three fields) is this host's, as every lock was then.
  if (fields[3] !== undefined && fields[3] !== PID_SPACE) {
    const touched = await stat(lock).catch(() => undefined);
    return touched !== undefined && Date.now() - touched.mtimeMs > FOREIGN_SILENT_MS;
  }
  if (pid === process.pid) return !heldHere.has(held);
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}
