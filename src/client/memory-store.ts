import type { StoredToken, TokenStore } from "./types.ts";

/**
 * Tokens for the life of the process (or the Worker isolate). Clients sharing
 * one (several `createL402Fetch`, each with its own budget) share its
 * purchases too: one at a time for the same token or top-up (`purchasing`),
 * so that racing clients pay once.
 */
export function memoryStore(): TokenStore {
  const tokens = new Map<string, StoredToken[]>();
  /** The last purchase queued for each name: settled once it and every one before it are done. */
  const queued = new Map<string, Promise<void>>();
  return {
    get: async (key) => tokens.get(key) ?? [],
    put: async (key, token) => void tokens.set(key, [token, ...(tokens.get(key) ?? []).filter((t) => t.macaroon !== token.macaroon)]),
    remove: async (key, macaroon) => {
      const kept = macaroon === undefined ? [] : (tokens.get(key) ?? []).filter((t) => t.macaroon !== macaroon);
      if (kept.length === 0) tokens.delete(key);
      else tokens.set(key, kept);
    },
    keys: async () => [...tokens.keys()],
    purchasing: async (purchase, buy) => {
      const before = queued.get(purchase);
      let done = () => {};
      const mine = new Promise<void>((resolve) => (done = resolve));
      queued.set(purchase, mine);
      await before;
      try {
        return await buy();
      } finally {
        done();
        if (queued.get(purchase) === mine) queued.delete(purchase);
      }
    },
  };
}
