import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  attenuate,
  createMacaroon,
  decodeMacaroon,
  encodeMacaroon,
  hasValidSignature,
  MacaroonFormatError,
} from "../../src/macaroon/index.ts";
import { fromHex } from "../../src/l402/index.ts";
import { utf8 } from "../fixtures/vectors.ts";

const rootKey = utf8("a root key");
const sample = createMacaroon({ rootKey, identifier: utf8("id"), location: "loc", caveats: [utf8("a=1"), utf8("b=2")] });
const sampleBytes = encodeMacaroon(sample);
const hex = (value: string) => fromHex(value.replace(/\s+/g, "")) as Uint8Array;
const decodeError = (bytes: Uint8Array): string => {
  try {
    decodeMacaroon(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(MacaroonFormatError);
    return (error as Error).message;
  }
  throw new Error("decoded");
};
const signature = "0620" + "ab".repeat(32);

describe("V2 decoder refuses what it cannot trust, saying why", () => {
  it("every truncation of a valid macaroon", () => {
    for (let length = 0; length < sampleBytes.length; length++) {
      expect(decodeError(sampleBytes.slice(0, length))).toMatch(/truncated|expected|signature|no identifier/);
    }
  });

  it.each([
    ["empty input", "", /truncated: expected version/],
    ["version 1 (JSON/base64 form)", "01", /unsupported macaroon version 1/],
    ["header types out of order", "02 0201aa 0101bb 00 00" + signature, /out of order/],
    ["repeated field type", "02 0201aa 0201bb 00 00" + signature, /out of order/],
    ["no identifier", "02 0101bb 00 00" + signature, /no identifier/],
    ["unknown header field", "02 0201aa 0401bb 00 00" + signature, /unexpected field type 4 in header/],
    ["signature of 31 bytes", "02 0201aa 00 00 061f" + "ab".repeat(31), /signature is 31 bytes/],
    ["trailing bytes", "02 0201aa 00 00" + signature + "00", /1 unexpected bytes after the signature/],
    ["no signature", "02 0201aa 00 00 0201aa", /expected the signature field/],
    ["first-party caveat with a location", "02 0201aa 00 01016c 0201dd 00 00" + signature, /must not have a location/],
    ["caveat without id", "02 0201aa 00 0401dd 00 00" + signature, /caveat has no identifier/],
    ["overlong varint", "02 02ffffffffff01", /varint too long/],
    ["length beyond the input", "02 0264aa", /claims 100 bytes, 1 left/],
    ["location not UTF-8", "02 0101ff 0201aa 00 00" + signature, /location is not valid UTF-8/],
  ])("%s", (_name, input, message) => {
    expect(decodeError(hex(input))).toMatch(message);
  });

  it("size and caveat-count limits", () => {
    expect(decodeError(new Uint8Array(5000))).toMatch(/5000 bytes, limit is 4096/);
    const many = createMacaroon({ rootKey, identifier: utf8("id"), caveats: Array.from({ length: 65 }, () => utf8("x=1")) });
    expect(decodeError(encodeMacaroon(many))).toMatch(/more than 64 caveats/);
  });

  it("decodes third-party caveats and flags them; they never verify", () => {
    const bytes = hex("02 0201aa 00 01016c 0201dd 0401ee 00 00" + signature);
    const macaroon = decodeMacaroon(bytes);
    expect(macaroon.caveats[0]).toEqual({ id: hex("dd"), location: "l", verificationId: hex("ee") });
    expect(encodeMacaroon(macaroon)).toEqual(bytes);
    expect(hasValidSignature(macaroon, rootKey)).toBe(false);
  });
});

describe("V2 round trip", () => {
  it("any macaroon decodes to what was encoded, with no field it did not have", () => {
    const bytes = (maxLength: number) => fc.uint8Array({ maxLength });
    const text = fc.string({ maxLength: 20 });
    // Plain objects, as the decoder makes (fast-check's records have no prototype).
    const firstParty = fc.record({ id: bytes(80) }).map((caveat) => ({ ...caveat }));
    const thirdParty = fc.record({ id: bytes(80), verificationId: bytes(80), location: text }, { requiredKeys: ["id", "verificationId"] }).map((caveat) => ({ ...caveat }));
    const macaroon = fc.record(
      { location: text, identifier: bytes(100), caveats: fc.array(fc.oneof(firstParty, thirdParty), { maxLength: 8 }), signature: fc.uint8Array({ minLength: 32, maxLength: 32 }) },
      { requiredKeys: ["identifier", "caveats", "signature"] },
    ).map((fields) => ({ ...fields }));
    fc.assert(fc.property(macaroon, (original) => void expect(decodeMacaroon(encodeMacaroon(original))).toStrictEqual(original)), { numRuns: 2000 });
  });
});

describe("attenuation", () => {
  it("appends a caveat using only the signature; the root key still verifies it", () => {
    const narrowed = attenuate(sample, utf8("c=3"));
    expect(hasValidSignature(narrowed, rootKey)).toBe(true);
    expect(decodeMacaroon(encodeMacaroon(narrowed))).toEqual(narrowed);
  });

  it("dropping the appended caveat but keeping its signature fails", () => {
    const narrowed = attenuate(sample, utf8("c=3"));
    expect(hasValidSignature({ ...narrowed, caveats: sample.caveats }, rootKey)).toBe(false);
  });
});
