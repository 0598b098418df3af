import { sha256 } from "@noble/hashes/sha2.js";
import { base64, hex } from "@scure/base";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeInvoice, fields } from "../../dev/lnd-sim/bolt11.ts";
import { readClnCreated, readClnInfo, readClnStatus } from "../../src/lightning/cln-rest.ts";
import { httpAnswer, type HttpAnswer } from "../../src/lightning/http-call.ts";
import { checkInvoice } from "../../src/lightning/invoice-check.ts";
import { readLnbitsCreated, readLnbitsInfo, readLnbitsStatus } from "../../src/lightning/lnbits.ts";
import { readLndCreated, readLndInfo, readLndStatus } from "../../src/lightning/lnd-rest.ts";
import { readPhoenixdCreated, readPhoenixdInfo, readPhoenixdStatus } from "../../src/lightning/phoenixd.ts";
import type { InvoiceStatus, NodeInfo } from "../../src/lightning/index.ts";
import { anyValue, body, check, field, mutated, outcome, RUNS, timed } from "../fixtures/fuzz-support.ts";

/**
 * Every backend's answers (create, lookup, getinfo), generated: statuses of
 * every class, bodies that are the real shape with any field wrong, any JSON,
 * or no JSON. Each reader returns what it read, well-formed, or throws a
 * LightningError of a defined kind; an invoice it accepts passes checkInvoice
 * or is refused by it the same way.
 */
const NOW = 1_800_000_000;
const PREIMAGE = new Uint8Array(32).fill(4);
const HASH = sha256(PREIMAGE);
const HASH_HEX = hex.encode(HASH);
const OTHER_HEX = "ab".repeat(32);
const REQUEST = { amountMsat: 10_000n, memo: "api", expirySeconds: 600 };
const nodeKey = new Uint8Array(32).fill(9);
const invoiceWith = (overrides: { amountMsat?: bigint; timestamp?: number; network?: "bcrt" | "bc" }) =>
  encodeInvoice({
    network: overrides.network ?? "bcrt",
    amountMsat: overrides.amountMsat ?? REQUEST.amountMsat,
    timestamp: overrides.timestamp ?? NOW,
    fields: [fields.paymentHash(HASH), fields.description(REQUEST.memo), fields.expiry(REQUEST.expirySeconds), fields.minFinalCltvExpiry(80)],
    privateKey: nodeKey,
  });
const VALID = invoiceWith({});
const INVOICES = [VALID, invoiceWith({ amountMsat: 11_000n }), invoiceWith({ network: "bc" }), invoiceWith({ timestamp: NOW - 1800 }), invoiceWith({ timestamp: NOW + 1800 })];
const invoiceText = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...INVOICES) }, { weight: 3, arbitrary: mutated(VALID) }, { weight: 1, arbitrary: anyValue });

