import { sha256 } from "@noble/hashes/sha2.js";
import { hex } from "@scure/base";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeInvoice, fields, TAG } from "../../dev/lnd-sim/bolt11.ts";
import { CLOCK_SKEW_SECONDS, checkInvoice } from "../../src/lightning/invoice-check.ts";
import { LightningError } from "../../src/lightning/index.ts";

/**
 * The one check every backend's invoice passes before it goes in a challenge,
 * here against invoices stamped at any time and with any expiry (signed by the
 * simulator's encoder), with the clock given.
 */
const NOW = 1_800_000_000;
const NODE_KEY = new Uint8Array(32).fill(9);
const PREIMAGE = new Uint8Array(32).fill(4);
const HASH = sha256(PREIMAGE);
const ASKED = { amountMsat: 10_000n, memo: "api", expirySeconds: 600 };

function invoice(timestamp: number, expirySeconds: number | undefined): string {
  return encodeInvoice({
    network: "bcrt",
    amountMsat: ASKED.amountMsat,
    timestamp,
    fields: [fields.paymentHash(HASH), fields.description(ASKED.memo), ...(expirySeconds === undefined ? [] : [fields.expiry(expirySeconds)]), fields.minFinalCltvExpiry(80)],
    privateKey: NODE_KEY,
  });
}

const expected = (request = ASKED, acceptLongerExpiry = false) => ({ paymentHashHex: hex.encode(HASH), request, network: "regtest" as const, ...(acceptLongerExpiry ? { acceptLongerExpiry } : {}) });

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(LightningError);
    expect((error as LightningError).reason).toBe("invalid_response");
    return (error as Error).message;
  }
  throw new Error("expected the invoice to be refused");
}

