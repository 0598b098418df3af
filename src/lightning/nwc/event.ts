import { schnorr } from "@noble/curves/secp256k1.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { hexToBytes, toHex } from "../../bytes.ts";
import * as v from "valibot";

/** A Nostr event (NIP-01). */
export interface NostrEvent {
  readonly id: string;
  readonly pubkey: string;
  readonly created_at: number;
  readonly kind: number;
  readonly tags: readonly (readonly string[])[];
  readonly content: string;
  readonly sig: string;
}

export type UnsignedEvent = Omit<NostrEvent, "id" | "pubkey" | "sig">;

const lowerHex = (length: number) => v.pipe(v.string(), v.regex(new RegExp(`^[0-9a-f]{${length}}$`)));
const EVENT = v.object({
  id: lowerHex(64),
  pubkey: lowerHex(64),
  created_at: v.pipe(v.number(), v.safeInteger()),
  kind: v.pipe(v.number(), v.safeInteger(), v.minValue(0)),
  tags: v.array(v.array(v.string())),
  content: v.string(),
  sig: lowerHex(128),
});

/** Whether a value from the wire has an event's shape (NIP-01's fields and types); its id and signature are `verifyEvent`'s to check. */
export const isNostrEvent = (value: unknown): value is NostrEvent => v.is(EVENT, value);

/** The x-only public key of a secret key, hex (BIP-340). */
export const publicKeyOf = (secretKey: Uint8Array): string => toHex(schnorr.getPublicKey(secretKey));

/** sha256 of `[0, pubkey, created_at, kind, tags, content]` as JSON without spaces (NIP-01). */
function eventId(event: Omit<NostrEvent, "id" | "sig">): string {
  const serialised = JSON.stringify([0, event.pubkey, event.created_at, event.kind, event.tags, event.content]);
  return toHex(sha256(new TextEncoder().encode(serialised)));
}

/** Signs an event with BIP-340 Schnorr over its id (`pubkey`: the secret key's, when the caller already has it). */
export function signEvent(event: UnsignedEvent, secretKey: Uint8Array, pubkey = publicKeyOf(secretKey)): NostrEvent {
  const id = eventId({ ...event, pubkey });
  return { ...event, id, pubkey, sig: toHex(schnorr.sign(hexToBytes(id), secretKey)) };
}

/** Whether an event's id is its content's hash and its signature its author's. Never throws. */
export function verifyEvent(event: NostrEvent): boolean {
  try {
    return eventId(event) === event.id && schnorr.verify(hexToBytes(event.sig), hexToBytes(event.id), hexToBytes(event.pubkey));
  } catch {
    return false;
  }
}
