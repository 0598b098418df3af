import { concatBytes, randomBytes } from "@noble/hashes/utils.js";
import { fastHmacSha256, keepPads, type HmacSha256 } from "../macaroon/index.ts";
import { fromHex } from "./encoding.ts";
import { fail, succeed, type Result } from "./result.ts";

/**
 * Stateless root keys. The reference proxy stores a random root key per token in
 * a database; at the edge we derive it from a secret master key instead, so
 * verification needs nothing but the secret:
 *
 *   keyId   = HMAC-SHA256(master, "l402-edge/key-id/v1")[0..4]
 *   tokenId = keyId (4) || random (28)
 *   rootKey = HMAC-SHA256(master, "l402-edge/root-key/v1" || identifier)
 *
 * The identifier carries the payment hash and the token id, so every token has
 * its own root key, bound to its invoice. The key id inside the token id lets the
 * verifier pick the master key that minted it in O(1); it is a one-way function
 * of the key and reveals nothing about it. Rotation: mint with the current key,
 * keep retired keys configured for as long as their tokens should verify.
 */
export const MIN_MASTER_KEY_BYTES = 32;
const KEY_ID_BYTES = 4;

const KEY_ID_LABEL = new TextEncoder().encode("l402-edge/key-id/v1");
const ROOT_KEY_LABEL = new TextEncoder().encode("l402-edge/root-key/v1");

export interface MasterKey {
  readonly id: number;
  readonly secret: Uint8Array;
}

export interface Keyring {
  /** Mints new tokens. */
  readonly current: MasterKey;
  /** Every key that still verifies (the current one included), by key id. */
  readonly byId: ReadonlyMap<number, MasterKey>;
  /** The HMAC every derivation and signature under these keys uses. */
  readonly mac: HmacSha256;
}

export function keyIdOf(secret: Uint8Array, mac: HmacSha256 = fastHmacSha256): number {
  const id = mac(secret, KEY_ID_LABEL);
  return new DataView(id.buffer, id.byteOffset, KEY_ID_BYTES).getUint32(0);
}

/** Builds a keyring; throws on a short key or two keys sharing a key id. */
export function createKeyring(
  current: Uint8Array,
  retired: readonly Uint8Array[] = [],
  mac: HmacSha256 = fastHmacSha256,
): Keyring {
  const byId = new Map<number, MasterKey>();
  const keys = [current, ...retired].map((secret, index) => {
    if (secret.length < MIN_MASTER_KEY_BYTES) {
      throw new RangeError(`master key ${index} is ${secret.length} bytes, at least ${MIN_MASTER_KEY_BYTES} are needed`);
    }
    // A master key signs every root key it derives: its HMAC pads are hashed once.
    keepPads(secret);
    return { id: keyIdOf(secret, mac), secret };
  });
  for (const key of keys) {
    if (byId.has(key.id)) throw new RangeError("two master keys share a key id (is one configured twice?)");
    byId.set(key.id, key);
  }
  return { current: keys[0] as MasterKey, byId, mac };
}

/**
 * A keyring from its text form (`L402_MASTER_KEYS`, `--master-key`):
 * comma-separated hex keys, the first current (mints), the rest retired (still
 * verify). Failures never quote a key.
 */
export function parseMasterKeys(text: string | undefined, mac?: HmacSha256): Result<Keyring, "invalid_keys"> {
  const entries = (text ?? "").split(",").map((entry) => entry.trim()).filter((entry) => entry !== "");
  if (entries.length === 0) return fail("invalid_keys", "is not set (generate one: npx l402-edge keygen)");
  const keys: Uint8Array[] = [];
  for (const [index, entry] of entries.entries()) {
    const key = fromHex(entry);
    if (key === undefined) return fail("invalid_keys", `entry ${index + 1} is not hex`);
    keys.push(key);
  }
  try {
    return succeed(createKeyring(keys[0] as Uint8Array, keys.slice(1), mac));
  } catch (error) {
    return fail("invalid_keys", (error as Error).message);
  }
}

/** A fresh token id under the keyring's current key. */
export function newTokenId(keyring: Keyring): Uint8Array {
  const id = new Uint8Array(32);
  new DataView(id.buffer).setUint32(0, keyring.current.id);
  id.set(randomBytes(32 - KEY_ID_BYTES), KEY_ID_BYTES);
  return id;
}

/** The token id's first 4 bytes, big-endian (read without a DataView: this runs on every cold verification). */
export function keyIdOfToken(tokenId: Uint8Array): number {
  if (tokenId.length < KEY_ID_BYTES) throw new RangeError(`a token id has at least ${KEY_ID_BYTES} bytes`);
  return (((tokenId[0] as number) << 24) | ((tokenId[1] as number) << 16) | ((tokenId[2] as number) << 8) | (tokenId[3] as number)) >>> 0;
}

/** The master key that minted a token, or undefined when it is not (or no longer) configured. */
export const keyForToken = (keyring: Keyring, tokenId: Uint8Array): MasterKey | undefined =>
  keyring.byId.get(keyIdOfToken(tokenId));

/**
 * The label and an L402 identifier (66 bytes), in one buffer every derivation
 * reuses: an HMAC runs to its end before the next can start, and keeps nothing.
 */
const rootKeyMessage = new Uint8Array(ROOT_KEY_LABEL.length + 66);
rootKeyMessage.set(ROOT_KEY_LABEL);

export function deriveRootKey(master: MasterKey, identifier: Uint8Array, mac: HmacSha256 = fastHmacSha256): Uint8Array {
  if (identifier.length !== rootKeyMessage.length - ROOT_KEY_LABEL.length) return mac(master.secret, concatBytes(ROOT_KEY_LABEL, identifier));
  rootKeyMessage.set(identifier, ROOT_KEY_LABEL.length);
  return mac(master.secret, rootKeyMessage);
}
