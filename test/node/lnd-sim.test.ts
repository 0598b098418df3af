import { sha256 } from "@noble/hashes/sha2.js";
import { base64, base64url, hex } from "@scure/base";
import { decode } from "light-bolt11-decoder";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { encodeInvoice, fields } from "../../dev/lnd-sim/bolt11.ts";
import { startSimulator, type Simulator } from "../../dev/lnd-sim/server.ts";
import { callDelayMs } from "../../dev/lnd-sim/pace.ts";
import { payInvoice } from "../../dev/lnd-sim/payer.ts";

let sim: Simulator;
beforeAll(async () => void (sim = await startSimulator()));
afterAll(() => sim.close());
beforeEach(() => sim.setFaults({ latencyMs: 0, failure: null, mismatch: null, paths: [], invoicesPerSecond: 0, jitterMs: 0 }));

async function lnd(path: string, init: { method?: string; body?: unknown; macaroon?: string | null } = {}) {
  const macaroon = init.macaroon === undefined ? sim.adminMacaroonHex : init.macaroon;
  const response = await fetch(`${sim.url}${path}`, {
    method: init.method ?? (init.body === undefined ? "GET" : "POST"),
    headers: macaroon === null ? {} : { "Grpc-Metadata-macaroon": macaroon },
    ...(init.body === undefined ? {} : { body: typeof init.body === "string" ? init.body : JSON.stringify(init.body) }),
  });
  return { status: response.status, json: (await response.json()) as Record<string, any> };
}
const addInvoice = (body: object) => lnd("/v1/invoices", { body, macaroon: sim.invoiceMacaroonHex });
/** Moves the node's clock (0: reads it); tests before may have moved it. */
const moveClock = async (advanceSeconds: number) => ((await (await fetch(`${sim.url}/_sim/clock`, { method: "POST", body: JSON.stringify({ advanceSeconds }) })).json()) as { now: number }).now;
const timestampOf = (paymentRequest: string) => (decode(paymentRequest).sections as { name: string; value?: unknown }[]).find((s) => s.name === "timestamp")?.value as number;

