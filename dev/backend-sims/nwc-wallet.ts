import { randomBytes } from "@noble/hashes/utils.js";
import { hex } from "@scure/base";
import { publicKeyOf, signEvent, type NostrEvent } from "../../src/lightning/nwc/event.ts";
import { cipher, NWC_INFO, NWC_REQUEST, NWC_RESPONSE, type Cipher, type Encryption } from "../../src/lightning/nwc/messages.ts";
import type { SimNode } from "../lnd-sim/node.ts";
import type { StoredInvoice } from "../lnd-sim/invoices.ts";
import type { Relay } from "./nostr-relay.ts";
import { readInvoice } from "../../src/lightning/index.ts";

/**
 * An NWC wallet service (NIP-47) behind the relay, over the shared node. It
 * publishes its info event (methods, and the encryption it speaks: NIP-44 v2
 * and NIP-04, or NIP-04 only), answers each request addressed to it (kind
 * 23194) with a response (kind 23195) tagged with the request's id, encrypted
 * as the request was: `get_info`, `get_balance`, `make_invoice`,
 * `lookup_invoice`, `pay_invoice`. A request from a key it did not issue a
 * connection to gets UNAUTHORIZED; one encrypted with a scheme it does not
 * speak UNSUPPORTED_ENCRYPTION; an unknown method NOT_IMPLEMENTED.
 *
 * `lookup_invoice` knows what this wallet made (incoming) and sent (outgoing,
 * as the node's payment record has it: settled, pending while held, failed);
 * any other hash is NOT_FOUND.
 *
 * The relay's faults reach it: `internal` answers INTERNAL, `malformed` answers
 * content no one can decrypt, `silent` never answers, `lost_answer` does what
 * it is asked (pays) and never answers, `stampOffsetSeconds`
 * stamps invoices off the node's clock, `invoiceExpirySeconds` replaces the
 * expiry asked. `ignoresStrangers` makes a wallet that never answers a key it
 * did not issue a connection to (instead of UNAUTHORIZED), as some do.
 */
export interface NwcWallet {
  readonly walletPubkey: string;
  /** nostr+walletconnect://… for a client key this wallet accepts. */
  readonly uri: string;
}

const METHODS = ["get_info", "get_balance", "make_invoice", "lookup_invoice", "pay_invoice"];
const DEFAULT_EXPIRY = 86_400;

