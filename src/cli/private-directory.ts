import { mkdir, stat } from "node:fs/promises";
import { LocalStateError } from "./io.ts";

/**
 * Makes the command line's directory (tokens, spend ledger, locks) if it is
 * not there, 0700, and refuses one another user could write: they could
 * reset the spend windows, plant locks that hold every purchase, or swap
 * tokens. Made 0700 only when created, so one given (`--token-dir`) is checked.
 */
export async function privateDirectory(directory: string): Promise<void> {
  await mkdir(directory, { recursive: true, mode: 0o700 });
  const { uid, mode } = await stat(directory);
  const own = process.getuid?.();
  // Where there are no POSIX owners (Windows), nothing to check.
  if (own === undefined) return;
  if (uid !== own || (mode & 0o022) !== 0) {
    throw new LocalStateError(`${directory} is ${uid !== own ? "not yours" : "writable by other users"}: they could reset the spend windows or hold your purchases; chmod 700 it (as its owner), or give another --token-dir`);
  }
}
