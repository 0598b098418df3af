import { hmac } from "@noble/hashes/hmac.js";
import { sha256 as nobleSha256 } from "@noble/hashes/sha2.js";
import { hex } from "@scure/base";
import fc from "fast-check";
import { createHash, createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { fastHmacSha256, hmacChain, keepPads, sha256 } from "../../src/macaroon/fast-hmac.ts";

/**
 * Our SHA-256 and HMAC-SHA256 (src/macaroon/fast-hmac.ts) against two
 * independent implementations, @noble/hashes and Node's OpenSSL, and against the
 * published vectors.
 */
const utf8 = (text: string) => new TextEncoder().encode(text);
const nodeSha256 = (message: Uint8Array) => new Uint8Array(createHash("sha256").update(message).digest());
const nodeHmac = (key: Uint8Array, message: Uint8Array) => new Uint8Array(createHmac("sha256", key).update(message).digest());

describe("sha256", () => {
  // FIPS 180-2, appendix B, and NIST's short-message examples.
  it.each([
    ["", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"],
    ["abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"],
    ["abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"],
    [
      "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
      "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1",
    ],
  ])("NIST: %j", (message, digest) => {
    expect(hex.encode(sha256(utf8(message)))).toBe(digest);
  });

  it("NIST: one million 'a'", () => {
    expect(hex.encode(sha256(new Uint8Array(1_000_000).fill(0x61)))).toBe("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  });

  it("matches @noble/hashes and node:crypto on 100,000 generated inputs, every length from 0 to 300", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 }).chain((length) => fc.uint8Array({ minLength: length, maxLength: length })), (message) => {
        const ours = hex.encode(sha256(message));
        expect(ours).toBe(hex.encode(nobleSha256(message)));
        expect(ours).toBe(hex.encode(nodeSha256(message)));
      }),
      { numRuns: 100_000 },
    );
    // Every length, not only those the generator happened to pick.
    for (let length = 0; length <= 300; length++) {
      const message = Uint8Array.from({ length }, (_, i) => (i * 31 + length) & 0xff);
      expect(hex.encode(sha256(message)), `length ${length}`).toBe(hex.encode(nodeSha256(message)));
    }
  });
});

describe("fastHmacSha256", () => {
  // RFC 4231, test cases 1–4, 6 and 7 (5 truncates the output).
  it.each([
    ["0b".repeat(20), hex.encode(utf8("Hi There")), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"],
    [hex.encode(utf8("Jefe")), hex.encode(utf8("what do ya want for nothing?")), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"],
    ["aa".repeat(20), "dd".repeat(50), "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"],
    ["0102030405060708090a0b0c0d0e0f10111213141516171819", "cd".repeat(50), "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"],
    ["aa".repeat(131), hex.encode(utf8("Test Using Larger Than Block-Size Key - Hash Key First")), "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"],
    [
      "aa".repeat(131),
      hex.encode(utf8("This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.")),
      "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
    ],
  ])("RFC 4231: key %s", (key, message, mac) => {
    expect(hex.encode(fastHmacSha256(hex.decode(key), hex.decode(message)))).toBe(mac);
  });

  it("matches @noble/hashes and node:crypto on 100,000 generated keys and messages, every message length from 0 to 300", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 140 }), fc.integer({ min: 0, max: 300 }).chain((length) => fc.uint8Array({ minLength: length, maxLength: length })), (key, message) => {
        const ours = hex.encode(fastHmacSha256(key, message));
        expect(ours).toBe(hex.encode(hmac(nobleSha256, key, message)));
        expect(ours).toBe(hex.encode(nodeHmac(key, message)));
      }),
      { numRuns: 100_000 },
    );
  });

  it("gives the same MACs with a key's pads kept, and keeping them changes nothing for other keys", () => {
    const kept = Uint8Array.from({ length: 32 }, (_, i) => i);
    const other = Uint8Array.from(kept);
    const before = Array.from({ length: 301 }, (_, length) => hex.encode(fastHmacSha256(kept, new Uint8Array(length).fill(length & 0xff))));
    keepPads(kept);
    for (let length = 0; length <= 300; length++) {
      const message = new Uint8Array(length).fill(length & 0xff);
      expect(hex.encode(fastHmacSha256(kept, message))).toBe(before[length]);
      expect(hex.encode(fastHmacSha256(other, message))).toBe(before[length]);
    }
  });
});

describe("hmacChain", () => {
  it("is each message's HMAC under the one before it, as node:crypto computes step by step, for any key and messages", () => {
    const message = fc.integer({ min: 0, max: 200 }).chain((length) => fc.uint8Array({ minLength: length, maxLength: length }));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 140 }), fc.array(message, { minLength: 1, maxLength: 6 }), (key, messages) => {
        const expected = messages.reduce((mac, next) => nodeHmac(mac, next), key);
        expect(hex.encode(hmacChain(key, messages as [Uint8Array, ...Uint8Array[]]))).toBe(hex.encode(expected));
      }),
      { numRuns: 20_000 },
    );
  });

  it("starts from a kept key's pads as from the key itself", () => {
    const key = Uint8Array.from({ length: 23 }, (_, i) => i * 7);
    const messages: [Uint8Array, ...Uint8Array[]] = [new Uint8Array(32).fill(1), new Uint8Array(66).fill(2), utf8("services=svc:0")];
    const before = hex.encode(hmacChain(key, messages));
    keepPads(key);
    expect(hex.encode(hmacChain(key, messages))).toBe(before);
    expect(before).toBe(hex.encode(messages.reduce((mac, next) => nodeHmac(mac, next), key)));
  });
});
