import { keyedQueue } from "./keyed-queue.ts";
import type { StoredToken, TokenStore } from "./types.ts";

/**
 * Tokens for the life of the process (or the Worker isolate). Clients sharing
 * one (several `createL402Fetch`, each with its own budget) share its
 * purchases too: one at a time for the same name (`purchasing`), so that
 * racing clients pay once.
 */
export function memoryStore(): TokenStore {
  const tokens = new Map<string, StoredToken[]>();
  const put = (key: string, token: StoredToken) => void tokens.set(key, [token, ...(tokens.get(key) ?? []).filter((t) => t.macaroon !== token.macaroon)]);
  return {
    get: async (key) => tokens.get(key) ?? [],
    put: async (key, token) => put(key, token),
    update: async (key, macaroon, change) => {
      const kept = (tokens.get(key) ?? []).find((t) => t.macaroon === macaroon);
      if (kept !== undefined) put(key, change(kept));
      return kept !== undefined;
    },
    remove: async (key, macaroon) => {
      const kept = macaroon === undefined ? [] : (tokens.get(key) ?? []).filter((t) => t.macaroon !== macaroon);
      if (kept.length === 0) tokens.delete(key);
      else tokens.set(key, kept);
    },
    keys: async () => [...tokens.keys()],
    purchasing: keyedQueue(),
  };
}
