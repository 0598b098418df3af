import { sha256 } from "@noble/hashes/sha2.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBackendSims, type BackendSims } from "../../dev/backend-sims/index.ts";
import { encodeInvoice, fields } from "../../dev/lnd-sim/bolt11.ts";
import { startSimulator, type Simulator } from "../../dev/lnd-sim/server.ts";
import { LightningError, phoenixdBackend, readInvoice } from "../../src/lightning/index.ts";
import { readPhoenixdStatus } from "../../src/lightning/phoenixd.ts";
import { failureReason } from "./support/failure-reason.ts";

/** phoenixd's incoming payment as releases before 0.6.1 send it (no expiresAt, no isExpired) and after; the client against the simulator: test/node/backends.test.ts. */
const PREIMAGE = new Uint8Array(32).fill(5);
const HASH = sha256(PREIMAGE);
const STAMPED = 1_800_000_000;
const invoice = encodeInvoice({ network: "bcrt", amountMsat: 21_000n, timestamp: STAMPED, fields: [fields.paymentHash(HASH), fields.description("api"), fields.expiry(600)], privateKey: new Uint8Array(32).fill(3) });
const answer = (body: Record<string, unknown>) => ({ status: 200, text: JSON.stringify(body), json: body });
const before061 = { paymentHash: Buffer.from(HASH).toString("hex"), preimage: Buffer.from(PREIMAGE).toString("hex"), description: "api", invoice, isPaid: false, receivedSat: 0, fees: 0, createdAt: STAMPED * 1000 };

describe("readPhoenixdStatus", () => {
  it("phoenixd before 0.6.1 (no expiresAt): the expiry is its invoice's own, open until paid", () => {
    expect(readPhoenixdStatus(answer(before061), HASH)).toEqual({ state: "open", amountPaidMsat: 0n, expiresAt: STAMPED + 600, preimage: undefined });
    expect(readPhoenixdStatus(answer({ ...before061, isPaid: true, receivedSat: 21, completedAt: (STAMPED + 5) * 1000 }), HASH)).toMatchObject({ state: "settled", amountPaidMsat: 21_000n, expiresAt: STAMPED + 600, preimage: PREIMAGE });
  });

  it("0.6.1 on: its expiresAt (ms) and isExpired", () => {
    expect(readPhoenixdStatus(answer({ ...before061, isExpired: true, expiresAt: (STAMPED + 900) * 1000 }), HASH)).toMatchObject({ state: "canceled", expiresAt: STAMPED + 900 });
  });

  it("neither an expiresAt nor a readable invoice: not an incoming payment", () => {
    expect(() => readPhoenixdStatus(answer({ ...before061, invoice: "lnbc1garbage" }), HASH)).toThrow(LightningError);
  });
});

describe("readPhoenixdStatus: a 404", () => {
  const reasonOf = (text: string) => failureReason(() => readPhoenixdStatus({ status: 404, text, json: undefined }, HASH));
  it("is no such invoice only in phoenixd's words (Not found; earlier releases: Unknown endpoint); a proxy's page says nothing of the invoice", () => {
    expect(reasonOf("Not found")).toBe("not_found");
    expect(reasonOf("Unknown endpoint (check api doc)")).toBe("not_found");
    expect(reasonOf("<html><body>404 Not Found</body></html>")).toBe("unavailable");
    expect(reasonOf("404 page not found")).toBe("unavailable");
    expect(reasonOf("")).toBe("unavailable");
  });
});

describe("phoenixd's description limit (128 UTF-16 units, as Kotlin counts)", () => {
  let sim: Simulator;
  let sims: BackendSims;
  beforeAll(async () => {
    sim = await startSimulator();
    sims = await startBackendSims(sim.node);
  });
  afterAll(async () => {
    await sims?.close();
    await sim?.close();
  });
  const described = async (memo: string) => {
    const backend = phoenixdBackend({ url: sims.phoenixd.url, password: sims.phoenixd.password, network: "regtest", timeoutMs: 2000 });
    const read = readInvoice((await backend.createInvoice({ amountMsat: 2000n, memo, expirySeconds: 600 })).paymentRequest);
    return read.ok ? read.value.description : undefined;
  };

  it("a longer memo is cut there, never inside a character's surrogate pair: the invoice made and its description checked", async () => {
    expect(await described(`${"a".repeat(127)}😀 and more`)).toBe("a".repeat(127));
    expect(await described(`${"a".repeat(126)}😀 and more`)).toBe(`${"a".repeat(126)}😀`);
    expect(await described("café ☕")).toBe("café ☕");
  });
});