describe("LND REST conventions", () => {
  it("AddInvoice: int64 as strings, bytes as standard base64, a real regtest invoice", async () => {
    const { status, json } = await addInvoice({ value: "21", memo: "hello", expiry: "600" });
    expect(status).toBe(200);
    expect(Object.keys(json).sort()).toEqual(["add_index", "payment_addr", "payment_request", "r_hash"]);
    expect(json["add_index"]).toMatch(/^\d+$/);
    const rHash = base64.decode(json["r_hash"]);
    expect(rHash).toHaveLength(32);
    const sections = decode(json["payment_request"]).sections as { name: string; value?: unknown }[];
    const value = (name: string) => sections.find((s) => s.name === name)?.value;
    expect(json["payment_request"]).toMatch(/^lnbcrt210n1/);
    expect(value("payment_hash")).toBe(hex.encode(rHash));
    expect([value("amount"), value("description"), value("expiry")]).toEqual(["21000", "hello", 600]);
  });

  it("AddInvoice: value_msat, numbers for int64, LND's default expiry, description_hash", async () => {
    const msat = await addInvoice({ value_msat: 1500 });
    expect(decode(msat.json["payment_request"]).sections.find((s: { name: string }) => s.name === "amount")).toMatchObject({ value: "1500" });
    const lookup = await lnd(`/v1/invoice/${hex.encode(base64.decode(msat.json["r_hash"]))}`);
    expect(lookup.json["expiry"]).toBe("86400");
    const descriptionHash = sha256(new TextEncoder().encode("terms"));
    const hashed = await addInvoice({ value: 1, description_hash: base64.encode(descriptionHash) });
    const sections = decode(hashed.json["payment_request"]).sections as { name: string; value?: unknown }[];
    expect(sections.find((s) => s.name === "description_hash")?.value).toBe(hex.encode(descriptionHash));
  });

  it("AddInvoice refuses value with value_msat, bad JSON, bad int64", async () => {
    expect(await addInvoice({ value: 1, value_msat: 1000 })).toEqual({
      status: 500,
      json: { code: 2, message: "value and value_msat are mutually exclusive", details: [] },
    });
    expect((await lnd("/v1/invoices", { body: "{nope", macaroon: sim.invoiceMacaroonHex })).json["code"]).toBe(3);
    expect((await addInvoice({ value: "ten" })).status).toBe(400);
  });

  it("lookups by hex and by URL-safe padded base64; not found is code 5 / 404", async () => {
    const { json } = await addInvoice({ value: 5 });
    const hash = base64.decode(json["r_hash"]);
    const byHex = await lnd(`/v1/invoice/${hex.encode(hash)}`, { macaroon: sim.invoiceMacaroonHex });
    expect(byHex.json).toMatchObject({ state: "OPEN", value: "5", value_msat: "5000", settled: false, r_hash: json["r_hash"] });
    expect(base64.decode(byHex.json["r_preimage"])).toHaveLength(32);
    const v2 = await lnd(`/v2/invoices/lookup?payment_hash=${base64url.encode(hash)}`);
    expect(v2.json["r_hash"]).toBe(json["r_hash"]);
    const unpadded = await lnd(`/v2/invoices/lookup?payment_hash=${base64url.encode(hash).replace(/=+$/, "")}`);
    expect(unpadded.status).toBe(400);
    expect(await lnd(`/v1/invoice/${"00".repeat(32)}`)).toEqual({ status: 404, json: { code: 5, message: "unable to locate invoice", details: [] } });
  });

  it("ListInvoices counts what was created, in order, with offsets", async () => {
    const before = (await lnd("/v1/invoices?num_max_invoices=1000")).json["invoices"].length;
    await addInvoice({ value: 1 });
    await addInvoice({ value: 2 });
    const all = (await lnd("/v1/invoices?num_max_invoices=1000")).json;
    expect(all["invoices"]).toHaveLength(before + 2);
    expect(all["invoices"].at(-1).value).toBe("2");
    const tail = (await lnd(`/v1/invoices?index_offset=${before + 1}`)).json;
    expect(tail["invoices"].map((i: { value: string }) => i.value)).toEqual(["2"]);
  });

  it("getinfo: identity, chain and network", async () => {
    const { json } = await lnd("/v1/getinfo");
    expect(json).toMatchObject({ identity_pubkey: sim.nodePublicKeyHex, synced_to_chain: true, chains: [{ chain: "bitcoin", network: "regtest" }] });
    expect(json["block_height"]).toBeGreaterThan(0);
  });

  it("DecodePayReq recovers the payee and reads the fields", async () => {
    const { json } = await addInvoice({ value: 7, memo: "decode me", expiry: 120 });
    const payreq = await lnd(`/v1/payreq/${json["payment_request"]}`);
    expect(payreq.json).toMatchObject({ destination: sim.nodePublicKeyHex, num_satoshis: "7", num_msat: "7000", description: "decode me", expiry: "120" });
  });
});

describe("macaroons", () => {
  it("missing, wrong, and insufficient macaroons get code 2 / HTTP 500", async () => {
    expect(await lnd("/v1/getinfo", { macaroon: null })).toEqual({ status: 500, json: { code: 2, message: "expected 1 macaroon, got 0", details: [] } });
    expect((await lnd("/v1/getinfo", { macaroon: "00ff" })).json).toMatchObject({ code: 2, message: expect.stringMatching(/verification failed/) });
    expect(await lnd("/v1/getinfo", { macaroon: sim.invoiceMacaroonHex })).toEqual({ status: 500, json: { code: 2, message: "permission denied", details: [] } });
    const { json } = await addInvoice({ value: 1 });
    const pay = await payInvoice({ url: sim.url, macaroonHex: sim.invoiceMacaroonHex }, json["payment_request"]);
    expect(pay).toEqual({ status: "ERROR", error: { code: 2, message: "permission denied", details: [] } });
  });
});

