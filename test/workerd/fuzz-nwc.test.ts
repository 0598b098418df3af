import { sha256 } from "@noble/hashes/sha2.js";
import { hex } from "@scure/base";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeInvoice, fields } from "../../dev/lnd-sim/bolt11.ts";
import { LightningError, type InvoiceStatus, type NodeInfo } from "../../src/lightning/index.ts";
import { checkInvoice } from "../../src/lightning/invoice-check.ts";
import { signEvent, verifyEvent, type NostrEvent } from "../../src/lightning/nwc/event.ts";
import { encryptionOf, NWC_RESPONSE } from "../../src/lightning/nwc/messages.ts";
import { readNwcCreated, readNwcInfo, readNwcStatus } from "../../src/lightning/nwc/nwc-backend.ts";
import { readNwcResponse } from "../../src/lightning/nwc/nwc-client.ts";
import { readRelayMessage, RelaySocket, type WebSocketLike } from "../../src/lightning/nwc/relay-socket.ts";
import { anyValue, check, field, jsonText, mutated, outcome, RUNS, timed } from "../fixtures/fuzz-support.ts";

/**
 * NWC from the relay's side, generated: the frames a relay sends (the socket's
 * reader, and the socket itself, whose listener must never throw), the events
 * in them, a NIP-47 response's decrypted content, and the wallet's results.
 * Each is read as something well-formed, or ignored, or refused as a
 * LightningError of a defined kind.
 */
const NOW = 1_800_000_000;
const SUB = "sub-1";
const WALLET_SECRET = new Uint8Array(32).fill(6);
const REQUEST_ID = "cd".repeat(32);
const VALID_EVENT = signEvent({ kind: NWC_RESPONSE, created_at: NOW, tags: [["p", "ef".repeat(32)], ["e", REQUEST_ID]], content: "ciphertext" }, WALLET_SECRET);
const PREIMAGE = new Uint8Array(32).fill(4);
const HASH = sha256(PREIMAGE);
const HASH_HEX = hex.encode(HASH);
const REQUEST = { amountMsat: 10_000n, memo: "api", expirySeconds: 600 };
const invoiceWith = (expirySeconds: number, timestamp = NOW) =>
  encodeInvoice({ network: "bcrt", amountMsat: REQUEST.amountMsat, timestamp, fields: [fields.paymentHash(HASH), fields.description("api"), fields.expiry(expirySeconds)], privateKey: new Uint8Array(32).fill(9) });
const INVOICES = [invoiceWith(600), invoiceWith(86_400), invoiceWith(300), invoiceWith(600, NOW - 1800)];

const hex64 = (value: string) => field(value, value.toUpperCase(), value.slice(2), "ab".repeat(32));
const eventLike = fc.record(
  {
    id: hex64(VALID_EVENT.id),
    pubkey: hex64(VALID_EVENT.pubkey),
    created_at: field(NOW, -1, 1.5),
    kind: field(NWC_RESPONSE, 13194, -1, 2 ** 60),
    tags: field(VALID_EVENT.tags, [["encryption", "nip44_v2 nip04"]], [["e"]], [[]], [["e", 5]], [null], [["e", { toString: 1 }]]),
    content: field(VALID_EVENT.content),
    sig: field(VALID_EVENT.sig, VALID_EVENT.sig.slice(2)),
  },
  { requiredKeys: [] },
);
const validFrame = JSON.stringify(["EVENT", SUB, VALID_EVENT]);
const frame: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(field("EVENT", "EOSE", "CLOSED", "OK", "NOTICE", "AUTH"), field(SUB, VALID_EVENT.id, "other"), fc.oneof(fc.constant(VALID_EVENT), eventLike, anyValue), anyValue).map(([type, first, second, third]) => jsonText([type, first, second, third])) },
  { weight: 1, arbitrary: fc.tuple(field("EVENT", "EOSE", "OK"), fc.array(anyValue, { maxLength: 4 })).map(([type, rest]) => jsonText([type, ...rest])) },
  { weight: 2, arbitrary: mutated(validFrame) },
  { weight: 1, arbitrary: mutated(JSON.stringify(["OK", VALID_EVENT.id, true, ""])) },
  { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 80, unit: "binary" }), fc.jsonValue({ maxDepth: 3 }).map(jsonText)) },
);

