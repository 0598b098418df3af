import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/worker/load-config.ts";
import { decodeMacaroon, MacaroonFormatError } from "../../src/macaroon/index.ts";
import { createVerifier, formatChallenge, parseAuthorization, parseChallenge, parseMacaroonHeader, toHex, verify } from "../../src/l402/index.ts";
import { formatPaymentCredential, parsePaymentChallenges, parsePaymentCredential, readChargeRequest, readReceipt, type PaymentChallenge } from "../../src/payment/index.ts";
import { paymentChallenge, verifyCharge } from "../../src/paywall/schemes/payment.ts";
import type { ServiceConfig } from "../../src/config/index.ts";
import { check, mutated, RUNS, timed } from "../fixtures/fuzz-support.ts";
import { keyring, NOW, paidToken } from "../fixtures/tokens.ts";

const VERIFY_REASONS = new Set([
  "missing", "malformed", "invalid_identifier", "unknown_key", "wrong_preimage", "bad_signature",
  "third_party_caveat", "invalid_caveat", "caveat_widened", "service_mismatch", "capability_denied", "expired",
]);
const token = paidToken({ capabilities: ["read"] });
const validHeader = token.authorization;
const validBytes = token.bytes;

const mutatedBytes = fc.tuple(fc.array(fc.tuple(fc.nat(validBytes.length), fc.integer({ min: 0, max: 255 }), fc.boolean()), { minLength: 1, maxLength: 4 })).map(([edits]) => {
  let bytes = Array.from(validBytes);
  for (const [at, value, truncate] of edits) bytes = truncate ? bytes.slice(0, at) : bytes.map((b, i) => (i === at ? value : b));
  return Uint8Array.from(bytes);
});