export function startNwcWallet(node: SimNode, relay: Relay, options: { readonly encryptions?: readonly Encryption[]; readonly ignoresStrangers?: boolean } = {}): NwcWallet {
  const walletSecret = randomBytes(32);
  const walletPubkey = publicKeyOf(walletSecret);
  const clientSecret = randomBytes(32);
  // Requests from any other key are refused, as a wallet refuses a connection it never issued.
  const authorized = publicKeyOf(clientSecret);
  const encryptions = options.encryptions ?? ["nip44_v2", "nip04"];
  relay.publish(signEvent({ kind: NWC_INFO, created_at: node.now(), tags: [["encryption", encryptions.join(" ")], ["notifications", ""]], content: METHODS.join(" ") }, walletSecret));

  /** Payment hashes (hex) of the invoices this wallet made, and of the payments it sent. */
  const made = new Set<string>();
  const sent = new Set<string>();
  const transaction = (invoice: StoredInvoice): Record<string, unknown> => {
    const state = invoice.state === "SETTLED" ? "settled" : invoice.state === "CANCELED" ? "expired" : "pending";
    return {
      type: "incoming",
      state,
      invoice: invoice.paymentRequest,
      description: invoice.memo,
      payment_hash: hex.encode(invoice.paymentHash),
      amount: Number(invoice.valueMsat),
      fees_paid: 0,
      created_at: invoice.creationDate,
      expires_at: invoice.creationDate + invoice.expiry,
      ...(state === "settled" ? { settled_at: invoice.settleDate, preimage: hex.encode(invoice.preimage) } : {}),
      metadata: {},
    };
  };

  const handle = (method: string, params: Record<string, unknown>): { result?: Record<string, unknown>; error?: { code: string; message: string } } => {
    switch (method) {
      case "get_info":
        return { result: { alias: "nwc-sim", color: "#ffcc00", pubkey: hex.encode(node.nodePublicKey), network: node.network, block_height: 850_000, block_hash: "00".repeat(32), methods: METHODS, notifications: [] } };
      case "get_balance":
        return { result: { balance: 1_000_000_000 } };
      case "make_invoice": {
        const amount = params["amount"];
        if (typeof amount !== "number" || !Number.isSafeInteger(amount) || amount <= 0) return { error: { code: "OTHER", message: "amount (msat) must be a positive integer" } };
        const { invoiceExpirySeconds, stampOffsetSeconds } = relay.faults();
        const expiry = invoiceExpirySeconds ?? (typeof params["expiry"] === "number" ? params["expiry"] : DEFAULT_EXPIRY);
        const descriptionHash = typeof params["description_hash"] === "string" ? hex.decode(params["description_hash"]) : undefined;
        const invoice = node.store.add({ memo: typeof params["description"] === "string" ? params["description"] : "", valueMsat: BigInt(amount), expiry, ...(descriptionHash === undefined ? {} : { descriptionHash }) }, null, node.now() + stampOffsetSeconds);
        made.add(hex.encode(invoice.paymentHash));
        return { result: transaction(invoice) };
      }
      case "lookup_invoice": {
        const hash = typeof params["payment_hash"] === "string" ? params["payment_hash"].toLowerCase() : undefined;
        const found = hash === undefined ? (typeof params["invoice"] === "string" ? node.store.byPaymentRequest(params["invoice"]) : undefined) : node.store.peek(hash);
        const key = found === undefined ? undefined : hex.encode(found.paymentHash);
        const payment = key !== undefined && sent.has(key) ? node.payments.get(key) : undefined;
        if (found === undefined || key === undefined || (payment === undefined && !made.has(key))) return { error: { code: "NOT_FOUND", message: "invoice not found" } };
        const incoming = transaction(node.store.get(found.paymentHash, node.now()));
        if (payment === undefined) return { result: incoming };
        const { preimage: _payee, settled_at: _settled, ...fields } = incoming;
        const state = payment.status === "SUCCEEDED" ? "settled" : payment.status === "IN_FLIGHT" ? "pending" : "failed";
        return { result: { ...fields, type: "outgoing", state, fees_paid: Number(payment.feeMsat), ...(state === "settled" ? { settled_at: found.settleDate, preimage: hex.encode(found.preimage) } : {}) } };
      }
      case "pay_invoice": {
        const read = readInvoice(String(params["invoice"] ?? ""));
        if (read.ok) sent.add(read.value.paymentHash);
        const paid = node.pay(String(params["invoice"] ?? ""), { ...(typeof params["amount"] === "number" ? { amountMsat: BigInt(params["amount"]) } : {}), feeLimitMsat: 10_000n, routeFeeMsat: 0n });
        if (paid.status !== "succeeded") return { error: { code: paid.status === "refused" && paid.reason === "invalid" ? "OTHER" : "PAYMENT_FAILED", message: paid.status === "refused" ? paid.message : paid.reason } };
        return { result: { preimage: hex.encode(paid.invoice.preimage), fees_paid: Number(paid.feeMsat) } };
      }
      default:
        return { error: { code: "NOT_IMPLEMENTED", message: `${method} is not implemented` } };
    }
  };

  // As a wallet service keeps them: one shared key per client and scheme.
  const ciphers = new Map<string, Cipher>();
  const cipherWith = (client: string, scheme: Encryption): Cipher => {
    const key = `${client} ${scheme}`;
    let found = ciphers.get(key);
    if (found === undefined) ciphers.set(key, (found = cipher(walletSecret, client, scheme)));
    return found;
  };

  relay.onEvent((event: NostrEvent) => {
    if (event.kind !== NWC_REQUEST || !event.tags.some((tag) => tag[0] === "p" && tag[1] === walletPubkey)) return;
    const fault = relay.faults().failure;
    if (fault === "silent") return;
    const used: Encryption = event.tags.find((tag) => tag[0] === "encryption")?.[1] === "nip44_v2" ? "nip44_v2" : "nip04";
    const answer = (content: string, scheme: Encryption) =>
      relay.publish(signEvent({ kind: NWC_RESPONSE, created_at: node.now(), tags: [["p", event.pubkey], ["e", event.id]], content: cipherWith(event.pubkey, scheme).encrypt(content) }, walletSecret, walletPubkey));
    let request: { method?: unknown; params?: unknown };
    try {
      request = JSON.parse(cipherWith(event.pubkey, used).decrypt(event.content)) as { method?: unknown; params?: unknown };
    } catch {
      return answer(JSON.stringify({ result_type: "unknown", error: { code: "OTHER", message: "cannot decrypt the request" }, result: null }), "nip04");
    }
    const method = String(request.method);
    if (event.pubkey !== authorized && options.ignoresStrangers === true) return;
    if (event.pubkey !== authorized) return answer(JSON.stringify({ result_type: method, error: { code: "UNAUTHORIZED", message: "no wallet connection for this key" }, result: null }), used);
    if (!encryptions.includes(used)) return answer(JSON.stringify({ result_type: method, error: { code: "UNSUPPORTED_ENCRYPTION", message: `${used} is not supported` }, result: null }), "nip04");
    if (fault === "malformed") return relay.publish(signEvent({ kind: NWC_RESPONSE, created_at: node.now(), tags: [["p", event.pubkey], ["e", event.id]], content: "not a ciphertext" }, walletSecret, walletPubkey));
    const outcome = fault === "internal" ? { error: { code: "INTERNAL", message: "sim: injected wallet error" } } : handle(method, (request.params ?? {}) as Record<string, unknown>);
    if (fault === "lost_answer") return;
    answer(JSON.stringify({ result_type: method, error: outcome.error ?? null, result: outcome.result ?? null }), used);
  });

  return { walletPubkey, uri: `nostr+walletconnect://${walletPubkey}?relay=${encodeURIComponent(relay.url)}&secret=${hex.encode(clientSecret)}` };
}
