import { randomBytes } from "@noble/hashes/utils.js";
import { hex } from "@scure/base";
import type { SimNode } from "../lnd-sim/node.ts";
import { startHttpSim, type HttpSim } from "./http-sim.ts";

/**
 * phoenixd's HTTP API (ACINQ/phoenixd Api.kt), over the shared node: HTTP basic
 * auth with the http password (any user name); `POST /createinvoice` takes form
 * fields (`amountSat`, `description` of at most 128 characters or
 * `descriptionHash`, `expirySeconds`, `externalId`) and answers `{amountSat,
 * paymentHash, serialized}`; `GET /payments/incoming/{hash}` answers the
 * incoming payment (`isPaid`, `isExpired`, `preimage` — known before it is
 * paid, as phoenixd generates it —, times in ms, null fields left out) or 404
 * "Not found"; `POST /payinvoice` pays. Errors are plain text.
 */
export interface PhoenixdSim extends HttpSim {
  readonly password: string;
}

const DEFAULT_EXPIRY = 3600;
const UNAUTHORIZED = "Invalid authentication (use basic auth with the http password set in phoenix.conf)";

export async function startPhoenixdSim(node: SimNode, host = "127.0.0.1", port = 0): Promise<PhoenixdSim> {
  const password = hex.encode(randomBytes(16));
  const sim = await startHttpSim({
    name: "phoenixd",
    host,
    port,
    failures: { unavailable: { status: 503, body: "Service Unavailable" }, internal: { status: 500, body: "sim: injected error" } },
    invoicePath: "/createinvoice",
    handle: ({ method, path, headers, body, stampOffsetSeconds }) => {
      const auth = /^Basic (.+)$/.exec(String(headers["authorization"] ?? ""))?.[1];
      const given = auth === undefined ? undefined : Buffer.from(auth, "base64").toString("utf8").split(":").slice(1).join(":");
      if (given !== password) return { status: 401, body: UNAUTHORIZED };
      const form = new URLSearchParams(body);
      if (method === "GET" && path === "/getinfo") {
        return { status: 200, body: { nodeId: hex.encode(node.nodePublicKey), channels: [], chain: node.network, blockHeight: 850_000, version: "0.6.2-sim" } };
      }
      if (method === "POST" && path === "/createinvoice") {
        const amountSat = form.get("amountSat");
        const description = form.get("description");
        const descriptionHash = form.get("descriptionHash");
        if (amountSat !== null && !/^\d+$/.test(amountSat)) return { status: 400, body: "Invalid required parameter amountSat" };
        if (description !== null && description.length > 128) return { status: 400, body: "Request parameter description is too long (max 128 characters)" };
        if ((description === null) === (descriptionHash === null)) return { status: 400, body: "Must provide either a description or descriptionHash" };
        const expiry = form.get("expirySeconds");
        const invoice = node.store.add(
          { memo: description ?? "", valueMsat: BigInt(amountSat ?? "0") * 1000n, expiry: expiry === null ? DEFAULT_EXPIRY : Number(expiry), ...(descriptionHash === null ? {} : { descriptionHash: hex.decode(descriptionHash) }) },
          null,
          node.now() + stampOffsetSeconds,
        );
        return { status: 200, body: { amountSat: Number(invoice.valueMsat / 1000n), paymentHash: hex.encode(invoice.paymentHash), serialized: invoice.paymentRequest } };
      }
      if (method === "POST" && path === "/payinvoice") {
        const paid = node.pay(form.get("invoice") ?? "", { feeLimitMsat: 10_000n, routeFeeMsat: 0n });
        if (paid.status !== "succeeded") return { status: 200, body: { type: "payment_failed", paymentHash: null, reason: paid.status === "refused" ? paid.message : paid.reason } };
        return { status: 200, body: { recipientAmountSat: Number(paid.amountMsat / 1000n), routingFeeSat: 0, paymentId: crypto.randomUUID(), paymentHash: hex.encode(paid.invoice.paymentHash), paymentPreimage: hex.encode(paid.invoice.preimage) } };
      }
      const lookup = /^\/payments\/incoming\/([0-9a-f]{64})$/.exec(path);
      if (method === "GET" && lookup !== null) {
        if (node.store.peek(lookup[1] as string) === undefined) return { status: 404, body: "Not found" };
        const invoice = node.store.get(hex.decode(lookup[1] as string), node.now());
        const paid = invoice.state === "SETTLED";
        return {
          status: 200,
          body: {
            type: "incoming_payment",
            subType: "lightning",
            paymentHash: hex.encode(invoice.paymentHash),
            preimage: hex.encode(invoice.preimage),
            ...(invoice.memo === "" ? {} : { description: invoice.memo }),
            invoice: invoice.paymentRequest,
            isPaid: paid,
            isExpired: invoice.state === "CANCELED",
            requestedSat: Number(invoice.valueMsat / 1000n),
            receivedSat: paid ? Number(invoice.amountPaidMsat / 1000n) : 0,
            fees: 0,
            expiresAt: (invoice.creationDate + invoice.expiry) * 1000,
            ...(paid ? { completedAt: invoice.settleDate * 1000 } : {}),
            createdAt: invoice.creationDate * 1000,
          },
        };
      }
      return { status: 404, body: "Unknown endpoint (check api doc)" };
    },
  });
  return { ...sim, password };
}
