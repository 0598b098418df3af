import type { HmacSha256 } from "../macaroon/index.ts";
import { createKeyring, fromHex, type Keyring } from "../l402/index.ts";

export type Loaded<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

/**
 * Reads `L402_MASTER_KEYS`: comma-separated hex keys, the first current (mints),
 * the rest retired (still verify). Errors name the field, never a key.
 */
export function loadKeyring(setting: string | undefined, mac?: HmacSha256): Loaded<Keyring> {
  const entries = (setting ?? "").split(",").map((entry) => entry.trim()).filter((entry) => entry !== "");
  if (entries.length === 0) return { ok: false, error: "L402_MASTER_KEYS: is not set (generate one: npx l402-edge keygen)" };
  const keys: Uint8Array[] = [];
  for (const [index, entry] of entries.entries()) {
    const key = fromHex(entry);
    if (key === undefined) return { ok: false, error: `L402_MASTER_KEYS: entry ${index + 1} is not hex` };
    keys.push(key);
  }
  try {
    return { ok: true, value: createKeyring(keys[0] as Uint8Array, keys.slice(1), mac) };
  } catch (error) {
    return { ok: false, error: `L402_MASTER_KEYS: ${(error as Error).message}` };
  }
}
