import type { StoredToken, TokenStore } from "./types.ts";

/** Tokens for the life of the process (or the Worker isolate). */
export function memoryStore(): TokenStore {
  const tokens = new Map<string, StoredToken[]>();
  return {
    get: async (key) => tokens.get(key) ?? [],
    put: async (key, token) => void tokens.set(key, [token, ...(tokens.get(key) ?? []).filter((t) => t.macaroon !== token.macaroon)]),
    remove: async (key, macaroon) => {
      const kept = macaroon === undefined ? [] : (tokens.get(key) ?? []).filter((t) => t.macaroon !== macaroon);
      if (kept.length === 0) tokens.delete(key);
      else tokens.set(key, kept);
    },
    keys: async () => [...tokens.keys()],
  };
}