const status = fc.oneof({ weight: 8, arbitrary: fc.constantFrom(200, 201) }, { weight: 2, arbitrary: fc.integer({ min: 100, max: 599 }) });
const answer = (fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<HttpAnswer> => fc.tuple(status, body(fields)).map(([code, text]) => httpAnswer(code, text));
/** Error bodies as each API shapes them, with any field wrong. */
const errorFields = { code: field(1, 2, 3, 4, 5, 14, 1501, 1502, -32602, -32600), message: field("verification failed", "unable to locate invoice", "Wallet not found."), detail: field("Wallet not found.", "Payment does not exist.") };

/** How many generated answers reached each outcome: the generators must reach the deep ones too. */
let reached: Record<string, number> = {};
const reach = (what: string) => void (reached[what] = (reached[what] ?? 0) + 1);

const validCreated = ({ paymentRequest, paymentHashHex }: { paymentRequest: string; paymentHashHex: string }): boolean => {
  if (!/^[0-9a-f]{64}$/.test(paymentHashHex) || typeof paymentRequest !== "string") return false;
  // What the backend does next, with the same clock every time.
  const checked = outcome(() => checkInvoice(paymentRequest, { paymentHashHex, request: REQUEST, network: "regtest" }, NOW));
  if (!checked.ok) return checked.error.reason === "invalid_response";
  reach("deep");
  const { value } = checked;
  return value.paymentRequest === paymentRequest && hex.encode(value.paymentHash) === paymentHashHex && value.amountMsat === REQUEST.amountMsat && value.expiresAt === NOW + REQUEST.expirySeconds;
};

function validStatus(status: InvoiceStatus): boolean {
  if (status.state === "settled") reach("deep");
  return (
    ["open", "accepted", "settled", "canceled"].includes(status.state) &&
    typeof status.amountPaidMsat === "bigint" &&
    status.amountPaidMsat >= 0n &&
    Number.isSafeInteger(status.expiresAt) &&
    (status.state === "settled" ? status.preimage !== undefined && hex.encode(sha256(status.preimage)) === HASH_HEX : status.preimage === undefined)
  );
}

const validInfo = (info: NodeInfo): boolean =>
  typeof info.alias === "string" && typeof info.network === "string" && typeof info.syncedToChain === "boolean" && Number.isSafeInteger(info.blockHeight) && info.blockHeight >= 0;

/**
 * A reader tried on RUNS answers: each outcome well-formed, or a LightningError
 * of a defined kind. Some answers must be read, some refused, and (for
 * invoices and lookups) some must get through: an invoice checkInvoice
 * accepts, a settled invoice with its preimage.
 */
function fuzz<T>(input: fc.Arbitrary<HttpAnswer>, read: (answer: HttpAnswer) => T, valid: (value: T) => boolean, deep = false): void {
  reached = {};
  check(input, (generated) => {
    const result = outcome(() => read(generated));
    reach(result.ok ? "read" : result.error.reason);
    return !result.ok || valid(result.value);
  });
  expect(reached["read"]).toBeGreaterThan(RUNS / 100);
  expect(reached["invalid_response"]).toBeGreaterThan(RUNS / 100);
  if (deep) expect(reached["deep"]).toBeGreaterThan(RUNS / 1000);
}

const preimageHex = field(hex.encode(PREIMAGE), hex.encode(PREIMAGE).toUpperCase(), OTHER_HEX);
const isoTime = field(new Date((NOW + 600) * 1000).toISOString(), "2027-01-01", "not a date");

describe(`the backends' answers, ${RUNS} generated of each: what they read is well-formed, or they fail with a defined kind`, () => {
  describe("LND", () => {
    it("AddInvoice", timed, () => fuzz(answer({ r_hash: field(base64.encode(HASH), base64.encode(new Uint8Array(31)), "!!"), payment_request: invoiceText, add_index: field("1"), ...errorFields }), readLndCreated, validCreated, true));
    it("LookupInvoice", timed, () =>
      fuzz(
        answer({ state: field("OPEN", "SETTLED", "CANCELED", "ACCEPTED"), creation_date: field(String(NOW), NOW), expiry: field("600", 600), amt_paid_msat: field("10000", 10_000), r_preimage: field(base64.encode(PREIMAGE), base64.encode(HASH)), ...errorFields }),
        (generated) => readLndStatus(generated, HASH),
        validStatus,
        true,
      ));
    it("GetInfo", timed, () =>
      fuzz(answer({ alias: field("node"), chains: field([{ chain: "bitcoin", network: "regtest" }], [{ network: "mainnet" }], [{ network: { toString: 1 } }], [null]), synced_to_chain: field(true, false), block_height: field(850_000), ...errorFields }), readLndInfo, validInfo));
  });

  describe("LNbits", () => {
    it("POST /api/v1/payments", timed, () => fuzz(answer({ payment_hash: field(HASH_HEX, OTHER_HEX), bolt11: invoiceText, payment_request: invoiceText, ...errorFields }), readLnbitsCreated, validCreated, true));
    it("GET /api/v1/payments/{hash}", timed, () =>
      fuzz(
        answer({ paid: field(true, false), status: field("success", "pending", "failed"), preimage: preimageHex, details: fc.oneof(fc.record({ expiry: isoTime, amount: field(10_000), status: field("failed", "pending") }, { requiredKeys: [] }), anyValue), ...errorFields }),
        (generated) => readLnbitsStatus(generated, HASH),
        validStatus,
        true,
      ));
    it("GET /api/v1/wallet", timed, () => fuzz(answer({ name: field("wallet"), balance: field(1000), ...errorFields }), (generated) => readLnbitsInfo(generated, "regtest"), validInfo));
  });

  describe("phoenixd", () => {
    it("POST /createinvoice", timed, () => fuzz(answer({ paymentHash: field(HASH_HEX, OTHER_HEX), serialized: invoiceText, amountSat: field(10), ...errorFields }), readPhoenixdCreated, validCreated, true));
    it("GET /payments/incoming/{hash}", timed, () =>
      fuzz(
        answer({ isPaid: field(true, false), isExpired: field(true, false), expiresAt: field((NOW + 600) * 1000), receivedSat: field(10), preimage: preimageHex, ...errorFields }),
        (generated) => readPhoenixdStatus(generated, HASH),
        validStatus,
        true,
      ));
    it("GET /getinfo", timed, () => fuzz(answer({ nodeId: field("02".repeat(33)), chain: field("regtest", "mainnet"), blockHeight: field(850_000), ...errorFields }), readPhoenixdInfo, validInfo));
  });

  describe("clnrest", () => {
    it("invoice", timed, () => fuzz(answer({ payment_hash: field(HASH_HEX, OTHER_HEX), bolt11: invoiceText, expires_at: field(NOW + 600), ...errorFields }), readClnCreated, validCreated, true));
    it("listinvoices", timed, () =>
      fuzz(
        answer({
          invoices: fc.oneof(
            fc.array(fc.oneof(fc.record({ status: field("paid", "unpaid", "expired"), expires_at: field(NOW + 600), amount_received_msat: field(10_000), payment_preimage: preimageHex }, { requiredKeys: [] }), anyValue), { maxLength: 2 }),
            anyValue,
          ),
          ...errorFields,
        }),
        (generated) => readClnStatus(generated, HASH),
        validStatus,
        true,
      ));
    it("getinfo", timed, () =>
      fuzz(answer({ alias: field("cln"), network: field("regtest", "bitcoin", "toString"), blockheight: field(850_000), warning_bitcoind_sync: field("syncing"), ...errorFields }), readClnInfo, validInfo));
  });
});
