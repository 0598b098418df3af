import { sha256 } from "@noble/hashes/sha2.js";
import { randomBytes } from "@noble/hashes/utils.js";
import { hex } from "@scure/base";
import { describe, expect, it } from "vitest";
import { createKeyring, fromBase64Lenient, parseChallenge, toBase64 } from "../../src/l402/index.ts";
import { attenuate, decodeMacaroon, encodeMacaroon } from "../../src/macaroon/index.ts";
import { LightningError, type InvoiceBackend } from "../../src/lightning/index.ts";
import { formatPaymentCredential, parsePaymentChallenges } from "../../src/payment/index.ts";
import { decide } from "../../src/paywall/decide.ts";
import type { Decision } from "../../src/paywall/decision.ts";
import { memoryPorts } from "../../src/paywall/memory-ports.ts";
import { resolvePaywall } from "../../src/paywall/options.ts";
import { createPaywall, type Paywall } from "../../src/paywall/paywall.ts";
import type { PaywallPorts } from "../../src/paywall/ports.ts";
import { readRequest, type PaywallRequest } from "../../src/paywall/request.ts";

/**
 * decide(), on plain data: in-memory ports, a scripted node that remembers
 * each invoice's preimage, no framework. One table of requests and the
 * decisions they get, every outcome and both built-in schemes; the same
 * behaviour runs through the Worker in test/workerd/.
 */
const NOW = 1_800_000_000;
const keyring = createKeyring(new Uint8Array(32).fill(9));

function scriptedNode() {
  const preimages = new Map<string, Uint8Array>();
  const node = { created: 0, down: false, preimages };
  const backend: InvoiceBackend = {
    async createInvoice(request) {
      if (node.down) throw new LightningError("unavailable", "cannot reach the node");
      node.created++;
      const preimage = randomBytes(32);
      const paymentHash = sha256(preimage);
      preimages.set(hex.encode(paymentHash), preimage);
      return { paymentRequest: `lnbcrt${request.amountMsat / 100_000n}n1invoice${node.created}`, paymentHash, amountMsat: request.amountMsat, expiresAt: NOW + 600 };
    },
    lookupInvoice: async () => ({ state: "open", amountPaidMsat: 0n, expiresAt: NOW + 600, preimage: undefined }),
    getInfo: async () => ({ alias: "scripted", network: "regtest", syncedToChain: true, blockHeight: 1 }),
  };
  return { node, backend };
}

const SERVICES = [
  { name: "api", match: ["/api/*"], price_sats: 10, timeout: 3600, capabilities: ["read", "write"], capability_rules: [{ methods: ["POST"], path: "/api/*", capability: "write" }], free_paths: ["/api/free/*"], revocable: true },
  { name: "dual", match: ["/dual/*"], price_sats: 4, timeout: 3600, schemes: ["l402", "mpp"] },
  { name: "charge", match: ["/charge/*"], price_sats: 2, schemes: ["mpp"] },
  { name: "metered", match: ["/metered/*"], price_sats: 3, uses: 1, timeout: 3600 },
  { name: "trial", match: ["/trial/*"], price_sats: 1, freebies: 1 },
  { name: "open", match: ["/open/*"], auth: false },
];

function setup(ports: PaywallPorts = memoryPorts({ now: () => NOW, mintsPerClient: 1000 }), options: { challengeCacheSeconds?: number } = {}) {
  const { node, backend } = scriptedNode();
  const paywall = createPaywall(resolvePaywall({ services: SERVICES, keyring, backend, ports, challengeCacheSeconds: options.challengeCacheSeconds ?? 0 }));
  return { node, paywall, ports };
}

function request(path: string, init: { method?: string; headers?: Record<string, string>; address?: string } = {}): PaywallRequest {
  const read = readRequest(new Request(`https://paywall.test${path}`, { method: init.method ?? "GET", headers: init.headers ?? {} }), { address: init.address ?? "203.0.113.9", userAgent: "decide-test" }, NOW, []);
  if (!read.ok) throw new Error(read.detail);
  return read.value;
}

