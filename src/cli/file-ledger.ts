import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { SpendLedger, SpendRecord } from "../client/index.ts";
import { withFileLock } from "./file-lock.ts";
import { LocalStateError } from "./io.ts";
import { privateDirectory } from "./private-directory.ts";

/**
 * The spend windows' records on disk, beside the tokens (`spent.ledger`, mode
 * 0600), shared by every client using the directory. Each change holds the
 * directory's ledger lock (`spent.lock`), so the check of the windows and the
 * record of a payment are one step across processes. The ledger is written
 * whole, so a crash never leaves half of one; a ledger that cannot be read
 * refuses every payment rather than count from nothing.
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
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (!Array.isArray(parsed) || !parsed.every(isRecord)) throw new LocalStateError(`${file} is not a spend ledger; remove it to start counting afresh`);
    return parsed;
  };
  return {
    async change(update) {
      await privateDirectory(directory);
      return withFileLock(lock, `the spend ledger's lock ${lock} is held by another process; nothing was paid`, async (write) => {
        const { records, result } = update(await read());
        await write(file, `${JSON.stringify(records)}\n`);
        return result;
      });
    },
  };
}

function isRecord(value: unknown): value is SpendRecord {
  const r = value as Record<string, unknown> | null;
  return typeof r === "object" && r !== null && typeof r["id"] === "string" && typeof r["host"] === "string" && Number.isSafeInteger(r["at"]) && typeof r["msat"] === "string" && /^\d{1,19}$/.test(r["msat"]);
}
