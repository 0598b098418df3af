import { encodePaymentRequiredHeader, encodePaymentSignatureHeader } from "@x402/core/http";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { readPaymentPayload, readPaymentRequired } from "../../src/x402/index.ts";

/** The x402 header codec (src/x402/headers.ts): what `@x402/core` writes is read back; anything else is a reason, never a throw. */
const requirements = fc.record({
  scheme: fc.string(),
  network: fc.tuple(fc.string(), fc.string()).map(([namespace, reference]): `${string}:${string}` => `${namespace}:${reference}`),
  asset: fc.string(),
  amount: fc.string(),
  payTo: fc.string(),
  maxTimeoutSeconds: fc.integer(),
  extra: fc.dictionary(fc.string(), fc.jsonValue()),
});

describe("PAYMENT-SIGNATURE", () => {
  it("reads what @x402/core's encoder writes", () => {
    fc.assert(
      fc.property(requirements, fc.dictionary(fc.string(), fc.jsonValue()), (accepted, payload) => {
        const read = readPaymentPayload(encodePaymentSignatureHeader({ x402Version: 2, accepted, payload }));
        expect(read.ok && read.value).toEqual(JSON.parse(JSON.stringify({ x402Version: 2, accepted, payload })));
      }),
    );
  });

  it("answers any other text, or any JSON, with malformed and never throws", () => {
    const asHeader = (value: unknown) => btoa(String.fromCharCode(...new TextEncoder().encode(JSON.stringify(value))));
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.jsonValue().map(asHeader)), (header) => {
        const read = readPaymentPayload(header);
        if (!read.ok) expect(read.reason).toBe("malformed");
      }),
    );
  });
});

describe("PAYMENT-REQUIRED", () => {
  const resource = fc.record({ url: fc.string(), description: fc.string() });
  it("reads what @x402/core's encoder writes", () => {
    fc.assert(
      fc.property(resource, fc.array(requirements, { maxLength: 3 }), fc.option(fc.string(), { nil: undefined }), (resource, accepts, error) => {
        const required = { x402Version: 2, resource, accepts, ...(error === undefined ? {} : { error }) };
        const read = readPaymentRequired(encodePaymentRequiredHeader(required));
        expect(read.ok && read.value).toEqual(JSON.parse(JSON.stringify(required)));
      }),
    );
  });

  it("answers any other text, or any JSON, with malformed and never throws", () => {
    const asHeader = (value: unknown) => btoa(String.fromCharCode(...new TextEncoder().encode(JSON.stringify(value))));
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.jsonValue().map(asHeader)), (header) => {
        const read = readPaymentRequired(header);
        if (!read.ok) expect(read.reason).toBe("malformed");
      }),
    );
    expect(readPaymentRequired(asHeader({ x402Version: 2, resource: { url: "u" }, accepts: [{ scheme: "exact" }] }))).toMatchObject({ ok: false, reason: "malformed" });
  });
});
