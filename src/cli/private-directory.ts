import { mkdir, stat } from "node:fs/promises";
import { LocalStateError } from "./io.ts";

/**
 * Makes the command line's directory (tokens, spend ledger, locks) if it is
 * not there, 0700, and refuses one every user of the machine could write:
 * any could reset the spend windows, plant locks that hold every purchase,
 * or swap tokens. (Made 0700 only when created: one given is checked. A
 * group's shared directory is the group's business.)
 */
export async function privateDirectory(directory: string): Promise<void> {
  await mkdir(directory, { recursive: true, mode: 0o700 });
  const { mode } = await stat(directory);
  // Where there are no POSIX modes (Windows), nothing to check.
  if (process.platform === "win32" || (mode & 0o002) === 0) return;
  throw new LocalStateError(`${directory} is writable by every user of this machine: any could reset the spend windows or hold your purchases; chmod o-w it, or give another directory (--token-dir, L402_TOKEN_DIR)`);
}
