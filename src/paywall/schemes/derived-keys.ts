import { utf8 } from "../../bytes.ts";
import type { Keyring } from "../../l402/index.ts";

const derived = new WeakMap<Keyring, Map<string, readonly Uint8Array[]>>();

/**
 * Keys for one purpose (`label`), one derived from each master key, the
 * current master key's first: what a scheme tags its challenges with, so the
 * paywall recognises its own without storing them, and a challenge tagged
 * before a rotation still verifies.
 */
export function derivedKeys(keyring: Keyring, label: string): readonly Uint8Array[] {
  let byLabel = derived.get(keyring);
  if (byLabel === undefined) {
    byLabel = new Map();
    derived.set(keyring, byLabel);
  }
  let keys = byLabel.get(label);
  if (keys === undefined) {
    const input = utf8(label);
    keys = [keyring.current, ...[...keyring.byId.values()].filter((key) => key !== keyring.current)].map((key) => keyring.mac(key.secret, input));
    byLabel.set(label, keys);
  }
  return keys;
}