/** What an accepted frame says must have the types it claims. */
function wellFormed(event: NostrEvent): boolean {
  return (
    /^[0-9a-f]{64}$/.test(event.id) &&
    /^[0-9a-f]{64}$/.test(event.pubkey) &&
    /^[0-9a-f]{128}$/.test(event.sig) &&
    Number.isSafeInteger(event.created_at) &&
    Number.isSafeInteger(event.kind) &&
    typeof event.content === "string" &&
    Array.isArray(event.tags) &&
    event.tags.every((tag) => Array.isArray(tag) && tag.every((part) => typeof part === "string"))
  );
}

/** A socket a test speaks for: what the client sends, and a way to make the relay say anything. */
function fakeSocket() {
  const listeners: Parameters<WebSocketLike["addEventListener"]>[1][] = [];
  const socket: WebSocketLike = {
    readyState: 1,
    send: () => undefined,
    close: () => undefined,
    addEventListener: (type, listener) => void (type === "message" && listeners.push(listener)),
  };
  return { socket, say: (data: string) => listeners.forEach((listener) => listener({ type: "message", data })) };
}

let reached: Record<string, number> = {};
const reach = (what: string) => void (reached[what] = (reached[what] ?? 0) + 1);

describe(`NWC, ${RUNS} generated of each: read as something well-formed, ignored, or refused with a defined kind`, () => {
  it("the relay's frames (readRelayMessage), and the events in them (verifyEvent, encryptionOf)", timed, () => {
    reached = {};
    check(frame, (text) => {
      const message = readRelayMessage(text);
      reach(message?.type ?? "ignored");
      if (message === undefined) return true;
      if (message.type === "END") return typeof message.subscription === "string";
      if (message.type === "OK") return typeof message.eventId === "string" && typeof message.accepted === "boolean" && typeof message.message === "string";
      const { event } = message;
      if (verifyEvent(event)) reach("verified");
      return typeof message.subscription === "string" && wellFormed(event) && ["nip44_v2", "nip04"].includes(encryptionOf(event));
    });
    for (const what of ["EVENT", "END", "OK", "ignored", "verified"]) expect(reached[what], what).toBeGreaterThan(RUNS / 1000);
  });

  it("the relay socket itself: whatever a relay sends, its listener never throws; subscriptions see only events, and a publish only its OK", timed, async () => {
    reached = {};
    await fc.assert(
      fc.asyncProperty(frame, async (text) => {
        const { socket, say } = fakeSocket();
        const relay = await RelaySocket.open("ws://relay.test", () => Promise.resolve(socket), 1000);
        const seen: NostrEvent[] = [];
        relay.subscribe(SUB, {}, { onEvent: (event) => seen.push(event), onEnd: () => reach("ended") });
        let published: unknown = "pending";
        relay.publish(VALID_EVENT).then(
          () => (published = "accepted"),
          (error: unknown) => (published = error),
        );
        say(text);
        await Promise.resolve();
        if (seen.length > 0) reach("event");
        if (published !== "pending") reach("answered");
        // The relay's refusal is the one way a publish fails here.
        return seen.every(wellFormed) && (published === "pending" || published === "accepted" || (published instanceof LightningError && published.reason === "unavailable"));
      }),
      { numRuns: RUNS },
    );
    for (const what of ["ended", "event", "answered"]) expect(reached[what], what).toBeGreaterThan(RUNS / 1000);
  });

  it("a NIP-47 response's content (readNwcResponse)", timed, () => {
    reached = {};
    const content = fc.oneof(
      {
        weight: 6,
        arbitrary: fc
          .record(
            {
              result_type: field("make_invoice"),
              error: fc.oneof(fc.constant(null), fc.record({ code: field("UNAUTHORIZED", "NOT_FOUND", "RATE_LIMITED", "OTHER", "toString", "constructor", "__proto__"), message: field("refused") }, { requiredKeys: [] }), anyValue),
              result: fc.oneof(fc.dictionary(fc.string({ maxLength: 8 }), anyValue, { maxKeys: 4 }), anyValue),
            },
            { requiredKeys: [] },
          )
          .map(jsonText),
      },
      { weight: 1, arbitrary: fc.string({ maxLength: 60, unit: "binary" }) },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }).map(jsonText) },
    );
    check(fc.tuple(content, fc.boolean()), ([text, decrypts]) => {
      const read = outcome(() =>
        readNwcResponse("make_invoice", () => {
          if (!decrypts) throw new Error("NIP-44: invalid MAC");
          return text;
        }),
      );
      reach(read.ok ? "result" : read.error.reason);
      return !read.ok || (typeof read.value === "object" && read.value !== null && !Array.isArray(read.value));
    });
    for (const what of ["result", "invalid_response", "auth", "node_error"]) expect(reached[what], what).toBeGreaterThan(RUNS / 1000);
  });

  /** A result is an object (readNwcResponse sees to that): the real fields, any wrong, or any others. */
  const results = (fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<Record<string, unknown>> =>
    fc
      .oneof({ weight: 8, arbitrary: fc.record(fields, { requiredKeys: [] }) }, { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 8 }), anyValue, { maxKeys: 4 }) })
      .map((result) => JSON.parse(jsonText(result)) as Record<string, unknown>);

  it("make_invoice's result, and the invoice in it (checkInvoice, a longer expiry accepted)", timed, () => {
    reached = {};
    const invoice = fc.oneof(fc.constantFrom(...INVOICES), mutated(INVOICES[0] as string), anyValue);
    check(results({ invoice, payment_hash: field(HASH_HEX, "ab".repeat(32)), expires_at: field(NOW + 600) }), (result) => {
      const read = outcome(() => readNwcCreated(result));
      if (!read.ok) return read.error.reason === "invalid_response";
      const checked = outcome(() => checkInvoice(read.value.paymentRequest, { paymentHashHex: read.value.paymentHashHex, request: REQUEST, network: "regtest", acceptLongerExpiry: true }, NOW));
      reach(checked.ok ? "accepted" : "refused");
      return !checked.ok ? checked.error.reason === "invalid_response" : checked.value.amountMsat === REQUEST.amountMsat && checked.value.expiresAt >= NOW + REQUEST.expirySeconds;
    });
    for (const what of ["accepted", "refused"]) expect(reached[what], what).toBeGreaterThan(RUNS / 1000);
  });

  it("lookup_invoice's result", timed, () => {
    reached = {};
    const fieldsOf = { state: field("pending", "settled", "expired", "failed", "toString"), expires_at: field(NOW + 600), settled_at: field(NOW, 0), amount: field(10_000), preimage: field(hex.encode(PREIMAGE), "ab".repeat(32)) };
    check(results(fieldsOf), (result) => {
      const read = outcome(() => readNwcStatus(result, HASH));
      if (!read.ok) return read.error.reason === "invalid_response";
      const status: InvoiceStatus = read.value;
      reach(status.state);
      return (
        ["open", "settled", "canceled"].includes(status.state) &&
        status.amountPaidMsat >= 0n &&
        Number.isSafeInteger(status.expiresAt) &&
        (status.state === "settled" ? status.preimage !== undefined && hex.encode(sha256(status.preimage)) === HASH_HEX : status.preimage === undefined)
      );
    });
    for (const what of ["open", "settled", "canceled"]) expect(reached[what], what).toBeGreaterThan(RUNS / 1000);
  });

  it("get_info's result", timed, () => {
    check(results({ alias: field("wallet"), network: field("regtest", "mainnet"), block_height: field(850_000) }), (result) => {
      const info: NodeInfo = readNwcInfo(result, "regtest");
      return typeof info.alias === "string" && typeof info.network === "string" && info.syncedToChain && Number.isSafeInteger(info.blockHeight) && info.blockHeight >= 0;
    });
  });
});
