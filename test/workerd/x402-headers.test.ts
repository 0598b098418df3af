import { encodePaymentSignatureHeader } from "@x402/core/http";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { readPaymentPayload } from "../../src/x402/index.ts";

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
