import { sha256 } from "@noble/hashes/sha2.js";
import { hex } from "@scure/base";
import { describe, expect, it } from "vitest";
import { conversationKey, decrypt, encrypt, messageKeys, paddedLength } from "../../src/lightning/nwc/nip44.ts";
import { v2 } from "nostr-tools/nip44";
import { finalizeEvent, generateSecretKey, getPublicKey, verifyEvent as theirVerify } from "nostr-tools/pure";
import { publicKeyOf, signEvent, verifyEvent } from "../../src/lightning/nwc/event.ts";
import { nip44Vectors } from "../fixtures/vectors.ts";

/** NIP-44 v2 against the NIP's official vectors, inside workerd (where the Worker runs it). */
const { valid, invalid } = nip44Vectors.v2;

describe("NIP-44 v2 vectors", () => {
  it.each(valid.get_conversation_key.map((v, i) => [i, v] as const))("conversation key %i", (_i, vector) => {
    expect(hex.encode(conversationKey(hex.decode(vector.sec1), vector.pub2))).toBe(vector.conversation_key);
  });

  it("message keys", () => {
    const key = hex.decode(valid.get_message_keys.conversation_key);
    for (const vector of valid.get_message_keys.keys) {
      const keys = messageKeys(key, hex.decode(vector.nonce));
      expect([hex.encode(keys.chachaKey), hex.encode(keys.chachaNonce), hex.encode(keys.hmacKey)]).toEqual([vector.chacha_key, vector.chacha_nonce, vector.hmac_key]);
    }
  });

  it("padded lengths", () => {
    for (const [length, padded] of valid.calc_padded_len) expect(paddedLength(length as number)).toBe(padded);
  });

  it.each(valid.encrypt_decrypt.map((v, i) => [i, v] as const))("encrypt and decrypt %i, both ways", (_i, vector) => {
    const sec1 = hex.decode(vector.sec1);
    const sec2 = hex.decode(vector.sec2);
    const key = conversationKey(sec1, publicKeyOf(sec2));
    expect(hex.encode(key)).toBe(vector.conversation_key);
    expect(encrypt(vector.plaintext, key, hex.decode(vector.nonce))).toBe(vector.payload);
    expect(hex.encode(conversationKey(sec2, publicKeyOf(sec1)))).toBe(vector.conversation_key);
    expect(decrypt(vector.payload, key)).toBe(vector.plaintext);
  });

  it.each(valid.encrypt_decrypt_long_msg.map((v, i) => [i, v] as const))("long message %i", (_i, vector) => {
    const plaintext = vector.pattern.repeat(vector.repeat);
    expect(hex.encode(sha256(new TextEncoder().encode(plaintext)))).toBe(vector.plaintext_sha256);
    const key = hex.decode(vector.conversation_key);
    const payload = encrypt(plaintext, key, hex.decode(vector.nonce));
    expect(hex.encode(sha256(new TextEncoder().encode(payload)))).toBe(vector.payload_sha256);
    expect(decrypt(payload, key)).toBe(plaintext);
  });

  it("refuses plaintexts outside 1..65535 bytes", () => {
    const key = new Uint8Array(32).fill(1);
    for (const length of invalid.encrypt_msg_lengths) expect(() => encrypt("a".repeat(length), key)).toThrow();
  });

  it.each(invalid.get_conversation_key.map((v) => [v.note, v] as const))("refuses a conversation key: %s", (_note, vector) => {
    expect(() => conversationKey(hex.decode(vector.sec1), vector.pub2)).toThrow();
  });

  it.each(invalid.decrypt.map((v) => [v.note, v] as const))("refuses to decrypt: %s", (_note, vector) => {
    expect(() => decrypt(vector.payload, hex.decode(vector.conversation_key))).toThrow();
  });
});

describe("against an independent implementation (nostr-tools)", () => {
  it("an event signed here verifies there, and one signed there verifies here", () => {
    const secret = generateSecretKey();
    const ours = signEvent({ kind: 23194, created_at: 1_800_000_000, tags: [["p", "ab".repeat(32)], ["encryption", "nip44_v2"]], content: "line\nbreak \"quoted\" \u2028 é" }, secret);
    expect(theirVerify({ ...ours, tags: ours.tags.map((t) => [...t]) })).toBe(true);
    const theirs = finalizeEvent({ kind: 23195, created_at: 1_800_000_001, tags: [["e", ours.id]], content: "answer" }, secret);
    expect(verifyEvent(theirs)).toBe(true);
    expect(verifyEvent({ ...theirs, content: "altered" })).toBe(false);
  });

  it("ciphertexts cross both ways", () => {
    const a = generateSecretKey();
    const b = generateSecretKey();
    const ours = conversationKey(a, getPublicKey(b));
    expect(hex.encode(ours)).toBe(hex.encode(v2.utils.getConversationKey(b, getPublicKey(a))));
    expect(v2.decrypt(encrypt('{"method":"make_invoice"}', ours), ours)).toBe('{"method":"make_invoice"}');
    expect(decrypt(v2.encrypt("réponse", ours), ours)).toBe("réponse");
  });
});
