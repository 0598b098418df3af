import { randomBytes } from "@noble/hashes/utils.js";
import { base64url, hex } from "@scure/base";
import type { SimNode } from "../lnd-sim/node.ts";
import type { StoredInvoice } from "../lnd-sim/invoices.ts";
import { startHttpSim, type Answer, type HttpSim } from "./http-sim.ts";

/**
 * Core Lightning's clnrest (plugins/rest-plugin), over the shared node: every
 * RPC method as `POST /v1/<method>` with JSON params and a `Rune` header,
 * answering 201 with the result. A missing rune is 403 (code 1501), an invalid
 * one or one not allowing the method 401 (code 1502), an unknown method 404
 * (-32601), any other RPC error 500 `{code, message}` (a duplicate invoice label
 * is code 900). `invoice`, `listinvoices`, `getinfo` and `pay`; labels unique,
 * CLN's default expiry a week.
 */
export interface ClnSim extends HttpSim {
  /** Every method. */
  readonly adminRune: string;
  /** invoice, listinvoices and getinfo only: what an operator gives the paywall. */
  readonly paywallRune: string;
}

const DEFAULT_EXPIRY = 604_800;
const PAYWALL_METHODS = new Set(["invoice", "listinvoices", "getinfo"]);
const CLN_NETWORKS: Record<string, string> = { mainnet: "bitcoin", testnet: "testnet", signet: "signet", regtest: "regtest" };

export async function startClnSim(node: SimNode, host = "127.0.0.1", port = 0): Promise<ClnSim> {
  const adminRune = base64url.encode(randomBytes(32));
  const paywallRune = base64url.encode(randomBytes(32));
  const labels = new Map<string, string>();
  const rpcError = (status: number, code: number, message: string): Answer => ({ status, body: { code, message } });
  const invoiceJson = (invoice: StoredInvoice, label: string): Record<string, unknown> => ({
    label,
    bolt11: invoice.paymentRequest,
    payment_hash: hex.encode(invoice.paymentHash),
    amount_msat: Number(invoice.valueMsat),
    status: invoice.state === "SETTLED" ? "paid" : invoice.state === "CANCELED" ? "expired" : "unpaid",
    description: invoice.memo,
    expires_at: invoice.creationDate + invoice.expiry,
    created_index: invoice.addIndex,
    ...(invoice.state === "SETTLED"
      ? { pay_index: invoice.settleIndex, amount_received_msat: Number(invoice.amountPaidMsat), paid_at: invoice.settleDate, payment_preimage: hex.encode(invoice.preimage) }
      : {}),
  });
  const methods: Record<string, (params: Record<string, unknown>, stampOffsetSeconds: number) => Answer> = {
    getinfo: () => ({ status: 201, body: { id: hex.encode(node.nodePublicKey), alias: "cln-sim", color: "023456", num_peers: 1, num_pending_channels: 0, num_active_channels: 1, num_inactive_channels: 0, blockheight: 850_000, network: CLN_NETWORKS[node.network], version: "v25.05-sim" } }),
    invoice: (params, stampOffsetSeconds) => {
      const { amount_msat: amount, label, description, expiry } = params;
      if (typeof label !== "string" || typeof description !== "string" || (typeof amount !== "number" && typeof amount !== "string")) {
        return rpcError(500, -32602, "missing required parameter: amount_msat, label or description");
      }
      if (labels.has(label)) return rpcError(500, 900, `Duplicate label '${label}'`);
      const msat = typeof amount === "number" ? BigInt(amount) : /^\d+(msat)?$/.test(amount) ? BigInt(amount.replace("msat", "")) : undefined;
      if (msat === undefined || msat <= 0n) return rpcError(500, -32602, "amount_msat: should be a millisatoshi amount");
      const invoice = node.store.add({ memo: description, valueMsat: msat, expiry: typeof expiry === "number" ? expiry : DEFAULT_EXPIRY }, null, node.now() + stampOffsetSeconds);
      labels.set(label, hex.encode(invoice.paymentHash));
      return { status: 201, body: { payment_hash: hex.encode(invoice.paymentHash), expires_at: invoice.creationDate + invoice.expiry, bolt11: invoice.paymentRequest, payment_secret: hex.encode(invoice.paymentAddr), created_index: invoice.addIndex } };
    },
    listinvoices: (params) => {
      const hash = params["payment_hash"];
      const label = params["label"];
      const wanted = typeof hash === "string" ? hash : typeof label === "string" ? labels.get(label) : undefined;
      const found = wanted === undefined ? undefined : node.store.peek(wanted);
      if (found === undefined) return { status: 201, body: { invoices: [] } };
      const current = node.store.get(found.paymentHash, node.now());
      const labelOf = [...labels].find(([, h]) => h === hex.encode(current.paymentHash))?.[0] ?? "";
      return { status: 201, body: { invoices: [invoiceJson(current, labelOf)] } };
    },
    pay: (params) => {
      const paid = node.pay(String(params["bolt11"] ?? ""), { feeLimitMsat: 10_000n, routeFeeMsat: 0n });
      if (paid.status !== "succeeded") return rpcError(500, paid.status === "refused" ? -1 : 210, paid.status === "refused" ? paid.message : `Ran out of routes to try: ${paid.reason}`);
      return { status: 201, body: { payment_preimage: hex.encode(paid.invoice.preimage), payment_hash: hex.encode(paid.invoice.paymentHash), amount_msat: Number(paid.amountMsat), amount_sent_msat: Number(paid.amountMsat), parts: 1, status: "complete" } };
    },
  };
  const sim = await startHttpSim({
    name: "clnrest",
    host,
    port,
    failures: { unavailable: { status: 502, body: "Bad Gateway" }, internal: rpcError(500, -1, "sim: injected lightningd error") },
    invoicePath: "/v1/invoice",
    handle: ({ method, path, headers, body, stampOffsetSeconds }) => {
      const name = /^\/v1\/([a-z_-]+)$/.exec(path)?.[1];
      if (method !== "POST" || name === undefined) return rpcError(404, -32601, "Path not registered");
      const rune = headers["rune"] as string | undefined;
      if (rune === undefined) return rpcError(403, 1501, "Not authorized: Missing rune");
      if (rune !== adminRune && !(rune === paywallRune && PAYWALL_METHODS.has(name))) return rpcError(401, 1502, "Rune is not valid");
      const handler = methods[name];
      if (handler === undefined) return rpcError(404, -32601, `Unknown command '${name}'`);
      let params: unknown;
      try {
        params = body.trim() === "" ? {} : JSON.parse(body);
      } catch {
        return rpcError(500, -32600, "Could not parse request body");
      }
      if (typeof params !== "object" || params === null || Array.isArray(params)) return rpcError(500, -32602, "params must be an object");
      return handler(params as Record<string, unknown>, stampOffsetSeconds);
    },
  });
  return { ...sim, adminRune, paywallRune };
}
