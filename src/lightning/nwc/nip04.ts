import { cbc } from "@noble/ciphers/aes.js";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { randomBytes } from "@noble/hashes/utils.js";
import { base64ToBytes, hexToBytes, toBase64 } from "../../bytes.ts";

/**
 * NIP-04 (AES-256-CBC under the raw ECDH x coordinate): only for NWC wallets
 * whose info event says they lack NIP-44. Deprecated by the NIPs, and weaker
 * (no MAC); never chosen when the wallet speaks NIP-44.
 */
/** The AES key between two parties; computed once per pair (an elliptic-curve multiplication). */
export const sharedKey04 = (secretKey: Uint8Array, publicKeyX: string): Uint8Array => secp256k1.getSharedSecret(secretKey, hexToBytes(`02${publicKeyX}`)).subarray(1, 33);

export function encrypt04(plaintext: string, key: Uint8Array): string {
  const iv = randomBytes(16);
  const ciphertext = cbc(key, iv).encrypt(new TextEncoder().encode(plaintext));
  return `${toBase64(ciphertext)}?iv=${toBase64(iv)}`;
}

export function decrypt04(payload: string, key: Uint8Array): string {
  const [ciphertext, iv] = payload.split("?iv=");
  if (ciphertext === undefined || iv === undefined) throw new Error("NIP-04: not ciphertext?iv=…");
  return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(cbc(key, base64ToBytes(iv)).decrypt(base64ToBytes(ciphertext)));
}