describe("SendPaymentV2", () => {
  const admin = () => ({ url: sim.url, macaroonHex: sim.adminMacaroonHex });

  it("streams IN_FLIGHT then SUCCEEDED with the hex preimage; the invoice is SETTLED", async () => {
    const { json } = await addInvoice({ value: 100 });
    const response = await fetch(`${sim.url}/v2/router/send`, {
      method: "POST",
      headers: { "Grpc-Metadata-macaroon": sim.adminMacaroonHex },
      body: JSON.stringify({ payment_request: json["payment_request"], fee_limit_sat: 10, timeout_seconds: 30 }),
    });
    const lines = (await response.text()).trim().split("\n").map((line) => JSON.parse(line));
    expect(lines.map((line) => line.result.status)).toEqual(["IN_FLIGHT", "SUCCEEDED"]);
    const preimage = hex.decode(lines[1].result.payment_preimage);
    expect(sha256(preimage)).toEqual(base64.decode(json["r_hash"]));
    const lookup = await lnd(`/v1/invoice/${hex.encode(sha256(preimage))}`);
    expect(lookup.json).toMatchObject({ state: "SETTLED", settled: true, amt_paid_sat: "100", amt_paid_msat: "100000" });
    expect(Number(lookup.json["settle_date"])).toBeGreaterThan(0);
  });

  it("charges the configured routing fee within the fee limit, finds no route beyond it, refuses two limits", async () => {
    const send = async (limits: object) => {
      const { json } = await addInvoice({ value: 50 });
      const response = await fetch(`${sim.url}/v2/router/send`, {
        method: "POST",
        headers: { "Grpc-Metadata-macaroon": sim.adminMacaroonHex },
        body: JSON.stringify({ payment_request: json["payment_request"], timeout_seconds: 30, no_inflight_updates: true, ...limits }),
      });
      return JSON.parse((await response.text()).trim().split("\n").at(-1) as string) as { result?: Record<string, string>; error?: { message: string } };
    };
    sim.setFaults({ routeFeeMsat: 1500 });
    try {
      expect((await send({ fee_limit_msat: "1500" })).result).toMatchObject({ status: "SUCCEEDED", fee_msat: "1500", fee_sat: "1" });
      expect((await send({ fee_limit_sat: "1" })).result).toMatchObject({ status: "FAILED", failure_reason: "FAILURE_REASON_NO_ROUTE" });
      expect((await send({})).result).toMatchObject({ status: "FAILED", failure_reason: "FAILURE_REASON_NO_ROUTE" });
      expect((await send({ fee_limit_sat: "2", fee_limit_msat: "2000" })).error?.message).toBe("sat and msat arguments are mutually exclusive");
    } finally {
      sim.setFaults({ routeFeeMsat: 0 });
    }
  });

  it("refuses an invoice already paid, one expired, one unknown (no route), one without amount", async () => {
    const { json } = await addInvoice({ value: 1 });
    expect((await payInvoice(admin(), json["payment_request"])).status).toBe("SUCCEEDED");
    expect(await payInvoice(admin(), json["payment_request"])).toEqual({ status: "ERROR", error: { code: 6, message: "invoice is already paid", details: [] } });

    const expiring = await addInvoice({ value: 1, expiry: 60 });
    await fetch(`${sim.url}/_sim/clock`, { method: "POST", body: JSON.stringify({ advanceSeconds: 61 }) });
    expect((await payInvoice(admin(), expiring.json["payment_request"])).error?.message).toMatch(/^invoice expired/);
    // LND's expiry watcher cancels it; a paid one stays settled whatever the clock.
    expect((await lnd(`/v1/invoice/${hex.encode(base64.decode(expiring.json["r_hash"]))}`)).json["state"]).toBe("CANCELED");
    expect((await lnd(`/v1/invoice/${hex.encode(base64.decode(json["r_hash"]))}`)).json["state"]).toBe("SETTLED");

    const foreign = encodeInvoice({
      network: "bcrt",
      amountMsat: 1000n,
      timestamp: Math.floor(Date.now() / 1000),
      fields: [fields.paymentHash(new Uint8Array(32).fill(1)), fields.description("elsewhere"), fields.paymentSecret(new Uint8Array(32))],
      privateKey: new Uint8Array(32).fill(3),
    });
    expect(await payInvoice(admin(), foreign)).toEqual({ status: "FAILED", failureReason: "FAILURE_REASON_NO_ROUTE" });
    expect((await payInvoice(admin(), "lnbcrt1garbage")).error?.message).toMatch(/invalid payment request/);

    const anyAmount = await addInvoice({ memo: "tip" });
    expect((await payInvoice(admin(), anyAmount.json["payment_request"])).error?.message).toMatch(/amount must be specified/);
  });
});

