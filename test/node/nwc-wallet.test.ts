import { randomBytes } from "@noble/hashes/utils.js";
import { hex } from "@scure/base";
import { sha256 } from "@noble/hashes/sha2.js";
import { describe, expect, it } from "vitest";
import { startRelay } from "../../dev/backend-sims/nostr-relay.ts";
import { L402Error, lndWallet, nwcWallet } from "../../src/client/index.ts";
import { lndRestBackend, nwcBackend, platformWebSocket, readInvoice, routeHintFeeMsat } from "../../src/lightning/index.ts";
import { publicKeyOf, signEvent } from "../../src/lightning/nwc/event.ts";
import { cipher, NWC_REQUEST, NWC_RESPONSE } from "../../src/lightning/nwc/messages.ts";
import { useBackendSims } from "../setup/backend-sims.ts";
import bolt11 from "../fixtures/bolt11-spec-examples.json" with { type: "json" };

/** The client's NWC wallet against the NWC wallet simulator, which pays on the same node the LND simulator issues from. */
const running = useBackendSims();

const invoice = async (sats = 7n) => (await lndRestBackend({ url: running.sim.url, macaroonHex: running.sim.invoiceMacaroonHex, network: "regtest", timeoutMs: 2000 }).createInvoice({ amountMsat: sats * 1000n, memo: "nwc", expirySeconds: 600 })).paymentRequest;
const LIMITS = { maxFeeMsat: 10_000n };

async function failure(promise: Promise<unknown>): Promise<L402Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(L402Error);
  return error as L402Error;
}

