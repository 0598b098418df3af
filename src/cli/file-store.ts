import { mkdir, readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import type { StoredToken, TokenStore } from "../client/index.ts";
import { withFileLock, writeWhole } from "./file-lock.ts";

/**
 * Tokens on disk, one JSON file per origin under `directory` (mode 0700), each
 * file mode 0600: a token and its preimage are a bearer credential. Node only;
 * Workers use the memory store (or their own). Every change holds the
 * directory's token lock (`tokens.lock`) from its read to its write and writes
 * the file whole, so runs at once (agents running `get` side by side) keep
 * every token each paid for, and a reader never sees half a file.
 */
export function fileStore(directory: string): TokenStore {
  const fileFor = (key: string) => join(directory, `${encodeURIComponent(key)}.json`);
  const lock = join(directory, "tokens.lock");
  const read = async (key: string): Promise<StoredToken[]> => {
    let text: string;
    try {
      text = await readFile(fileFor(key), "utf8");
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
    if (!Array.isArray(parsed) || !parsed.every(isToken)) throw new Error(`${fileFor(key)} is not a token file; remove it (l402-edge tokens rm ${key}) to start afresh`);
    return parsed;
  };
  const change = async (key: string, next: (tokens: StoredToken[]) => StoredToken[]) => {
    await mkdir(directory, { recursive: true, mode: 0o700 });
    await withFileLock(lock, `the token store's lock ${lock} is held by another process`, async () => {
      const file = fileFor(key);
      // A file unreadable here was readable when this run began (`get` reads it first): a token just paid for is kept over it.
      const tokens = next(await read(key).catch(() => []));
      if (tokens.length === 0) return rm(file, { force: true });
      await writeWhole(file, `${JSON.stringify(tokens, null, 2)}\n`);
    });
  };
  return {
    get: read,
    put: (key, token) => change(key, (tokens) => [token, ...tokens.filter((t) => t.macaroon !== token.macaroon)]),
    remove: (key, macaroon) => change(key, (tokens) => (macaroon === undefined ? [] : tokens.filter((t) => t.macaroon !== macaroon))),
    keys: async () => {
      try {
        return (await readdir(directory)).filter((f) => f.endsWith(".json")).map((f) => decodeURIComponent(f.slice(0, -5)));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
        throw error;
      }
    },
  };
}

function isToken(value: unknown): value is StoredToken {
  const t = value as Record<string, unknown> | null;
  return (
    typeof t === "object" &&
    t !== null &&
    typeof t["macaroon"] === "string" &&
    typeof t["preimage"] === "string" &&
    Array.isArray(t["services"]) &&
    t["services"].every((s) => typeof s === "string") &&
    typeof t["paidMsat"] === "string" &&
    typeof t["createdAt"] === "number"
  );
}
