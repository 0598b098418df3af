import { randomBytes } from "@noble/hashes/utils.js";
import { hex } from "@scure/base";
import type { SimNode } from "../lnd-sim/node.ts";
import type { StoredInvoice } from "../lnd-sim/invoices.ts";
import { startHttpSim, type Answer, type HttpSim } from "./http-sim.ts";

/**
 * LNbits' payments API (lnbits/core/views/payment_api.py, current releases), over
 * the shared node: `POST /api/v1/payments` (an invoice with `out: false` and the
 * invoice key; a payment with `out: true`, `bolt11` and the admin key) answers
 * 201 with the Payment; `GET /api/v1/payments/{hash}` answers `{paid, status,
 * preimage, details}`; `GET /api/v1/wallet` `{name, balance}`. Keys in
 * `X-Api-Key`: none is 401, an unknown one 404 "Wallet not found." (as LNbits
 * does), the invoice key paying 403. Errors are FastAPI's `{"detail": …}`.
 */
export interface LnbitsSim extends HttpSim {
  readonly invoiceKey: string;
  readonly adminKey: string;
}

const DEFAULT_EXPIRY = 3600;

export async function startLnbitsSim(node: SimNode, host = "127.0.0.1", port = 0): Promise<LnbitsSim> {
  const invoiceKey = hex.encode(randomBytes(16));
  const adminKey = hex.encode(randomBytes(16));
  const detail = (status: number, text: string): Answer => ({ status, body: { detail: text } });
  const payment = (invoice: StoredInvoice, out: boolean): Record<string, unknown> => {
    const expired = invoice.state === "CANCELED";
    return {
      checking_id: hex.encode(invoice.paymentHash),
      payment_hash: hex.encode(invoice.paymentHash),
      wallet_id: "sim-wallet",
      amount: Number(out ? -invoice.valueMsat : invoice.valueMsat),
      fee: 0,
      bolt11: invoice.paymentRequest,
      payment_request: invoice.paymentRequest,
      status: invoice.state === "SETTLED" ? "success" : expired ? "failed" : "pending",
      memo: invoice.memo,
      expiry: new Date((invoice.creationDate + invoice.expiry) * 1000).toISOString(),
      preimage: invoice.state === "SETTLED" ? hex.encode(invoice.preimage) : null,
      time: new Date(invoice.creationDate * 1000).toISOString(),
      extra: {},
    };
  };
  const sim = await startHttpSim({
    name: "lnbits",
    host,
    port,
    failures: { unavailable: { status: 502, body: "Bad Gateway" }, internal: detail(520, "sim: injected funding source error") },
    invoicePath: "/api/v1/payments",
    handle: ({ method, path, headers, query, body, stampOffsetSeconds }) => {
      const key = (headers["x-api-key"] as string | undefined) ?? query.get("api-key") ?? undefined;
      if (key === undefined) return detail(401, "No Api Key provided.");
      if (key !== invoiceKey && key !== adminKey) return detail(404, "Wallet not found.");
      if (method === "GET" && path === "/api/v1/wallet") return { status: 200, body: { name: "sim wallet", balance: 1_000_000_000 } };
      if (method === "POST" && path === "/api/v1/payments") {
        let data: Record<string, unknown>;
        try {
          data = JSON.parse(body) as Record<string, unknown>;
        } catch {
          return { status: 422, body: { detail: [{ type: "json_invalid", loc: ["body"], msg: "JSON decode error" }] } };
        }
        if (data["out"] === true) {
          if (key !== adminKey) return detail(403, "Invoice (or Admin) key required.");
          const paid = node.pay(String(data["bolt11"] ?? ""), { feeLimitMsat: 10_000n, routeFeeMsat: 0n });
          if (paid.status !== "succeeded") return detail(520, paid.status === "refused" ? paid.message : `Payment failed: ${paid.reason}`);
          return { status: 201, body: payment(paid.invoice, true) };
        }
        const amount = data["amount"];
        const memo = data["memo"] ?? "";
        if (typeof amount !== "number" || amount <= 0 || typeof memo !== "string" || memo.length > 640) {
          return { status: 422, body: { detail: [{ type: "value_error", loc: ["body", "amount"], msg: "invalid amount or memo" }] } };
        }
        if (data["unit"] !== undefined && data["unit"] !== "sat") return detail(400, "Currency not allowed.");
        const expiry = typeof data["expiry"] === "number" ? data["expiry"] : DEFAULT_EXPIRY;
        const descriptionHash = typeof data["description_hash"] === "string" ? hex.decode(data["description_hash"]) : undefined;
        const invoice = node.store.add({ memo, valueMsat: BigInt(Math.round(amount * 1000)), expiry, ...(descriptionHash === undefined ? {} : { descriptionHash }) }, null, node.now() + stampOffsetSeconds);
        return { status: 201, body: payment(invoice, false) };
      }
      const lookup = /^\/api\/v1\/payments\/([0-9a-f]{64})$/.exec(path);
      if (method === "GET" && lookup !== null) {
        const invoice = node.store.peek(lookup[1] as string);
        if (invoice === undefined) return detail(404, "Payment does not exist.");
        const current = node.store.get(invoice.paymentHash, node.now());
        const details = payment(current, false);
        if (current.state === "SETTLED") return { status: 200, body: { paid: true, preimage: details["preimage"], details } };
        if (current.state === "CANCELED") return { status: 200, body: { paid: false, status: "failed", details } };
        return { status: 200, body: { paid: false, status: "pending", preimage: null, details } };
      }
      return { status: 404, body: { detail: "Not Found" } };
    },
  });
  return { ...sim, invoiceKey, adminKey };
}
