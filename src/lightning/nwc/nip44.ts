import { chacha20 } from "@noble/ciphers/chacha.js";
import { equalBytes } from "@noble/ciphers/utils.js";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { expand, extract } from "@noble/hashes/hkdf.js";
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { concatBytes, randomBytes } from "@noble/hashes/utils.js";
import { base64ToBytes, hexToBytes, toBase64 } from "../../bytes.ts";

/**
 * NIP-44 v2 encryption (nostr-protocol/nips 44.md), the framing only: every
 * primitive is @noble's (secp256k1 ECDH, HKDF and HMAC over SHA-256, ChaCha20).
 * Checked against the NIP's official vectors (test/fixtures/nip44.vectors.json).
 * Plaintexts of 1 to 65535 bytes, as those vectors define v2.
 */
const SALT = new TextEncoder().encode("nip44-v2");
const VERSION = 2;
const MIN_PLAINTEXT = 1;
const MAX_PLAINTEXT = 65_535;

/** The key two parties share: HKDF-extract of the x coordinate of their ECDH point. */
export function conversationKey(secretKey: Uint8Array, publicKeyX: string): Uint8Array {
  const shared = secp256k1.getSharedSecret(secretKey, hexToBytes(`02${publicKeyX}`));
  return extract(sha256, shared.subarray(1, 33), SALT);
}

export function messageKeys(key: Uint8Array, nonce: Uint8Array): { chachaKey: Uint8Array; chachaNonce: Uint8Array; hmacKey: Uint8Array } {
  const keys = expand(sha256, key, nonce, 76);
  return { chachaKey: keys.subarray(0, 32), chachaNonce: keys.subarray(32, 44), hmacKey: keys.subarray(44, 76) };
}

/** Padded length: powers of two up to 256, then steps of an eighth of the next power of two. */
export function paddedLength(length: number): number {
  if (length <= 32) return 32;
  const nextPower = 1 << (Math.floor(Math.log2(length - 1)) + 1);
  const chunk = nextPower <= 256 ? 32 : nextPower / 8;
  return chunk * (Math.floor((length - 1) / chunk) + 1);
}

function pad(plaintext: string): Uint8Array {
  const bytes = new TextEncoder().encode(plaintext);
  if (bytes.length < MIN_PLAINTEXT || bytes.length > MAX_PLAINTEXT) throw new RangeError("NIP-44: the plaintext must be 1 to 65535 bytes");
  const prefix = new Uint8Array(2);
  new DataView(prefix.buffer).setUint16(0, bytes.length);
  return concatBytes(prefix, bytes, new Uint8Array(paddedLength(bytes.length) - bytes.length));
}

function unpad(padded: Uint8Array): string {
  const length = new DataView(padded.buffer, padded.byteOffset).getUint16(0);
  const bytes = padded.subarray(2, 2 + length);
  if (length < MIN_PLAINTEXT || length > MAX_PLAINTEXT || bytes.length !== length || padded.length !== 2 + paddedLength(length)) throw new Error("NIP-44: invalid padding");
  return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
}

const macOf = (hmacKey: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array): Uint8Array => hmac(sha256, hmacKey, concatBytes(nonce, ciphertext));

/** base64(0x02 ‖ nonce ‖ ciphertext ‖ mac). `nonce` is for tests; a random one otherwise. */
export function encrypt(plaintext: string, key: Uint8Array, nonce: Uint8Array = randomBytes(32)): string {
  const { chachaKey, chachaNonce, hmacKey } = messageKeys(key, nonce);
  const ciphertext = chacha20(chachaKey, chachaNonce, pad(plaintext));
  return toBase64(concatBytes(new Uint8Array([VERSION]), nonce, ciphertext, macOf(hmacKey, nonce, ciphertext)));
}

export function decrypt(payload: string, key: Uint8Array): string {
  if (payload.length === 0 || payload.startsWith("#")) throw new Error("NIP-44: unknown encryption version");
  if (payload.length < 132 || payload.length > 87_472) throw new Error("NIP-44: invalid payload length");
  const data = base64ToBytes(payload);
  if (data.length < 99 || data.length > 65_603) throw new Error("NIP-44: invalid data length");
  if (data[0] !== VERSION) throw new Error(`NIP-44: unknown encryption version ${data[0]}`);
  const nonce = data.subarray(1, 33);
  const ciphertext = data.subarray(33, -32);
  const { chachaKey, chachaNonce, hmacKey } = messageKeys(key, nonce);
  if (!equalBytes(macOf(hmacKey, nonce, ciphertext), data.subarray(-32))) throw new Error("NIP-44: invalid MAC");
  return unpad(chacha20(chachaKey, chachaNonce, ciphertext));
}
