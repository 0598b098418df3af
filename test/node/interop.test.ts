import { sha256 } from "@noble/hashes/sha2.js";
import { importMacaroon, newMacaroon } from "macaroon";
import { describe, expect, it } from "vitest";
import { attenuate, decodeMacaroon, encodeMacaroon } from "../../src/macaroon/index.ts";
import { deriveRootKey, encodeIdentifier, mint, newTokenId, verify } from "../../src/l402/index.ts";
import { keyring, NOW, paidToken } from "../fixtures/tokens.ts";
import { utf8 } from "../fixtures/vectors.ts";

/*
 * js-macaroon 3.0.4's ByteBuffer never records its capacity and doubles its buffer
 * on every append, so exporting a macaroon of more than about 25 fields exhausts
 * memory. The tokens these tests have it export stay at three caveats or fewer.
 */

/** js-macaroon calls this for every first-party caveat; null means satisfied. */
const acceptAll = (): null => null;

describe("js-macaroon (macaroon@3.0.4) as an independent implementation", () => {
  it("verifies tokens we mint, given the root key, and re-encodes them byte for byte", () => {
    const token = paidToken({ capabilities: ["read"] });
    const theirs = importMacaroon(token.bytes);
    const rootKey = deriveRootKey(keyring.current, token.macaroon.identifier);
    const seen: string[] = [];
    theirs.verify(rootKey, (condition) => (seen.push(condition), null));
    expect(seen).toEqual(token.macaroon.caveats.map((c) => new TextDecoder().decode(c.id)));
    expect(theirs.exportBinary()).toEqual(token.bytes);
  });

  it("verifies our tokens after holder attenuation, and refuses them with the wrong key", () => {
    const token = paidToken();
    const narrowed = encodeMacaroon(attenuate(token.macaroon, utf8(`svc_valid_until=${NOW + 10}`)));
    const rootKey = deriveRootKey(keyring.current, token.macaroon.identifier);
    expect(() => importMacaroon(narrowed).verify(rootKey, acceptAll)).not.toThrow();
    expect(() => importMacaroon(narrowed).verify(new Uint8Array(32), acceptAll)).toThrow(/signature mismatch/);
  });

  it("we verify tokens it mints in Aperture's layout, also after it attenuates them", () => {
    const preimage = new Uint8Array(32).fill(5);
    const identifier = encodeIdentifier(sha256(preimage), newTokenId(keyring));
    const theirs = newMacaroon({ identifier, rootKey: deriveRootKey(keyring.current, identifier), location: "lsat", version: 2 });
    theirs.addFirstPartyCaveat("services=svc:0");
    const minted = theirs.exportBinary();
    expect(verify({ macaroon: decodeMacaroon(minted), preimage }, { keyring, service: "svc", now: NOW })).toMatchObject({ ok: true });

    const attenuated = importMacaroon(minted);
    attenuated.addFirstPartyCaveat(`svc_valid_until=${NOW + 1}`);
    const narrowed = decodeMacaroon(attenuated.exportBinary());
    expect(verify({ macaroon: narrowed, preimage }, { keyring, service: "svc", now: NOW })).toMatchObject({ ok: true });
    expect(verify({ macaroon: narrowed, preimage }, { keyring, service: "svc", now: NOW + 1 })).toMatchObject({ reason: "expired" });
    attenuated.addFirstPartyCaveat(`svc_valid_until=${NOW + 60}`);
    const widened = decodeMacaroon(attenuated.exportBinary());
    expect(verify({ macaroon: widened, preimage }, { keyring, service: "svc", now: NOW })).toMatchObject({ reason: "caveat_widened" });
  });

  it("agrees with us on third-party caveats: it encodes them, we decode and refuse them", () => {
    const preimage = new Uint8Array(32).fill(6);
    const token = { ...mint({ keyring, paymentHash: sha256(preimage), caveats: [utf8("services=svc:0")] }), preimage };
    const theirs = importMacaroon(encodeMacaroon(token.macaroon));
    (theirs as unknown as { addThirdPartyCaveat(k: Uint8Array, id: string, loc: string): void }).addThirdPartyCaveat(
      new Uint8Array(32).fill(1),
      "is-authenticated",
      "https://auth.example",
    );
    const ours = decodeMacaroon(theirs.exportBinary());
    expect(ours.caveats.at(-1)?.location).toBe("https://auth.example");
    expect(ours.caveats.at(-1)?.verificationId?.length).toBeGreaterThan(0);
    expect(verify({ macaroon: ours, preimage: token.preimage }, { keyring, service: "svc", now: NOW })).toMatchObject({
      reason: "third_party_caveat",
    });
  });
});
