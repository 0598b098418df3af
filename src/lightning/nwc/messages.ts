import { decrypt04, encrypt04, sharedKey04 } from "./nip04.ts";
import { conversationKey, decrypt, encrypt } from "./nip44.ts";

/**
 * NIP-47's kinds and the encryption a request uses: NIP-44 v2 when the
 * wallet's info event (kind 13194) lists `nip44_v2` in its `encryption` tag,
 * NIP-04 otherwise (as NIP-47 says of a missing tag).
 */
export const NWC_INFO = 13194;
export const NWC_REQUEST = 23194;
export const NWC_RESPONSE = 23195;

export type Encryption = "nip44_v2" | "nip04";

export function encryptionOf(info: { readonly tags: readonly (readonly string[])[] } | undefined): Encryption {
  const offered = info?.tags.find((tag) => tag[0] === "encryption")?.[1]?.split(/\s+/) ?? [];
  return offered.includes("nip44_v2") ? "nip44_v2" : "nip04";
}

export interface Cipher {
  encrypt(text: string): string;
  decrypt(payload: string): string;
}

/**
 * Encrypts and decrypts between one secret key and one public key, in a given
 * scheme. The shared key is derived here, once: keep the cipher for the pair
 * (the derivation is an elliptic-curve multiplication, milliseconds in JS).
 */
export function cipher(secretKey: Uint8Array, publicKey: string, encryption: Encryption): Cipher {
  if (encryption === "nip04") {
    const shared = sharedKey04(secretKey, publicKey);
    return { encrypt: (text) => encrypt04(text, shared), decrypt: (payload) => decrypt04(payload, shared) };
  }
  const key = conversationKey(secretKey, publicKey);
  return { encrypt: (text) => encrypt(text, key), decrypt: (payload) => decrypt(payload, key) };
}
