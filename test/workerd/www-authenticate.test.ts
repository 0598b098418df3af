import { describe, expect, it } from "vitest";
import { formatChallenge, parseChallenge, toBase64 } from "../../src/l402/index.ts";
import { paidToken } from "../fixtures/tokens.ts";
import { goMinted } from "../fixtures/vectors.ts";

const token = paidToken();
const b64 = toBase64(token.bytes);

describe("challenge", () => {
  const invoice = "lnbcrt100n1pexample";
  const [l402, lsat] = formatChallenge(token.bytes, invoice);

  it("formats L402 then LSAT, macaroon before invoice, std padded base64", () => {
    expect(l402).toBe(`L402 macaroon="${b64}", invoice="${invoice}"`);
    expect(lsat).toBe(`LSAT macaroon="${b64}", invoice="${invoice}"`);
  });

  it("matches the Go interceptor's and lnget's regular expressions", () => {
    // Aperture l402/client_interceptor.go: literal spaces.
    expect(/(LSAT|L402) macaroon="(.*?)", invoice="(.*?)"/.exec(l402)?.slice(1)).toEqual(["L402", b64, invoice]);
    // lnget l402/header.go.
    expect(/(LSAT|L402)\s+macaroon="([^"]+)",\s*invoice="([^"]+)"/i.exec(l402)?.slice(1)).toEqual(["L402", b64, invoice]);
  });

  it.each([
    ["one line", l402],
    ["both lines joined as fetch's Headers.get does", `${l402}, ${lsat}`],
    ["LSAT only (the Aperture vector)", goMinted.apertureChallenge],
    ["another scheme first", `Basic realm="x", ${l402}`],
    ["a token68 scheme first", `Negotiate dGVzdA==, ${l402}`],
    ["token= and version=", `L402 version="0", token="${b64}", invoice="${invoice}"`],
    ["unquoted values, odd spacing", `l402 macaroon=${b64.replace(/=+$/, "")} ,invoice=${invoice}`],
  ])("parses %s", (_name, header) => {
    const parsed = parseChallenge(header);
    expect(parsed.ok).toBe(true);
    if (parsed.ok) {
      expect(parsed.value.invoice.startsWith("lnbc")).toBe(true);
      expect(parsed.value.macaroon.length).toBeGreaterThan(66);
    }
  });

  it.each([
    ["no L402 challenge", `Basic realm="x"`],
    ["no invoice", `L402 macaroon="${b64}"`],
    ["a macaroon that is not one", `L402 macaroon="aGVsbG8=", invoice="${invoice}"`],
    ["another version", `L402 version="1", token="${b64}", invoice="${invoice}"`],
    ["an unterminated quote", `L402 macaroon="${b64}, invoice="x`],
    ["oversized", `L402 macaroon="${"A".repeat(20000)}", invoice="x"`],
  ])("refuses %s", (_name, header) => {
    expect(parseChallenge(header).ok).toBe(false);
  });
});
