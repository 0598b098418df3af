import { build } from "esbuild";
import type { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { payInvoice } from "../../dev/lnd-sim/payer.ts";
import { startSimulator, type Simulator } from "../../dev/lnd-sim/server.ts";
import { startWorkerd } from "../../dev/workerd.ts";
import { parseChallenge, toBase64 } from "../../src/l402/index.ts";
import { formatPaymentCredential, parsePaymentChallenges, readReceipt } from "../../src/payment/index.ts";
import { decodePaymentRequiredHeader, decodePaymentResponseHeader } from "@x402/core/http";

/**
 * The fetch adapter (src/paywall/fetch-adapter.ts, `l402-edge/fetch`) in
 * workerd: test/fixtures/fetch-worker.ts, a plain `export default { fetch }`
 * Worker, bundled as wrangler bundles (the workerd conditions), with no Hono
 * in the bundle, and paid through the LND simulator. (On plain Node 20 behind
 * node:http: test/node/package.test.ts.)
 */
let sim: Simulator;
let worker: { mf: Miniflare; url: URL };
let inputs: string[];

beforeAll(async () => {
  sim = await startSimulator();
  const bundled = await build({
    entryPoints: [new URL("../fixtures/fetch-worker.ts", import.meta.url).pathname],
    bundle: true,
    format: "esm",
    platform: "neutral",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["module", "main"],
    external: ["node:*", "cloudflare:*"],
    write: false,
    metafile: true,
    logLevel: "error",
  });
  inputs = Object.keys(bundled.metafile.inputs);
  worker = await startWorkerd(bundled.outputFiles[0]?.text ?? "", { L402_MASTER_KEYS: "96".repeat(32), LND_REST_URL: sim.url, LND_MACAROON: sim.paywallMacaroonHex, L402_NETWORK: "regtest" }, { compatibilityFlags: [] });
}, 60_000);
afterAll(async () => {
  await worker?.mf.dispose();
  await sim?.close();
});

const at = (path: string, init?: RequestInit) => fetch(new URL(path, worker.url), init);

describe("the fetch adapter in workerd, without Hono", () => {
  it("bundles without a single module of Hono, and with the paywall's own", () => {
    expect(inputs.some((input) => input.includes("src/paywall/decide.ts"))).toBe(true);
    expect(inputs.filter((input) => /(^|\/)node_modules\/hono\//.test(input))).toEqual([]);
  });

  it("402 with L402 and Payment over one invoice → paid → the handler answers, at the canonical URL, with the uses left", async () => {
    const unpaid = await at("/premium/report");
    expect(unpaid.status).toBe(402);
    const header = unpaid.headers.get("www-authenticate") ?? "";
    const l402 = parseChallenge(header);
    const [payment] = parsePaymentChallenges(header);
    if (!l402.ok || payment === undefined) throw new Error(header);
    expect(await unpaid.json()).toMatchObject({ type: "https://paymentauth.org/problems/payment-required", reason: "missing", invoice: l402.value.invoice });
    const paid = await payInvoice({ url: sim.url, macaroonHex: sim.adminMacaroonHex }, l402.value.invoice);
    const authorization = `L402 ${toBase64(l402.value.macaroon)}:${paid.preimageHex}`;
    const first = await at("/premium//report/./x/../", { headers: { Authorization: authorization } });
    expect(first.status).toBe(200);
    expect(first.headers.get("cache-control")).toBe("private");
    expect(await first.json()).toEqual({ method: "GET", path: "/premium/report/", paidBy: expect.stringMatching(/^[0-9a-f]{64}$/), scheme: "l402", remaining: 1 });
    const viaPayment = await at("/premium/report", { headers: { Authorization: formatPaymentCredential({ challenge: payment, payload: { preimage: paid.preimageHex as string } }) } });
    expect(await viaPayment.json()).toMatchObject({ scheme: "payment", remaining: 0 });
    expect(readReceipt(viaPayment.headers.get("payment-receipt") ?? "").ok).toBe(true);
    const exhausted = await at("/premium/report", { headers: { Authorization: authorization } });
    expect(exhausted.status).toBe(402);
    expect(await exhausted.json()).toMatchObject({ reason: "exhausted" });
  });

  it("an x402 payment naming its invoice only is completed by the node before the decision, and draws the token's uses", async () => {
    const unpaid = await at("/premium/x402");
    const [entry] = decodePaymentRequiredHeader(unpaid.headers.get("payment-required") ?? "").accepts;
    if (entry === undefined) throw new Error("no x402 entry");
    await payInvoice({ url: sim.url, macaroonHex: sim.adminMacaroonHex }, String(entry.extra["invoice"]));
    const signature = btoa(JSON.stringify({ x402Version: 2, payload: { invoice: entry.extra["invoice"] }, accepted: entry }));
    const paid = await at("/premium/x402", { headers: { "PAYMENT-SIGNATURE": signature } });
    expect(paid.status).toBe(200);
    expect(await paid.json()).toMatchObject({ scheme: "x402", remaining: 1 });
    expect(decodePaymentResponseHeader(paid.headers.get("payment-response") ?? "")).toMatchObject({ success: true, transaction: entry.extra["paymentHash"] });
  });

  it("refuses what cannot be decided, answers a browser with the page, and takes a body through on POST", async () => {
    const ambiguous = await at("/premium/a%2Fb");
    expect(ambiguous.status).toBe(400);
    expect(await ambiguous.json()).toMatchObject({ reason: "ambiguous_path" });
    const page = await at("/premium/article", { headers: { Accept: "text/html" } });
    expect(page.status).toBe(402);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(page.headers.get("set-cookie")).toMatch(/^l402-pending-premium=/);
    expect(await page.text()).toContain("Payment required");
    const post = await at("/premium/report", { method: "POST", body: "x".repeat(10) });
    expect(post.status).toBe(402);
  });

  it("settles a balance as the middleware does: the reported cost, the handler's charge, nothing for a handler that throws", async () => {
    const unpaid = await at("/credit/a");
    const l402 = parseChallenge(unpaid.headers.get("www-authenticate") ?? "");
    if (!l402.ok) throw new Error("no challenge");
    await unpaid.body?.cancel();
    const paid = await payInvoice({ url: sim.url, macaroonHex: sim.adminMacaroonHex }, l402.value.invoice);
    const headers = { Authorization: `L402 ${toBase64(l402.value.macaroon)}:${paid.preimageHex}` };
    const reported = await at("/credit/a?cost=1000", { headers });
    expect(await reported.text()).toBe("reserved 5000");
    expect(reported.headers.get("x-l402-balance")).toBe("9000");
    expect(reported.headers.get("x-cost")).toBeNull();
    expect((await at("/credit/a?charge=2000", { headers })).headers.get("x-l402-balance")).toBe("7000");
    const failed = await at("/credit/a?throw", { headers });
    expect(failed.status).toBe(500);
    await failed.body?.cancel();
    // What the failed request reserved came back: 7,000 − 500.
    expect((await at("/credit/a?cost=500", { headers })).headers.get("x-l402-balance")).toBe("6500");
  });
});
