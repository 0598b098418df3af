import { chmod, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { StoredToken, TokenStore } from "../client/index.ts";

/**
 * Tokens on disk, one JSON file per origin under `directory` (mode 0700), each
 * file mode 0600: a token and its preimage are a bearer credential. Node only;
 * Workers use the memory store (or their own).
 */
export function fileStore(directory: string): TokenStore {
  const fileFor = (key: string) => join(directory, `${encodeURIComponent(key)}.json`);
  const read = async (key: string): Promise<StoredToken[]> => {
    try {
      const parsed: unknown = JSON.parse(await readFile(fileFor(key), "utf8"));
      return Array.isArray(parsed) ? (parsed as StoredToken[]) : [];
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    }
  };
  const write = async (key: string, tokens: readonly StoredToken[]) => {
    if (tokens.length === 0) return rm(fileFor(key), { force: true });
    await mkdir(directory, { recursive: true, mode: 0o700 });
    const file = fileFor(key);
    await writeFile(file, `${JSON.stringify(tokens, null, 2)}\n`, { mode: 0o600 });
    await chmod(file, 0o600);
  };
  return {
    get: read,
    put: async (key, token) => write(key, [token, ...(await read(key)).filter((t) => t.macaroon !== token.macaroon)]),
    remove: async (key, macaroon) => write(key, macaroon === undefined ? [] : (await read(key)).filter((t) => t.macaroon !== macaroon)),
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
