import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { describe, expect, it } from "vitest";
import {
  attenuate,
  computeSignature,
  createMacaroon,
  decodeMacaroon,
  encodeMacaroon,
  hasValidSignature,
} from "../../src/macaroon/index.ts";
import { decodeIdentifier, fromBase64Lenient, fromHex, toBase64, toHex } from "../../src/l402/index.ts";
import { goMinted, macaroonVectors, text, utf8 } from "../fixtures/vectors.ts";

const hex = (value: string): Uint8Array => fromHex(value) as Uint8Array;
const { libmacaroons, l402 } = macaroonVectors;

describe("signature chain (libmacaroons example)", () => {
  it("derives the key, then signs the identifier and the caveat", () => {
    const rootKey = utf8(libmacaroons.rootKeyUtf8);
    const identifier = utf8(libmacaroons.identifierUtf8);
    expect(toHex(computeSignature(rootKey, identifier, []))).toBe(libmacaroons.signatureAfterIdentifierHex);
    expect(toHex(computeSignature(rootKey, identifier, [{ id: utf8(libmacaroons.caveat) }]))).toBe(
      libmacaroons.signatureAfterCaveatHex,
    );
  });
});

describe("L402 token in Aperture's layout", () => {
  const rootKey = hex(l402.rootKeyHex);
  const identifier = hex(l402.identifierHex);

  it("has the listed identifier", () => {
    const decoded = decodeIdentifier(identifier);
    expect(decoded).toEqual({ ok: true, value: { version: 0, paymentHash: hex(l402.paymentHashHex), tokenId: hex(l402.tokenIdHex) } });
  });

  it("reproduces every step of the signature chain", () => {
    expect(toHex(computeSignature(rootKey, identifier, []))).toBe(l402.signatureAfterIdentifierHex);
    l402.caveats.forEach((step, index) => {
      const caveats = l402.caveats.slice(0, index + 1).map((c) => ({ id: utf8(c.caveat) }));
      expect(toHex(computeSignature(rootKey, identifier, caveats))).toBe(step.signatureAfterHex);
    });
  });

  it("encodes byte for byte and decodes back", () => {
    const macaroon = createMacaroon({
      rootKey,
      identifier,
      location: l402.location,
      caveats: l402.caveats.map((c) => utf8(c.caveat)),
    });
    const bytes = encodeMacaroon(macaroon);
    expect(toBase64(bytes)).toBe(l402.macaroonBase64);
    const decoded = decodeMacaroon(bytes);
    expect(decoded).toEqual(macaroon);
    expect(hasValidSignature(decoded, rootKey)).toBe(true);
    expect(l402.authorizationHeader).toBe(`L402 ${l402.macaroonBase64}:${l402.preimageHex}`);
  });

  it("holder attenuation and the preimage caveat match the listed signatures", () => {
    const macaroon = decodeMacaroon(fromBase64Lenient(l402.macaroonBase64) as Uint8Array);
    const narrowed = attenuate(macaroon, utf8(l402.attenuatedByHolder.appendedCaveat));
    expect(toHex(narrowed.signature)).toBe(l402.attenuatedByHolder.signatureHex);
    expect(hasValidSignature(narrowed, rootKey)).toBe(true);
    const withPreimage = attenuate(macaroon, utf8(l402.withPreimageCaveat.appendedCaveat));
    expect(toHex(withPreimage.signature)).toBe(l402.withPreimageCaveat.signatureHex);
  });

});

describe("the key derivation step the published L402 text omits", () => {
  it("skipping it yields the vector's wrong signature, which the chain never produces", () => {
    const rootKey = utf8(libmacaroons.rootKeyUtf8);
    const identifier = utf8(libmacaroons.identifierUtf8);
    const skipped = toHex(hmac(sha256, rootKey, identifier));
    expect(skipped.startsWith(libmacaroons.wrongIfKeyDerivationSkippedHexPrefix)).toBe(true);
    expect(toHex(computeSignature(rootKey, identifier, []))).not.toBe(skipped);
  });
});

describe("tokens minted by Go implementations", () => {
  for (const token of goMinted.tokens) {
    it(`decodes: ${token.name}`, () => {
      const bytes = fromBase64Lenient(token.macaroonBase64) as Uint8Array;
      const macaroon = decodeMacaroon(bytes);
      expect(macaroon.location).toBe(token.expect.location);
      const identifier = decodeIdentifier(macaroon.identifier);
      expect(identifier.ok && identifier.value).toEqual({
        version: token.expect.version,
        paymentHash: hex(token.expect.paymentHashHex),
        tokenId: hex(token.expect.tokenIdHex),
      });
      expect(macaroon.caveats.map((c) => text(c.id))).toEqual(token.expect.caveats);
      expect(toHex(macaroon.signature)).toBe(token.expect.signatureHex);
      expect(toBase64(encodeMacaroon(macaroon))).toBe(token.macaroonBase64);
    });
  }

  it("the Aperture challenge carries the first token", () => {
    expect(goMinted.apertureChallenge).toContain(`macaroon="${goMinted.tokens[0]?.macaroonBase64}"`);
  });

  it("decodes the lsat-js layout as a macaroon whose identifier is not L402", () => {
    const [legacy] = goMinted.notAperturesLayout;
    const macaroon = decodeMacaroon(fromBase64Lenient(legacy?.macaroonBase64Url ?? "") as Uint8Array);
    expect(macaroon.location).toBe("location");
    expect(macaroon.caveats.map((c) => text(c.id))).toEqual(["expiration=1644194263693"]);
    expect(decodeIdentifier(macaroon.identifier)).toEqual({
      ok: false,
      reason: "invalid_identifier",
      detail: "identifier is 132 bytes, an L402 identifier is 66",
    });
  });
});