const decided = (paywall: Paywall, req: PaywallRequest): Promise<Decision> => decide(req, paywall, () => undefined);

/** A 402 for `path`, paid: its L402 and Payment credentials over the one invoice. */
async function bought(paywall: Paywall, node: ReturnType<typeof scriptedNode>["node"], path: string) {
  const decision = await decided(paywall, request(path));
  if (decision.kind !== "challenge") throw new Error(`expected a challenge, got ${decision.kind}`);
  const preimage = hex.encode(node.preimages.get(decision.parts.paymentHash) as Uint8Array);
  const headers = decision.written.flatMap((written) => written.wwwAuthenticate);
  const l402 = parseChallenge(headers.join(", "));
  const [payment] = parsePaymentChallenges(headers.join(", "));
  return {
    l402: l402.ok ? `L402 ${toBase64(l402.value.macaroon)}:${preimage}` : undefined,
    payment: payment === undefined ? undefined : formatPaymentCredential({ challenge: payment, payload: { preimage } }),
    tokenId: decision.parts.tokenId,
  };
}

/** The credential with a caveat its holder appended: the token narrowed to `read`. */
function readOnly(authorization: string | undefined): string {
  const [, encoded = "", preimage = ""] = /^L402 ([^:]+):(.+)$/.exec(authorization ?? "") ?? [];
  const narrowed = attenuate(decodeMacaroon(fromBase64Lenient(encoded) as Uint8Array), new TextEncoder().encode("api_capabilities=read"));
  return `L402 ${toBase64(encodeMacaroon(narrowed))}:${preimage}`;
}

const summary = (decision: Decision) => ({
  kind: decision.kind,
  outcome: decision.outcome.outcome,
  reason: decision.outcome.reason,
  ...(decision.kind === "refuse" ? { status: decision.status } : {}),
  ...(decision.kind === "pass" ? { access: decision.route.access, scheme: decision.access?.scheme } : {}),
});