describe("nwcWallet", () => {
  it("pays with pay_invoice and returns the preimage of the invoice's hash (waiting 60 s at most, unless told)", async () => {
    const paymentRequest = await invoice();
    const paid = await nwcWallet({ uri: running.sims.nwc.uri }).pay(paymentRequest, LIMITS);
    const settled = await fetch(`${running.sim.url}/v1/invoice/${hex.encode(sha256(paid.preimage))}`, { headers: { "Grpc-Metadata-macaroon": running.sim.adminMacaroonHex } });
    expect(((await settled.json()) as { state: string }).state).toBe("SETTLED");
    expect(paid.feeMsat).toBe(0n);
  });

  it("a wallet's refusal is payment_failed, with its reason", async () => {
    const paymentRequest = await invoice();
    await nwcWallet({ uri: running.sims.nwc.uri, timeoutSeconds: 5 }).pay(paymentRequest, LIMITS);
    const again = await failure(nwcWallet({ uri: running.sims.nwc.uri, timeoutSeconds: 5 }).pay(paymentRequest, LIMITS));
    expect(again.code).toBe("payment_failed");
    expect(again.message).toMatch(/the wallet refused the payment: pay_invoice: /);
  });

  it("a wallet's INTERNAL error may come after the payment began: payment_failed, not unpaid; a refusal NIP-47 gives before paying is unpaid", async () => {
    await fetch(`${running.sims.relay.controlUrl}/_sim/faults`, { method: "POST", body: JSON.stringify({ failure: "internal" }) });
    try {
      expect(await failure(nwcWallet({ uri: running.sims.nwc.uri, timeoutSeconds: 5 }).pay(await invoice(), LIMITS))).toMatchObject({ code: "payment_failed", unpaid: false, message: expect.stringContaining("pay_invoice: INTERNAL") });
    } finally {
      await fetch(`${running.sims.relay.controlUrl}/_sim/faults`, { method: "DELETE" });
    }
    const paymentRequest = await invoice();
    await nwcWallet({ uri: running.sims.nwc.uri, timeoutSeconds: 5 }).pay(paymentRequest, LIMITS);
    expect(await failure(nwcWallet({ uri: running.sims.nwc.uri, timeoutSeconds: 5 }).pay(paymentRequest, LIMITS))).toMatchObject({ unpaid: true });
  });

  it("an invoice whose own route hints charge more than the budget leaves for routing is refused unpaid, the wallet not asked (NIP-47 sends no fee limit)", async () => {
    // BOLT 11's example with one hint (fee_base_msat 1000, fee_proportional_millionths 2500) for 967,878,534 msat: 1,000 + ⌈967,878,534 × 2,500 / 10⁶⌉ msat.
    const hinted = bolt11.examples.find((example) => example.title.startsWith("Please send 0.00967878534 BTC"))?.invoice ?? "";
    expect(routeHintFeeMsat(hinted, 967_878_534n)).toBe(1000n + 2_419_697n);
    const refused = await failure(nwcWallet({ uri: running.sims.nwc.uri, timeoutSeconds: 5 }).pay(hinted, { maxFeeMsat: 2_420_696n }));
    expect(refused).toMatchObject({ code: "payment_failed", unpaid: true, message: expect.stringContaining("route hints charge 2420697 msat") });
  });

  it("pays through a relay that sends malformed frames (an EVENT of null, an event without tags, …) before the wallet's answer", async () => {
    await fetch(`${running.sims.relay.controlUrl}/_sim/faults`, { method: "POST", body: JSON.stringify({ junkFrames: true }) });
    try {
      const paymentRequest = await invoice();
      const paid = await nwcWallet({ uri: running.sims.nwc.uri, timeoutSeconds: 5 }).pay(paymentRequest, LIMITS);
      const read = readInvoice(paymentRequest);
      expect(read.ok && hex.encode(sha256(paid.preimage)) === read.value.paymentHash).toBe(true);
    } finally {
      await fetch(`${running.sims.relay.controlUrl}/_sim/faults`, { method: "DELETE" });
    }
  });

  it("an unreachable relay is a network failure; a silent wallet a payment_failed that warns it may still pay", async () => {
    const unreachable = running.sims.nwc.uri.replace(/relay=[^&]+/, `relay=${encodeURIComponent("ws://127.0.0.1:1")}`);
    expect((await failure(nwcWallet({ uri: unreachable, timeoutSeconds: 2 }).pay(await invoice(), LIMITS))).code).toBe("network");
    await fetch(`${running.sims.relay.controlUrl}/_sim/faults`, { method: "POST", body: JSON.stringify({ failure: "silent" }) });
    try {
      const silent = await failure(nwcWallet({ uri: running.sims.nwc.uri, timeoutSeconds: 1 }).pay(await invoice(), LIMITS));
      expect(silent.code).toBe("payment_failed");
      expect(silent.message).toMatch(/did not answer within 1 s \(it may still pay; check it before retrying\)/);
    } finally {
      await fetch(`${running.sims.relay.controlUrl}/_sim/faults`, { method: "DELETE" });
    }
  });

  it("lookup (lookup_invoice): a payment whose answer was lost is paid, with its preimage; one this wallet never sent is unpaid", async () => {
    const wallet = nwcWallet({ uri: running.sims.nwc.uri, timeoutSeconds: 1 });
    const hashOf = (paymentRequest: string) => {
      const read = readInvoice(paymentRequest);
      if (!read.ok) throw new Error(read.detail);
      return read.value.paymentHash;
    };
    const paymentRequest = await invoice();
    await fetch(`${running.sims.relay.controlUrl}/_sim/faults`, { method: "POST", body: JSON.stringify({ failure: "lost_answer" }) });
    try {
      // The wallet pays and never says so.
      expect(await failure(wallet.pay(paymentRequest, LIMITS))).toMatchObject({ code: "payment_failed", unpaid: false });
    } finally {
      await fetch(`${running.sims.relay.controlUrl}/_sim/faults`, { method: "DELETE" });
    }
    const found = await wallet.lookup?.(hashOf(paymentRequest));
    expect(found?.status === "paid" && hex.encode(sha256(found.preimage))).toBe(hashOf(paymentRequest));
    expect(await wallet.lookup?.(hashOf(await invoice()))).toEqual({ status: "unpaid" });
  });

  it("lookup: an unpaid invoice of the wallet's own (incoming) is no payment made; a connection the wallet does not know cannot look up (unknown)", async () => {
    const own = await nwcBackend({ uri: running.sims.nwc.uri, network: "regtest", timeoutMs: 2000, webSocket: platformWebSocket }).createInvoice({ amountMsat: 5000n, memo: "own", expirySeconds: 600 });
    expect(await nwcWallet({ uri: running.sims.nwc.uri, timeoutSeconds: 5 }).lookup?.(hex.encode(own.paymentHash))).toEqual({ status: "unpaid" });
    const stranger = running.sims.nwc.uri.replace(/secret=[0-9a-f]+/, `secret=${"11".repeat(32)}`);
    expect(await nwcWallet({ uri: stranger, timeoutSeconds: 5 }).lookup?.(hex.encode(own.paymentHash))).toEqual({ status: "unknown" });
  });

  it("a preimage that does not hash to the invoice's payment hash is refused", async () => {
    // A wallet that claims every payment with a made-up preimage.
    const relay = await startRelay();
    const walletSecret = randomBytes(32);
    const clientSecret = randomBytes(32);
    relay.onEvent((event) => {
      if (event.kind !== NWC_REQUEST) return;
      const { encrypt } = cipher(walletSecret, event.pubkey, "nip04");
      const content = encrypt(JSON.stringify({ result_type: "pay_invoice", error: null, result: { preimage: hex.encode(randomBytes(32)), fees_paid: 0 } }));
      relay.publish(signEvent({ kind: NWC_RESPONSE, created_at: Math.floor(Date.now() / 1000), tags: [["p", event.pubkey], ["e", event.id]], content }, walletSecret));
    });
    try {
      const uri = `nostr+walletconnect://${publicKeyOf(walletSecret)}?relay=${encodeURIComponent(relay.url)}&secret=${hex.encode(clientSecret)}`;
      const lie = await failure(nwcWallet({ uri, timeoutSeconds: 2 }).pay(await invoice(), LIMITS));
      expect(lie).toMatchObject({ code: "payment_failed", message: "the wallet's preimage does not match the invoice's payment hash" });
    } finally {
      await relay.close();
    }
  });

  it("a wallet that does not report its fee (fees_paid is optional) is counted at the most the budget allowed, never at none", async () => {
    // A wallet that pays through the simulated node and leaves fees_paid out of its answer.
    const relay = await startRelay();
    const walletSecret = randomBytes(32);
    const clientSecret = randomBytes(32);
    const node = lndWallet({ url: running.sim.url, macaroonHex: running.sim.adminMacaroonHex, feeLimitSats: 10, timeoutSeconds: 10 });
    relay.onEvent((event) => {
      if (event.kind !== NWC_REQUEST) return;
      const { encrypt, decrypt } = cipher(walletSecret, event.pubkey, "nip04");
      const { params } = JSON.parse(decrypt(event.content)) as { params: { invoice: string } };
      void node.pay(params.invoice, LIMITS).then(({ preimage }) => {
        const content = encrypt(JSON.stringify({ result_type: "pay_invoice", error: null, result: { preimage: hex.encode(preimage) } }));
        relay.publish(signEvent({ kind: NWC_RESPONSE, created_at: Math.floor(Date.now() / 1000), tags: [["p", event.pubkey], ["e", event.id]], content }, walletSecret));
      });
    });
    try {
      const uri = `nostr+walletconnect://${publicKeyOf(walletSecret)}?relay=${encodeURIComponent(relay.url)}&secret=${hex.encode(clientSecret)}`;
      const paid = await nwcWallet({ uri, timeoutSeconds: 5 }).pay(await invoice(), LIMITS);
      expect(paid.feeMsat).toBe(LIMITS.maxFeeMsat);
    } finally {
      await relay.close();
    }
  });

  it("a bad connection URI is refused without quoting it", () => {
    const secret = "ee".repeat(31);
    let message = "";
    try {
      nwcWallet({ uri: `nostr+walletconnect://${"ab".repeat(32)}?relay=wss%3A%2F%2Fr.example&secret=${secret}`, timeoutSeconds: 5 });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe("the NWC connection URI needs a secret=<64 hex characters> parameter");
    expect(message).not.toContain(secret);
  });
});
