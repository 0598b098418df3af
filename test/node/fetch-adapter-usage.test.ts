import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { payInvoice } from "../../dev/lnd-sim/payer.ts";
import { startSimulator, type Simulator } from "../../dev/lnd-sim/server.ts";
import { createKeyring, parseChallenge, toBase64 } from "../../src/l402/index.ts";
import { lndRestBackend, type InvoiceBackend } from "../../src/lightning/index.ts";
import { withPaywall } from "../../src/paywall/fetch-adapter.ts";
import { memoryPorts } from "../../src/paywall/memory-ports.ts";

/**
 * A balance service behind the fetch adapter (paywall/fetch-adapter.ts), in
 * Node with memory ports and the LND simulator: what it debits must be what
 * the Hono middleware debits (test/node/middleware-usage.test.ts).
 */
let sim: Simulator;
let backend: InvoiceBackend;
const keyring = createKeyring(new Uint8Array(32).fill(13));

beforeAll(async () => {
  sim = await startSimulator();
  backend = lndRestBackend({ url: sim.url, macaroonHex: sim.paywallMacaroonHex, network: "regtest", timeoutMs: 2000 });
});
afterAll(() => sim.close());

/** Pays the app's 402: the Authorization value. */
async function buy(app: (request: Request) => Promise<Response>, url: string): Promise<string> {
  const challenge = parseChallenge((await app(new Request(url))).headers.get("www-authenticate") ?? "");
  if (!challenge.ok) throw new Error(challenge.detail);
  const paid = await payInvoice({ url: sim.url, macaroonHex: sim.adminMacaroonHex }, challenge.value.invoice);
  return `L402 ${toBase64(challenge.value.macaroon)}:${paid.preimageHex}`;
}

describe("a uses service behind withPaywall", () => {
  it("a handler that throws is charged as the middleware charges it: its use kept only under charge_on always (the runtime's 500)", async () => {
    for (const [chargeOn, left] of [[undefined, 11], ["always", 10]] as const) {
      const service = { name: "api", price_sats: 1, uses: 11, ...(chargeOn === undefined ? {} : { charge_on: chargeOn }) };
      const app = withPaywall({ service, keyring, backend, ports: memoryPorts(), log: false }, (request) => {
        if (new URL(request.url).searchParams.has("throw")) throw new Error("handler failed");
        return new Response("ok");
      });
      const authorization = await buy(app, "https://api.example/api");
      await expect(app(new Request("https://api.example/api?throw", { headers: { Authorization: authorization } }))).rejects.toThrow("handler failed");
      // The next request's count: one use for it, and the thrown one's kept or given back.
      const next = await app(new Request("https://api.example/api", { headers: { Authorization: authorization } }));
      expect(next.headers.get("x-l402-remaining"), String(chargeOn)).toBe(String(left - 1));
    }
  });
});

describe("a balance service behind withPaywall", () => {
  it("debits what the origin reports (its header taken off), nothing on a 5xx, and says the balance left", async () => {
    const service = { name: "chat", price_sats: 1, balance: { amounts_sats: [10] }, cost_header: "X-L402-Cost", max_cost_sats: 3 };
    const app = withPaywall({ service, keyring, backend, ports: memoryPorts(), log: false }, (request) => {
      const url = new URL(request.url);
      return new Response("reply", { status: Number(url.searchParams.get("status") ?? "200"), headers: { "X-L402-Cost": url.searchParams.get("cost") ?? "" } });
    });
    const unpaid = await app(new Request("https://api.example/chat"));
    const challenge = parseChallenge(unpaid.headers.get("www-authenticate") ?? "");
    if (!challenge.ok) throw new Error(challenge.detail);
    const paid = await payInvoice({ url: sim.url, macaroonHex: sim.adminMacaroonHex }, challenge.value.invoice);
    const authorization = `L402 ${toBase64(challenge.value.macaroon)}:${paid.preimageHex}`;
    const ask = async (query: string) => {
      const answer = await app(new Request(`https://api.example/chat${query}`, { headers: { Authorization: authorization } }));
      return [answer.status, answer.headers.get("x-l402-balance"), answer.headers.get("x-l402-cost")];
    };
    expect(await ask("?cost=1500")).toEqual([200, "8500", null]);
    expect(await ask("?cost=1500&status=500")).toEqual([500, "8500", null]);
    expect(await ask("?cost=500")).toEqual([200, "8000", null]);
  });
});