describe("the stand-in wallet page", () => {
  it("pays a pasted invoice (a lightning: link too) from the simulator's funds, and says why it cannot", async () => {
    const { json } = await addInvoice({ value: 3, memo: "article" });
    const form = await fetch(`${sim.url}/_sim/wallet?invoice=${json["payment_request"]}`);
    expect(await form.text()).toContain(`>${json["payment_request"]}</textarea>`);
    const pay = (invoice: string) => fetch(`${sim.url}/_sim/wallet`, { method: "POST", body: new URLSearchParams({ invoice }) });
    const paid = await pay(`lightning:${json["payment_request"]}`);
    expect(paid.status).toBe(200);
    expect(await paid.text()).toContain("Paid.");
    expect((await lnd(`/v1/invoice/${hex.encode(base64.decode(json["r_hash"]))}`)).json["state"]).toBe("SETTLED");
    const again = await pay(json["payment_request"]);
    expect(again.status).toBe(400);
    expect(await again.text()).toContain("Not paid: invoice is already paid");
    expect(await (await pay("<script>")).text()).not.toContain("<script>");
  });
});

describe("fault injection", () => {
  it("latency, 503 code 14, 500 code 2, malformed JSON, dropped connection, scoped by path", async () => {
    sim.setFaults({ latencyMs: 150 });
    const start = performance.now();
    await lnd("/v1/getinfo");
    expect(performance.now() - start).toBeGreaterThanOrEqual(140);

    sim.setFaults({ latencyMs: 0, failure: "unavailable" });
    expect((await lnd("/v1/getinfo")).status).toBe(503);
    sim.setFaults({ failure: "internal" });
    expect(await lnd("/v1/getinfo")).toMatchObject({ status: 500, json: { code: 2 } });
    sim.setFaults({ failure: "malformed" });
    await expect(fetch(`${sim.url}/v1/getinfo`).then((r) => r.json())).rejects.toThrow(SyntaxError);
    sim.setFaults({ failure: "drop" });
    await expect(fetch(`${sim.url}/v1/getinfo`)).rejects.toThrow();
    sim.setFaults({ failure: "unavailable", paths: ["/v1/invoices"] });
    expect((await lnd("/v1/getinfo")).status).toBe(200);
    expect((await addInvoice({ value: 1 })).status).toBe(503);
  });

  it("invoicesPerSecond: AddInvoice calls wait their turn while other calls answer; jitter stays within its bound", async () => {
    sim.setFaults({ invoicesPerSecond: 0.5 });
    const start = performance.now();
    let secondAnswered = false;
    const first = addInvoice({ value: 1 });
    const second = addInvoice({ value: 2 }).then((answer) => ((secondAnswered = true), answer));
    expect((await first).status).toBe(200);
    expect((await lnd("/v1/getinfo")).status).toBe(200);
    expect(secondAnswered).toBe(false);
    expect((await second).status).toBe(200);
    expect(performance.now() - start).toBeGreaterThanOrEqual(1900);

    const delays = Array.from({ length: 1000 }, () => callDelayMs(150, 20));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(130);
    expect(Math.max(...delays)).toBeLessThanOrEqual(170);
    expect(new Set(delays).size).toBeGreaterThan(1);
    expect(Math.min(...Array.from({ length: 1000 }, () => callDelayMs(5, 20)))).toBeGreaterThanOrEqual(0);
  });

  it("the control endpoint sets and clears faults, and refuses nonsense", async () => {
    const set = await fetch(`${sim.url}/_sim/faults`, { method: "POST", body: JSON.stringify({ mismatch: "amount" }) });
    expect(await set.json()).toMatchObject({ mismatch: "amount" });
    const { json } = await addInvoice({ value: 10 });
    expect(decode(json["payment_request"]).sections.find((s: { name: string }) => s.name === "amount")).toMatchObject({ value: "11000" });
    await fetch(`${sim.url}/_sim/faults`, { method: "DELETE" });
    expect(await (await fetch(`${sim.url}/_sim/faults`)).json()).toEqual({ latencyMs: 0, jitterMs: 0, invoicesPerSecond: 0, failure: null, mismatch: null, paths: [], routeFeeMsat: 0, stampOffsetSeconds: 0, lostPaymentAnswer: null });
    const nonsenses = [{ failure: "meteor" }, { lostPaymentAnswer: "maybe" }, { lostPaymentAnswer: true }, { stampOffsetSeconds: 1.5 }, { stampOffsetSeconds: "60" }, { stampOffsetSeconds: 400 * 86_400 }, { jitterMs: -1 }, { jitterMs: "20" }, { invoicesPerSecond: -5 }, { invoicesPerSecond: null }];
    for (const nonsense of nonsenses) {
      const bad = await fetch(`${sim.url}/_sim/faults`, { method: "POST", body: JSON.stringify(nonsense) });
      expect(bad.status, JSON.stringify(nonsense)).toBe(400);
    }
  });

  it("stampOffsetSeconds: AddInvoice stamps its invoices that far off the node's clock, and its lookups agree", async () => {
    for (const stampOffsetSeconds of [-1800, 1800]) {
      sim.setFaults({ stampOffsetSeconds });
      try {
        const before = await moveClock(0);
        const { json } = await addInvoice({ value: 1, expiry: 600 });
        const after = await moveClock(0);
        const timestamp = timestampOf(json["payment_request"]);
        expect(timestamp).toBeGreaterThanOrEqual(before + stampOffsetSeconds);
        expect(timestamp).toBeLessThanOrEqual(after + stampOffsetSeconds);
        const looked = (await lnd(`/v1/invoice/${hex.encode(base64.decode(json["r_hash"]))}`)).json;
        expect(Number(looked["creation_date"])).toBe(timestamp);
        // Stamped half an hour ago with ten minutes to live: the node's own watcher has canceled it already.
        expect(looked["state"]).toBe(stampOffsetSeconds < 0 ? "CANCELED" : "OPEN");
      } finally {
        sim.setFaults({ stampOffsetSeconds: 0 });
      }
    }
  });
});

describe("the clock", () => {
  it("moved forward and back: the invoices it passed stay canceled (LND's watcher cancels as time passes), later ones are stamped on time", async () => {
    const passed = await addInvoice({ value: 1, expiry: 60 });
    const outlives = await addInvoice({ value: 1, expiry: 3600 });
    const before = await moveClock(0);
    await moveClock(61);
    await moveClock(-61);
    const state = async (added: { json: Record<string, string> }) => (await lnd(`/v1/invoice/${hex.encode(base64.decode(added.json["r_hash"] as string))}`)).json["state"];
    expect(await state(passed)).toBe("CANCELED");
    expect(await state(outlives)).toBe("OPEN");
    const fresh = await addInvoice({ value: 1 });
    expect(timestampOf(fresh.json["payment_request"])).toBeGreaterThanOrEqual(before);
    expect(timestampOf(fresh.json["payment_request"])).toBeLessThanOrEqual(await moveClock(0));
  });
});