describe("checkInvoice: when the invoice was stamped, and when it expires", () => {
  it("an invoice stamped 30 minutes ago with a 600 s expiry (expired 20 minutes ago) is refused, saying so", () => {
    expect(refusal(() => checkInvoice(invoice(NOW - 1800, 600), expected(), NOW))).toBe(
      "the node's invoice expired 1200 s ago (stamped 1800 s ago, expiry 600 s): is the node's clock right?",
    );
  });

  it("an invoice stamped in the future is refused, saying by how much", () => {
    expect(refusal(() => checkInvoice(invoice(NOW + 1800, 600), expected(), NOW))).toBe(
      `the node's invoice is stamped 1800 s in the future (more than the ${CLOCK_SKEW_SECONDS} s of clock difference allowed): is the node's clock right?`,
    );
  });

  it("an unexpired invoice stamped long ago is refused too (a node whose clock is behind)", () => {
    const stamped = NOW - 3 * 3600;
    expect(refusal(() => checkInvoice(invoice(stamped, 86_400), expected({ ...ASKED, expirySeconds: 86_400 }), NOW))).toBe(
      `the node's invoice is stamped 10800 s ago (more than the ${CLOCK_SKEW_SECONDS} s of clock difference allowed): is the node's clock right?`,
    );
  });

  it("within the allowed clock difference, the invoice's own expiry is the challenge's, from its stamp or, stamped in the future (a node's clock ahead), from now", () => {
    for (const offset of [-CLOCK_SKEW_SECONDS, -1, 0]) {
      expect(checkInvoice(invoice(NOW + offset, 600), expected(), NOW).expiresAt).toBe(NOW + offset + 600);
    }
    // The node ends it 600 s after its stamp by its own clock, which is ahead: 600 s from now by ours.
    for (const offset of [1, CLOCK_SKEW_SECONDS]) expect(checkInvoice(invoice(NOW + offset, 600), expected(), NOW).expiresAt).toBe(NOW + 600);
  });

  it("the clock is now's unless given", () => {
    const now = Math.floor(Date.now() / 1000);
    expect(checkInvoice(invoice(now, 600), expected()).expiresAt).toBe(now + 600);
    expect(() => checkInvoice(invoice(now - 1800, 600), expected())).toThrow(/expired/);
  });

  it("an invoice with less than half its life left (a short expiry, a node's clock behind within the skew) is refused, saying so", () => {
    expect(refusal(() => checkInvoice(invoice(NOW - 85, 90), expected({ ...ASKED, expirySeconds: 90 }), NOW))).toBe("the node's invoice has 5 s left of its 90 s (stamped 85 s ago), less than half: is the node's clock right?");
    expect(checkInvoice(invoice(NOW - 45, 90), expected({ ...ASKED, expirySeconds: 90 }), NOW).expiresAt).toBe(NOW + 45);
  });

  it("accepted iff stamped within the allowed difference of now with half its life left, whatever the stamp and expiry", () => {
    const stamp = fc.integer({ min: -3 * CLOCK_SKEW_SECONDS, max: 3 * CLOCK_SKEW_SECONDS });
    fc.assert(
      fc.property(stamp, fc.integer({ min: 1, max: 4 * CLOCK_SKEW_SECONDS }), (offset, expirySeconds) => {
        const request = { ...ASKED, expirySeconds };
        const acceptable = Math.abs(offset) <= CLOCK_SKEW_SECONDS && 2 * (offset + expirySeconds) >= expirySeconds;
        let accepted: boolean;
        try {
          expect(checkInvoice(invoice(NOW + offset, expirySeconds), expected(request), NOW).expiresAt).toBe(NOW + Math.min(offset, 0) + expirySeconds);
          accepted = true;
        } catch (error) {
          if (!(error instanceof LightningError) || error.reason !== "invalid_response") throw error;
          expect(error.message).toMatch(/^the node's invoice (expired \d+ s ago|is stamped \d+ s (ago|in the future)|has \d+ s left of its \d+ s)/);
          accepted = false;
        }
        return accepted === acceptable;
      }),
      { numRuns: 400 },
    );
  });

  it("an invoice expiring exactly now is expired", () => {
    expect(refusal(() => checkInvoice(invoice(NOW - 60, 60), expected({ ...ASKED, expirySeconds: 60 }), NOW))).toMatch(/^the node's invoice expired 0 s ago/);
  });
});

describe("checkInvoice: the expiry asked for", () => {
  it("must be the invoice's, unless a longer one is acceptable", () => {
    expect(refusal(() => checkInvoice(invoice(NOW, 1200), expected(), NOW))).toBe("the node's invoice does not match: expiry 1200 s, asked 600 s");
    expect(checkInvoice(invoice(NOW, 1200), expected(ASKED, true), NOW).expiresAt).toBe(NOW + 1200);
  });

  it("a shorter one is refused either way, saying what the wallet did", () => {
    expect(refusal(() => checkInvoice(invoice(NOW, 300), expected(ASKED, true), NOW))).toBe(
      "the node's invoice expires after 300 s, sooner than the 600 s asked (a wallet may use its own expiry, whatever is asked: ask for 300 s or less)",
    );
  });

  it("a longer one is taken up to a year; an expiry past a safe integer (Infinity, as the field's length allows) is no expiry at all", () => {
    expect(checkInvoice(invoice(NOW, 365 * 86_400), expected(ASKED, true), NOW).expiresAt).toBe(NOW + 365 * 86_400);
    expect(refusal(() => checkInvoice(invoice(NOW, 365 * 86_400 + 1), expected(ASKED, true), NOW))).toBe("the node's invoice expires after 31536001 s, more than the 31536000 s (a year) a challenge may stay open");
    const endless = encodeInvoice({
      network: "bcrt",
      amountMsat: ASKED.amountMsat,
      timestamp: NOW,
      fields: [fields.paymentHash(HASH), fields.description(ASKED.memo), { type: TAG.x, words: new Array<number>(220).fill(31) }],
      privateKey: NODE_KEY,
    });
    expect(refusal(() => checkInvoice(endless, expected(ASKED, true), NOW))).toBe("the node returned an undecodable invoice: the invoice's expiry is out of range");
  });

  it("an invoice without an expiry field has BOLT 11's hour", () => {
    expect(checkInvoice(invoice(NOW, undefined), expected(ASKED, true), NOW).expiresAt).toBe(NOW + 3600);
    expect(refusal(() => checkInvoice(invoice(NOW, undefined), expected(), NOW))).toBe("the node's invoice does not match: expiry 3600 s, asked 600 s");
  });
});

describe("checkInvoice: a description's hash asked for", () => {
  it("must be the invoice's: one with the memo instead, or another hash, is refused", () => {
    const terms = sha256(new TextEncoder().encode("terms"));
    const hashed = (descriptionHash: Uint8Array) =>
      encodeInvoice({ network: "bcrt", amountMsat: ASKED.amountMsat, timestamp: NOW, fields: [fields.paymentHash(HASH), fields.descriptionHash(descriptionHash), fields.expiry(600), fields.minFinalCltvExpiry(80)], privateKey: NODE_KEY });
    const asked = { ...ASKED, descriptionHash: terms };
    expect(checkInvoice(hashed(terms), expected(asked), NOW).expiresAt).toBe(NOW + 600);
    expect(refusal(() => checkInvoice(invoice(NOW, 600), expected(asked), NOW))).toBe(`the node's invoice does not match: description hash none, asked ${hex.encode(terms)}`);
    const other = sha256(new TextEncoder().encode("other"));
    expect(refusal(() => checkInvoice(hashed(other), expected(asked), NOW))).toBe(`the node's invoice does not match: description hash ${hex.encode(other)}, asked ${hex.encode(terms)}`);
  });
});

describe("checkInvoice: the description asked for", () => {
  const described = (description: string | undefined) =>
    encodeInvoice({ network: "bcrt", amountMsat: ASKED.amountMsat, timestamp: NOW, fields: [fields.paymentHash(HASH), ...(description === undefined ? [] : [fields.description(description)]), fields.expiry(600), fields.minFinalCltvExpiry(80)], privateKey: NODE_KEY });

  it("must be the invoice's, as the buyer's wallet shows it: another text, or none, is refused, saying both", () => {
    expect(checkInvoice(described("api"), expected(), NOW).expiresAt).toBe(NOW + 600);
    expect(refusal(() => checkInvoice(described("Pay Mallory for api"), expected(), NOW))).toBe(`the node's invoice does not match: description "Pay Mallory for api", asked "api"`);
    expect(refusal(() => checkInvoice(described(undefined), expected(), NOW))).toBe(`the node's invoice does not match: description "", asked "api"`);
  });

  it("another is taken where acceptable (an NWC wallet, which NIP-47 lets write its own), and a memo's lone surrogate is compared as sent, U+FFFD", () => {
    expect(checkInvoice(described("Cashu mint invoice"), { ...expected(), acceptOtherDescription: true }, NOW).expiresAt).toBe(NOW + 600);
    expect(checkInvoice(described("api \uFFFD"), expected({ ...ASKED, memo: "api \uD83D" }), NOW).expiresAt).toBe(NOW + 600);
  });

  it("an empty memo matches an invoice without a description (BOLT 11 lets a node leave an empty one out)", () => {
    expect(checkInvoice(described(undefined), expected({ ...ASKED, memo: "" }), NOW).expiresAt).toBe(NOW + 600);
  });
});
