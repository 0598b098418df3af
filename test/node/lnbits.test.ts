import { sha256 } from "@noble/hashes/sha2.js";
import { describe, expect, it } from "vitest";
import { encodeInvoice, fields } from "../../dev/lnd-sim/bolt11.ts";
import { LightningError } from "../../src/lightning/index.ts";
import { readLnbitsStatus } from "../../src/lightning/lnbits.ts";
import { failureReason } from "./support/failure-reason.ts";

/** LNbits' payment lookup as releases write its expiry (1.0 on: an ISO date; before: Unix seconds); the client against the simulator: test/node/backends.test.ts. */
const PREIMAGE = new Uint8Array(32).fill(6);
const HASH = sha256(PREIMAGE);
const STAMPED = 1_800_000_000;
const bolt11 = encodeInvoice({ network: "bcrt", amountMsat: 21_000n, timestamp: STAMPED, fields: [fields.paymentHash(HASH), fields.description("api"), fields.expiry(600)], privateKey: new Uint8Array(32).fill(3) });
const lookup = (details: Record<string, unknown>) => {
  const body = { paid: false, status: "pending", preimage: null, details: { payment_hash: Buffer.from(HASH).toString("hex"), amount: 21_000, bolt11, status: "pending", ...details } };
  return readLnbitsStatus({ status: 200, text: JSON.stringify(body), json: body }, HASH);
};

describe("readLnbitsStatus: the invoice's expiry", () => {
  it("as each release writes it: an ISO date with or without its offset (UTC), Unix seconds, else the invoice's own", () => {
    const at = STAMPED + 600;
    const iso = new Date(at * 1000).toISOString();
    expect(lookup({ expiry: iso }).expiresAt).toBe(at);
    expect(lookup({ expiry: iso.replace("Z", "+00:00") }).expiresAt).toBe(at);
    expect(lookup({ expiry: iso.replace(/\.\d+Z$/, "") }).expiresAt).toBe(at);
    expect(lookup({ expiry: at + 0.25 }).expiresAt).toBe(at);
    expect(lookup({ expiry: undefined }).expiresAt).toBe(at);
    expect(lookup({ expiry: null })).toMatchObject({ state: "open", amountPaidMsat: 0n, expiresAt: at });
  });

  it("none readable: not a payment", () => {
    for (const expiry of ["soon", -5, Number.NaN]) expect(() => lookup({ expiry, bolt11: "lnbc1garbage" })).toThrow(LightningError);
  });
});

describe("readLnbitsStatus: a 404", () => {
  const reasonOf = (status: number, text: string) => failureReason(() => readLnbitsStatus({ status, text, json: text.startsWith("{") ? (JSON.parse(text) as Record<string, unknown>) : undefined }, HASH));
  it("is no such invoice only in LNbits' own words; a proxy's page or an unknown route says nothing of the invoice (a browser's payment is not given up for it)", () => {
    expect(reasonOf(404, '{"detail":"Payment does not exist."}')).toBe("not_found");
    expect(reasonOf(404, "<html><body>404 Not Found</body></html>")).toBe("unavailable");
    expect(reasonOf(404, '{"detail":"Not Found"}')).toBe("unavailable");
    expect(reasonOf(404, '{"detail":"Wallet not found."}')).toBe("auth");
  });
});
