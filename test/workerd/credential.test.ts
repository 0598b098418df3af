import { describe, expect, it } from "vitest";
import { attenuate, encodeMacaroon } from "../../src/macaroon/index.ts";
import {
  parseAuthorization,
  parseMacaroonHeader,
  readCredential,
  toBase64,
  toHex,
  verify,
} from "../../src/l402/index.ts";
import { keyring, NOW, paidToken } from "../fixtures/tokens.ts";
import { macaroonVectors, utf8 } from "../fixtures/vectors.ts";

const token = paidToken();
const b64 = toBase64(token.bytes);
const preimage = toHex(token.preimage);
const urlSafe = b64.replace(/\+/g, "-").replace(/\//g, "_");
const reason = (result: ReturnType<typeof parseAuthorization>) => (result.ok ? "ok" : result.reason);

describe("Authorization", () => {
  it.each([
    ["L402, std base64, padded", `L402 ${b64}:${preimage}`],
    ["LSAT scheme", `LSAT ${b64}:${preimage}`],
    ["mixed-case scheme", `lSaT ${b64}:${preimage}`],
    ["lower-case l402", `l402 ${b64}:${preimage}`],
    ["unpadded", `L402 ${b64.replace(/=+$/, "")}:${preimage}`],
    ["URL-safe", `L402 ${urlSafe}:${preimage}`],
    ["URL-safe unpadded", `L402 ${urlSafe.replace(/=+$/, "")}:${preimage}`],
    ["upper-case preimage", `L402 ${b64}:${preimage.toUpperCase()}`],
    ["extra spaces", `  L402   ${b64}:${preimage}  `],
    ["Aperture's Go client: LSAT and L402 values joined", `LSAT ${b64}:${preimage}, L402 ${b64}:${preimage}`],
    ["the same credential twice, in two base64 alphabets", `L402 ${b64}:${preimage},L402 ${urlSafe}:${preimage.toUpperCase()}`],
  ])("accepts %s", (_name, header) => {
    const parsed = parseAuthorization(header);
    expect(parsed.ok).toBe(true);
    if (parsed.ok) {
      expect(parsed.value.preimage).toEqual(token.preimage);
      expect(verify(parsed.value, { keyring, service: "svc", now: NOW }).ok).toBe(true);
    }
  });

  it("accepts the vector's header", () => {
    const parsed = parseAuthorization(macaroonVectors.l402.authorizationHeader);
    expect(parsed.ok && toHex(parsed.value.preimage)).toBe(macaroonVectors.l402.preimageHex);
  });

  it.each([
    ["another scheme", `Bearer abc`, "missing"],
    ["no preimage", `L402 ${b64}`, "malformed"],
    ["short preimage", `L402 ${b64}:${preimage.slice(2)}`, "malformed"],
    ["non-hex preimage", `L402 ${b64}:${"z".repeat(64)}`, "malformed"],
    ["two macaroons", `L402 ${b64},${b64}:${preimage}`, "malformed"],
    ["two values carrying different credentials", `LSAT ${b64}:${preimage}, L402 ${toBase64(paidToken().bytes)}:${preimage}`, "malformed"],
    ["two values, different preimages", `LSAT ${b64}:${preimage}, L402 ${b64}:${"ab".repeat(32)}`, "malformed"],
    ["a second value that does not parse", `L402 ${b64}:${preimage}, LSAT ${b64}`, "malformed"],
    ["mixed base64 alphabets", `L402 ${b64.slice(0, 10)}-_${b64.slice(12)}:${preimage}`, "malformed"],
    ["bad padding", `L402 ${b64.replace(/=*$/, "===")}:${preimage}`, "malformed"],
    ["base64 of garbage", `L402 ${toBase64(utf8("hello world"))}:${preimage}`, "malformed"],
    ["truncated macaroon", `L402 ${toBase64(token.bytes.slice(0, 40))}:${preimage}`, "malformed"],
    ["non-ASCII", `L402 ${b64}é:${preimage}`, "malformed"],
    ["oversized", `L402 ${"A".repeat(9000)}:${preimage}`, "malformed"],
  ])("refuses %s as %s", (_name, header, expected) => {
    expect(reason(parseAuthorization(header))).toBe(expected);
  });
});

describe("Macaroon and Grpc-Metadata-Macaroon (hex, preimage caveat)", () => {
  const withPreimage = encodeMacaroon(attenuate(token.macaroon, utf8(`preimage=${preimage}`)));

  it("reads the preimage from the last caveat; the token verifies", () => {
    for (const header of ["macaroon", "grpcMetadataMacaroon"] as const) {
      const parsed = readCredential({ authorization: null, macaroon: null, grpcMetadataMacaroon: null, [header]: toHex(withPreimage) });
      expect(parsed.ok).toBe(true);
      if (parsed.ok) {
        expect(parsed.value.preimage).toEqual(token.preimage);
        expect(verify(parsed.value, { keyring, service: "svc", now: NOW }).ok).toBe(true);
      }
    }
  });

  it("refuses hex without a preimage caveat, and non-hex", () => {
    expect(reason(parseMacaroonHeader(toHex(token.bytes)))).toBe("malformed");
    expect(reason(parseMacaroonHeader("zz"))).toBe("malformed");
  });

  it("Authorization with L402 wins; a non-L402 Authorization falls through to Macaroon", () => {
    const both = readCredential({ authorization: token.authorization, macaroon: "zz", grpcMetadataMacaroon: null });
    expect(both.ok).toBe(true);
    const basic = readCredential({ authorization: "Basic dXNlcg==", macaroon: toHex(withPreimage), grpcMetadataMacaroon: null });
    expect(basic.ok).toBe(true);
    expect(readCredential({ authorization: "Basic dXNlcg==", macaroon: null, grpcMetadataMacaroon: null })).toMatchObject({ reason: "missing" });
  });
});
