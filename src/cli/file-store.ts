import { createHash } from "node:crypto";
import { readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import type { StoredToken, TokenStore } from "../client/index.ts";
import { withFileLock, type LockedWrite, type LockOptions } from "./file-lock.ts";
import { LocalStateError } from "./io.ts";
import { privateDirectory } from "./private-directory.ts";

/**
 * A purchase holds its lock for a payment's time (the wallet's timeout, up to an
 * hour with --pay-timeout): it is a crashed holder's only when its process is
 * gone, and others wait for it while it runs, up to an hour and a minute,
 * looking again at most every 200 ms.
 */
const PURCHASE: LockOptions = { staleMs: Infinity, waitMs: 3_660_000, maxPauseMs: 200 };

/**
 * Tokens on disk, one JSON file per origin under `directory` (mode 0700), each
 * file mode 0600: a token and its preimage are a bearer credential. Node only;
 * Workers use the memory store (or their own). Every change holds the
 * directory's token lock (`tokens.lock`) from its read to its write and writes
 * the file whole, so runs at once (agents running `get` side by side) keep
 * every token each paid for, and a reader never sees half a file. A purchase
 * holds a lock of its own (`purchase-<digest>.lock`, by the purchase's name) from
 * before its payment until its token is kept, so runs racing to one service pay
 * once; `onPurchaseWait` is told when a run begins to wait for another's.
 */
/**
 * A key's file is named by the key, escaped, while that fits a file name (255
 * bytes on common file systems; a host name may have 253 characters): a longer
 * one's by its digest (`%digest-…`, a name no escaped key has), the key kept
 * inside the file beside its tokens.
 */
const MAX_NAMED_KEY = 200;
const DIGEST_PREFIX = "%digest-";
const isDigestNamed = (key: string) => encodeURIComponent(key).length > MAX_NAMED_KEY;

export function fileStore(directory: string, options: { readonly onPurchaseWait?: () => void } = {}): TokenStore {
  const fileFor = (key: string) =>
    join(directory, `${isDigestNamed(key) ? `${DIGEST_PREFIX}${createHash("sha256").update(key).digest("hex").slice(0, 32)}` : encodeURIComponent(key)}.json`);
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
      if (isDigestNamed(key)) parsed = (parsed as { key?: unknown }).key === key ? (parsed as { tokens?: unknown }).tokens : undefined;
    } catch {
      parsed = undefined;
    }
    if (!Array.isArray(parsed) || !parsed.every(isToken)) throw new LocalStateError(`${fileFor(key)} is not a token file; remove it (l402-edge tokens rm ${key}) to start afresh`);
    return parsed;
  };
  /** Runs `task` holding the token lock, given a writer of a key's tokens under it. */
  const locked = async <T>(task: (write: (key: string, tokens: readonly StoredToken[]) => Promise<void>) => Promise<T>): Promise<T> => {
    await privateDirectory(directory);
    return withFileLock(lock, `the token store's lock ${lock} is held by another process`, (write: LockedWrite) =>
      task((key, tokens) => write(fileFor(key), `${JSON.stringify(isDigestNamed(key) ? { key, tokens } : tokens, null, 2)}\n`)),
    );
  };
  const change = (key: string, next: (tokens: StoredToken[]) => StoredToken[]) =>
    locked(async (write) => {
      // A file unreadable here was readable when this run began (`get` reads it first): a token just paid for is kept over it.
      const tokens = next(await read(key).catch(() => []));
      if (tokens.length === 0) return rm(fileFor(key), { force: true });
      await write(key, tokens);
    });
  return {
    purchasing: async (purchase, buy) => {
      await privateDirectory(directory);
      const lock = join(directory, `purchase-${createHash("sha256").update(purchase).digest("hex").slice(0, 32)}.lock`);
      const { onPurchaseWait } = options;
      return withFileLock(lock, `another process has been buying this token for over an hour (${lock}); remove the lock if none is`, buy, onPurchaseWait === undefined ? PURCHASE : { ...PURCHASE, onWait: onPurchaseWait });
    },
    get: read,
    put: (key, token) => change(key, (tokens) => [token, ...tokens.filter((t) => t.macaroon !== token.macaroon)]),
    // Only a token kept is changed: nothing is written where there is none (an unreadable file is reported, not replaced).
    update: (key, macaroon, changed) =>
      locked(async (write) => {
        const tokens = await read(key);
        const at = tokens.findIndex((t) => t.macaroon === macaroon);
        if (at < 0) return false;
        await write(key, tokens.with(at, changed(tokens[at] as StoredToken)));
        return true;
      }),
    remove: (key, macaroon) => change(key, (tokens) => (macaroon === undefined ? [] : tokens.filter((t) => t.macaroon !== macaroon))),
    keys: async () => {
      let names: string[];
      try {
        names = (await readdir(directory)).filter((f) => f.endsWith(".json"));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
        throw error;
      }
      const keys = await Promise.all(names.map((name) => (name.startsWith(DIGEST_PREFIX) ? keyInside(join(directory, name)) : decoded(name.slice(0, -5)))));
      return keys.filter((key) => key !== undefined);
    },
  };
}

/** The key a digest-named file keeps; none when it cannot be read (`get` on its key says why). */
async function keyInside(file: string): Promise<string | undefined> {
  try {
    const { key } = JSON.parse(await readFile(file, "utf8")) as { key?: unknown };
    return typeof key === "string" && isDigestNamed(key) ? key : undefined;
  } catch {
    return undefined;
  }
}

/** A file's name as its key; none for a name no key has (a file someone else put there). */
function decoded(name: string): string | undefined {
  try {
    return decodeURIComponent(name);
  } catch {
    return undefined;
  }
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
