import { hex } from "@scure/base";
import { describe, expect, it } from "vitest";
import { fastHmacSha256 } from "../../src/macaroon/index.ts";
import {
  canonicalJson,
  challengeId,
  challengeIdInput,
  decodeBase64Url,
  encodeBase64Url,
  formatPaymentChallenge,
  formatPaymentCredential,
  formatReceipt,
  parsePaymentChallenges,
  parsePaymentCredential,
  readReceipt,
  type PaymentChallenge,
} from "../../src/payment/index.ts";
import { paymentVectors as vectors } from "../fixtures/vectors.ts";

/** Every vector of Aperture's Payment-scheme set (test/fixtures/aperture-mpp-vectors.json). */
describe("Payment scheme vectors (lightninglabs/aperture)", () => {
  it.each(vectors.canonicalization.map((v) => [v.name, v] as const))("JCS: %s", (_name, vector) => {
    if ("error" in vector && vector.error) {
      expect(() => canonicalJson(JSON.parse(vector.input))).toThrow();
      return;
    }
    expect(canonicalJson(JSON.parse(vector.input))).toBe((vector as { canonical: string }).canonical);
  });

  it.each(vectors.base64url.map((v) => [v.name, v] as const))("base64url: %s", (_name, vector) => {
    const decoded = decodeBase64Url(vector.encoded);
    if ("error" in vector && vector.error) {
      expect(decoded).toBeUndefined();
      return;
    }
    expect(hex.encode(decoded ?? new Uint8Array(1))).toBe((vector as { decodedHex?: string }).decodedHex ?? "");
    if (vector.canonical) expect(encodeBase64Url(decoded as Uint8Array)).toBe(vector.encoded);
  });

  it.each(vectors.challengeHeaders.map((v) => [v.name, v] as const))("challenge header: %s", (_name, vector) => {
    expect(formatPaymentChallenge(vector.params as PaymentChallenge)).toBe(vector.header);
    expect(parsePaymentChallenges(vector.header)).toEqual([vector.params]);
  });

  it.each(vectors.challengeLists.map((v) => [v.name, v] as const))("challenge list: %s", (_name, vector) => {
    const parsed = parsePaymentChallenges(vector.header);
    if ("error" in vector && vector.error) expect(parsed).toEqual([]);
    else expect(parsed).toEqual((vector as { challenges: unknown[] }).challenges);
  });

  it.each(vectors.challengeIds.map((v) => [v.name, v] as const))("challenge id: %s", (_name, vector) => {
    const secret = hex.decode(vectors.hmacSecretHex);
    expect(challengeIdInput(vector.params)).toBe(vector.hmacInput);
    expect(challengeId(secret, vector.params, fastHmacSha256)).toBe(vector.params.id);
  });

  it.each(vectors.credentials.map((v) => [v.name, v] as const))("credential: %s", (_name, vector) => {
    const parsed = parsePaymentCredential(vector.header);
    if ("error" in vector && vector.error) {
      expect(parsed.ok).toBe(false);
      return;
    }
    if (!parsed.ok) throw new Error(parsed.detail);
    expect(parsed.value).toEqual(JSON.parse(vector.credentialJson));
    // The scheme token is written as "Payment", whatever case it was read in.
    expect(formatPaymentCredential(parsed.value)).toBe(vector.header.replace(/^payment /, "Payment "));
  });

  it.each(vectors.receipts.map((v) => [v.name, v] as const))("receipt: %s", (_name, vector) => {
    const read = readReceipt(vector.header);
    expect(read).toEqual({ ok: true, value: vector.receiptJson });
    const json = JSON.parse(vector.receiptJson) as Record<string, unknown>;
    // The charge receipts are ours to write: the same bytes.
    if (json["status"] === "success" && "timestamp" in json && !("refundStatus" in json)) {
      expect(formatReceipt(json as unknown as Parameters<typeof formatReceipt>[0])).toBe(vector.header);
    }
  });
});