describe("decide: one table of requests → decisions", () => {
  const { node, paywall, ports } = setup();
  let api: Awaited<ReturnType<typeof bought>>;
  let dual: Awaited<ReturnType<typeof bought>>;
  let charge: Awaited<ReturnType<typeof bought>>;
  let metered: Awaited<ReturnType<typeof bought>>;
  const auth = (authorization: string | undefined) => ({ headers: { Authorization: authorization ?? "" } });

  type Row = [string, () => PaywallRequest, Partial<ReturnType<typeof summary>>];
  const rows: Row[] = [
    ["no service matches", () => request("/elsewhere"), { kind: "pass", outcome: "unmatched", access: "unmatched" }],
    ["auth off", () => request("/open/x"), { kind: "pass", outcome: "free", access: "free" }],
    ["a free path", () => request("/api/free/docs"), { kind: "pass", outcome: "free", access: "free" }],
    ["no credential", () => request("/api/x"), { kind: "challenge", outcome: "challenged", reason: "missing" }],
    ["an oversized credential", () => request("/api/x", { headers: { Authorization: `L402 ${"A".repeat(9000)}` } }), { kind: "refuse", status: 431, outcome: "refused", reason: "header_too_large" }],
    ["a request claiming 5,000 methods", () => request("/api/x", { method: "POST", headers: { "X-HTTP-Method-Override": Array.from({ length: 5000 }, (_, i) => `M${i}`).join(",") } }), { kind: "refuse", status: 400, outcome: "refused", reason: "too_many_methods" }],
    ["a paid L402 token", () => request("/api/x", auth(api.l402)), { kind: "pass", outcome: "paid", access: "paid", scheme: "l402" }],
    ["a paid token its holder narrowed to read, on a POST (needs write)", () => request("/api/x", { method: "POST", ...auth(readOnly(api.l402)) }), { kind: "challenge", reason: "capability_denied" }],
    ["a wrong preimage", () => request("/api/x", auth(api.l402?.replace(/:[0-9a-f]{64}$/, `:${"00".repeat(32)}`))), { kind: "challenge", reason: "wrong_preimage" }],
    ["another service's token", () => request("/api/x", auth(dual.l402)), { kind: "challenge", reason: "service_mismatch" }],
    // Nothing of the dual service's judges methods (no capability or price rules): its claims are not read, so neither judged nor bounded.
    ["a paid token claiming 5,000 methods where nothing judges them", () => request("/dual/x", { method: "POST", headers: { Authorization: dual.l402 ?? "", "X-HTTP-Method-Override": Array.from({ length: 5000 }, (_, i) => `M${i}`).join(",") } }), { kind: "pass", outcome: "paid", scheme: "l402" }],
    ["a Payment charge", () => request("/dual/x", auth(dual.payment)), { kind: "pass", outcome: "paid", scheme: "payment" }],
    ["the same charge again", () => request("/dual/x", auth(dual.payment)), { kind: "challenge", reason: "spent" }],
    ["the L402 token over the same payment", () => request("/dual/x", auth(dual.l402)), { kind: "pass", outcome: "paid", scheme: "l402" }],
    ["a Payment-only service's charge", () => request("/charge/x", auth(charge.payment)), { kind: "pass", scheme: "payment" }],
    ["a metered token's only use", () => request("/metered/x", auth(metered.l402)), { kind: "pass", outcome: "paid" }],
    ["a metered token used up", () => request("/metered/x", auth(metered.l402)), { kind: "challenge", reason: "exhausted" }],
    ["a free allowance", () => request("/trial/x", { address: "198.51.100.1" }), { kind: "pass", outcome: "freebie", access: "freebie" }],
    ["the allowance spent", () => request("/trial/x", { address: "198.51.100.1" }), { kind: "challenge", reason: "missing" }],
    ["a revoked token", () => request("/api/x", auth(api.l402)), { kind: "challenge", reason: "revoked" }],
  ];

  it.each(rows)("%s", async (_name, make, expected) => {
    api ??= await bought(paywall, node, "/api/buy");
    dual ??= await bought(paywall, node, "/dual/buy");
    charge ??= await bought(paywall, node, "/charge/buy");
    metered ??= await bought(paywall, node, "/metered/buy");
    if (_name === "a revoked token") await ports.revocations?.revoke(api.tokenId, "test", NOW);
    expect(summary(await decided(paywall, make()))).toMatchObject(expected);
  });
});

describe("decide: what the node and the ports cannot do", () => {
  it("the client's recent challenge handed back (challenged_again), with the cache on", async () => {
    const { paywall, node } = setup(undefined, { challengeCacheSeconds: 30 });
    const first = await decided(paywall, request("/api/x"));
    const again = await decided(paywall, request("/api/y"));
    expect([summary(first).outcome, summary(again).outcome]).toEqual(["challenged", "challenged_again"]);
    expect(node.created).toBe(1);
  });

  it("over the mint limit: 429 with Retry-After, the node not asked", async () => {
    const { paywall, node } = setup(memoryPorts({ now: () => NOW, mintsPerClient: 1 }));
    await decided(paywall, request("/api/x"));
    const limited = await decided(paywall, request("/api/x"));
    expect(summary(limited)).toMatchObject({ kind: "refuse", status: 429, outcome: "rate_limited" });
    expect(limited.kind === "refuse" && limited.retryAfterSeconds).toBe(60);
    expect(node.created).toBe(1);
  });

  it("the node down: unavailable (503), nothing let through", async () => {
    const { paywall, node } = setup();
    node.down = true;
    expect(summary(await decided(paywall, request("/api/x")))).toMatchObject({ kind: "unavailable", outcome: "node_unavailable", reason: "missing" });
  });

  it("a meter that cannot answer: unavailable (503) for a paid token, never a pass", async () => {
    const { paywall, node } = setup();
    const token = await bought(paywall, node, "/metered/buy");
    const broken = createPaywall({ ...paywall.settings, ports: { ...paywall.settings.ports, meter: { consume: () => Promise.reject(new Error("down")) } } });
    expect(summary(await decided(broken, request("/metered/x", { headers: { Authorization: token.l402 ?? "" } })))).toMatchObject({ kind: "unavailable", outcome: "error", reason: "meter_unavailable" });
  });
});