describe(`fuzzing, ${RUNS} generated inputs each: no uncaught exception, every outcome a defined reason`, () => {
  it("the Authorization parser, and verification of whatever it accepts", timed, () => {
    const input = fc.oneof(
      fc.string({ maxLength: 400, unit: "binary" }),
      fc.string({ maxLength: 200 }).map((s) => `L402 ${s}`),
      fc.tuple(fc.constantFrom("L402", "LSAT", "l402", "LsAt", "Bearer"), fc.base64String({ maxLength: 300 }), fc.stringMatching(/^[0-9a-fA-F]{0,70}$/)).map(([scheme, mac, pre]) => `${scheme} ${mac}:${pre}`),
      mutated(validHeader),
    );
    check(input, (header) => {
        const parsed = parseAuthorization(header);
        if (!parsed.ok) return ["missing", "malformed"].includes(parsed.reason) && parsed.detail.length > 0;
        expect(parsed.value.preimage).toHaveLength(32);
        const result = verify(parsed.value, { keyring, service: "svc", capabilities: ["read"], now: NOW });
        return result.ok || VERIFY_REASONS.has(result.reason);
      });
  });

  it("the macaroon decoder (V2 binary) and the hex header form", timed, () => {
    const input = fc.oneof(fc.uint8Array({ maxLength: 600 }), fc.uint8Array({ maxLength: 40 }).map((tail) => Uint8Array.from([2, ...tail])), mutatedBytes);
    check(input, (bytes) => {
        try {
          const macaroon = decodeMacaroon(bytes);
          expect(macaroon.signature).toHaveLength(32);
        } catch (error) {
          if (!(error instanceof MacaroonFormatError)) throw error;
        }
        const viaHeader = parseMacaroonHeader(toHex(bytes));
        return viaHeader.ok || viaHeader.reason === "malformed";
      });
  });

  it("the challenge parser (WWW-Authenticate)", timed, () => {
    const [valid] = formatChallenge(validBytes, "lnbcrt100n1pexample");
    const input = fc.oneof(
      fc.string({ maxLength: 400, unit: "binary" }),
      fc.tuple(fc.constantFrom("L402", "LSAT", "Basic", "Negotiate"), fc.dictionary(fc.constantFrom("macaroon", "invoice", "token", "version", "realm"), fc.string({ maxLength: 60 }), { maxKeys: 5 }), fc.boolean()).map(
        ([scheme, params, quoted]) => `${scheme} ${Object.entries(params).map(([k, v]) => (quoted ? `${k}="${v}"` : `${k}=${v}`)).join(", ")}`,
      ),
      mutated(valid),
      mutated(`${valid}, ${valid.replace("L402", "LSAT")}`),
    );
    check(input, (header) => {
        const parsed = parseChallenge(header);
        if (!parsed.ok) return parsed.detail.length > 0;
        decodeMacaroon(parsed.value.macaroon);
        return parsed.value.invoice.length > 0 && ["L402", "LSAT"].includes(parsed.value.scheme);
      });
  });

  it("the config parser", timed, () => {
    const service = fc.record(
      {
        name: fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom("api", "a.b-c", "")),
        match: fc.oneof(fc.array(fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom("/api/*", "host.example/v1/*", "/:id", "/(", "*")), { maxLength: 3 }), fc.anything()),
        price_sats: fc.oneof(fc.integer(), fc.string({ maxLength: 8 }), fc.double()),
        price_msat: fc.oneof(fc.bigInt().map(String), fc.constant(undefined)),
        timeout: fc.anything(),
        capabilities: fc.oneof(fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }), fc.anything()),
        capability_rules: fc.anything(),
        auth: fc.anything(),
        free_paths: fc.anything(),
        origin: fc.oneof(fc.record({ url: fc.oneof(fc.webUrl(), fc.string()), strip_prefix: fc.string({ maxLength: 8 }), headers: fc.dictionary(fc.string({ maxLength: 10 }), fc.oneof(fc.string(), fc.record({ secret: fc.string({ maxLength: 6 }) }))), headers_timeout_seconds: fc.anything() }, { requiredKeys: [] }), fc.anything()),
      },
      { requiredKeys: [] },
    );
    const env = fc.record({
      L402_SERVICES: fc.oneof(fc.array(service, { maxLength: 3 }), fc.array(service, { maxLength: 2 }).map((s) => JSON.stringify(s)), fc.anything()),
      L402_MASTER_KEYS: fc.oneof(fc.constant("ab".repeat(32)), fc.string({ maxLength: 80 })),
      LND_REST_URL: fc.oneof(fc.webUrl(), fc.string({ maxLength: 30 })),
      LND_MACAROON: fc.oneof(fc.constant("0201"), fc.string({ maxLength: 20 })),
      L402_NETWORK: fc.oneof(fc.constantFrom("mainnet", "regtest", "moon"), fc.anything()),
      L402_INVOICE_EXPIRY: fc.anything(),
      L402_UNMATCHED: fc.anything(),
    });
    check(env, (candidate) => {
        const result = parseConfig(candidate);
        // Every error names the setting it is about (an env name, maybe with a path; a service by its name or index), then says what is wrong.
        return result.ok ? result.value.services.length > 0 : result.problems.length > 0 && result.problems.every((e) => /^(L402|LND)_[A-Z_]+( "[\w.-]+"|\[\d+\]|\.[\w-]+)*: \S/.test(e));
      });
  });

  describe("the Payment scheme", () => {
    const PAYMENT_REFUSALS = new Set(["malformed", "method_unsupported", "unknown_challenge", "service_mismatch", "realm_mismatch", "expired", "wrong_preimage"]);
    const service = { name: "svc", priceMsat: 2000n, uses: undefined, capabilities: undefined, patterns: [new URLPattern({ hostname: "api.test", pathname: "/*" })] } as unknown as ServiceConfig;
    const paid = paidToken({ uses: 3 });
    const challengeHeader = paymentChallenge(keyring, service, { macaroon: paid.bytes, tokenId: toHex(paid.tokenId), tokenValidUntil: NOW + 3600, amountMsat: 2000n, invoice: "lnbcrt20n1pexample", paymentHash: toHex(paid.paymentHash), expiresAt: NOW + 600 }, "api.test");
    const challenge = parsePaymentChallenges(challengeHeader)[0] as PaymentChallenge;
    const credential = formatPaymentCredential({ challenge, payload: { preimage: toHex(paid.preimage) } });
    const credentialJson = JSON.stringify({ challenge, payload: { preimage: toHex(paid.preimage) } });
    const tools = { keyring, verifier: createVerifier(keyring) };
    const at = { host: "api.test", now: NOW, capabilities: [] };
    const b64url = (text: string) => btoa(String.fromCharCode(...new TextEncoder().encode(text))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

    it("the credential parser, and verification of whatever it accepts", timed, () => {
      expect(verifyCharge(tools, service, credential, at).ok).toBe(true);
      const input = fc.oneof(
        fc.string({ maxLength: 400, unit: "binary" }),
        fc.json({ maxDepth: 3 }).map((json) => `Payment ${b64url(json)}`),
        mutated(credentialJson).map((json) => `Payment ${b64url(json)}`),
        mutated(credential),
        mutated(`${credential}, ${credential}`),
      );
      check(input, (header) => {
        const parsed = parsePaymentCredential(header);
        if (!parsed.ok) return parsed.reason === "malformed" && parsed.detail.length > 0;
        const verified = verifyCharge(tools, service, header, at);
        return verified.ok || (PAYMENT_REFUSALS.has(verified.reason) && verified.detail.length > 0);
      });
    });

    it("the challenge parser (WWW-Authenticate: Payment) and the charge request it carries", timed, () => {
      const input = fc.oneof(
        fc.string({ maxLength: 400, unit: "binary" }),
        mutated(challengeHeader),
        mutated(`L402 macaroon="AgE", invoice="lnbc1", ${challengeHeader}`),
        fc.json({ maxDepth: 3 }).map((json) => challengeHeader.replace(/request="[^"]*"/, `request="${b64url(json)}"`)),
      );
      check(input, (header) => {
        for (const parsed of parsePaymentChallenges(header)) {
          expect([parsed.id, parsed.realm, parsed.method, parsed.intent, parsed.request].every((value) => value.length > 0)).toBe(true);
          const request = readChargeRequest(parsed.request);
          if (!request.ok) expect(request.reason).toBe("malformed");
          else expect(request.value.methodDetails.paymentHash).toMatch(/^[0-9a-f]{64}$/);
        }
        return true;
      });
    });

    it("the receipt reader", timed, () => {
      const input = fc.oneof(fc.string({ maxLength: 300, unit: "binary" }), fc.json({ maxDepth: 3 }).map(b64url));
      check(input, (header) => {
        const read = readReceipt(header);
        return read.ok ? typeof JSON.parse(read.value) !== "undefined" : read.reason === "malformed";
      });
    });
  });
});
