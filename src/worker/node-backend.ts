import type { NodeConfig } from "../config/index.ts";
import {
  clnRestBackend,
  LightningError,
  fetchUpgradeWebSocket,
  lnbitsBackend,
  lndRestBackend,
  nwcBackend,
  nwcClient,
  perCallSockets,
  phoenixdBackend,
  type InvoiceBackend,
  type Network,
} from "../lightning/index.ts";

/**
 * The invoice backend `L402_BACKEND` names, built from its settings. NWC
 * reaches its relay by a fetch upgrade (workerd's way), either per call or
 * through the `NwcRelay` Durable Object that holds one connection
 * (`L402_NWC_CONNECTION`; nwc-relay.ts says which is the default, and why).
 */
export function nodeBackend(node: NodeConfig, network: Network, env: Env): InvoiceBackend {
  const { timeoutMs } = node;
  switch (node.backend) {
    case "lnd":
      return lndRestBackend({ url: node.url, macaroonHex: node.macaroonHex, network, timeoutMs });
    case "lnbits":
      return lnbitsBackend({ url: node.url, invoiceKey: node.invoiceKey, network, timeoutMs });
    case "phoenixd":
      return phoenixdBackend({ url: node.url, password: node.password, network, timeoutMs });
    case "cln":
      return clnRestBackend({ url: node.url, rune: node.rune, network, timeoutMs });
    case "nwc": {
      const relay = node.connection.relays[0] as string;
      if (node.relayConnection === "held") {
        const relays = env.L402_NWC;
        if (relays === undefined) throw new Error("unreachable: the config check refuses a held NWC connection without L402_NWC");
        const stub = relays.get(relays.idFromName(node.connection.walletPubkey));
        return nwcBackend(async (method, params) => {
          try {
            return await stub.call(method, params);
          } catch (error) {
            throw restored(error);
          }
        }, network);
      }
      return nwcBackend(nwcClient(node.connection, perCallSockets(relay, fetchUpgradeWebSocket, timeoutMs), timeoutMs), network);
    }
  }
}

const KINDS = new Set(["auth", "unavailable", "timeout", "bad_request", "node_error", "not_found", "invalid_response", "breaker_open"]);

/** A LightningError back from the Durable Object, where RPC carried only its message ("<kind>: <detail>"). */
function restored(error: unknown): LightningError {
  const message = error instanceof Error ? error.message : String(error);
  const match = /^([a-z_]+): (.*)$/s.exec(message);
  if (match !== null && KINDS.has(match[1] as string)) return new LightningError(match[1] as LightningError["kind"], match[2] as string);
  return new LightningError("unavailable", `the NWC relay object failed: ${message.slice(0, 200)}`);
}
