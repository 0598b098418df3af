import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { randomBytes } from "@noble/hashes/utils.js";
import { describe, expect, it } from "vitest";
import { nativeHmacSha256 } from "../../src/worker/native-hmac.ts";
import { createKeyring, verify } from "../../src/l402/index.ts";
import { NOW, paidToken } from "../fixtures/tokens.ts";

describe("workerd's native HMAC (what the Worker uses)", () => {
  it("equals @noble/hashes for keys and messages of every relevant size", () => {
    for (const keyLength of [0, 1, 32, 63, 64, 65, 200]) {
      for (const messageLength of [0, 1, 55, 56, 64, 66, 1000]) {
        const [key, message] = [randomBytes(keyLength), randomBytes(messageLength)];
        expect(Array.from(nativeHmacSha256(key, message))).toEqual(Array.from(hmac(sha256, key, message)));
      }
    }
  });

  it("tokens minted with either primitive verify with the other", () => {
    const secret = new Uint8Array(32).fill(7);
    const noble = createKeyring(secret);
    const native = createKeyring(secret, [], nativeHmacSha256);
    expect(native.current.id).toBe(noble.current.id);
    for (const [mintWith, verifyWith] of [[noble, native], [native, noble]] as const) {
      const token = paidToken({ keyring: mintWith });
      expect(verify({ macaroon: token.macaroon, preimage: token.preimage }, { keyring: verifyWith, service: "svc", now: NOW }).ok).toBe(true);
    }
  });
});
