import type { NodeConfig } from "../config/index.ts";
import { backendFromSettings, fetchUpgradeWebSocket, LightningError, nwcCallBackend, publicKeyOf, type InvoiceBackend, type Network } from "../lightning/index.ts";
import type { RelayedCall } from "./nwc-relay.ts";

/**
 * The invoice backend `L402_BACKEND` names, built from its settings. NWC
 * reaches its relay by a fetch upgrade (workerd's way), either per call or
 * through the `NwcRelay` Durable Object that holds one connection
 * (`L402_NWC_CONNECTION`, per call by default: nwc-relay.ts says why).
 */
export function nodeBackend(node: NodeConfig, network: Network, env: Env): InvoiceBackend {
  if (node.backend !== "nwc" || node.relayConnection === "per-call") return backendFromSettings(node, network, fetchUpgradeWebSocket);
  const relays = env.L402_NWC;
  if (relays === undefined) throw new Error("unreachable: the config check refuses a held NWC connection without L402_NWC");
  const { connection, timeoutMs } = node;
  const id = relays.idFromName(`${connection.walletPubkey}/${publicKeyOf(connection.secret)}`);
  return nwcCallBackend(async (method, params) => {
    // A stub per call: a stub is bound to the request that made it, and this backend outlives requests.
    // RPC's types cannot see that a wallet's JSON answer (`unknown` values) is serialisable; it is.
    const relayed = (await relays.get(id).call(connection, timeoutMs, method, params).catch((error: unknown) => {
      throw new LightningError("unavailable", `the NWC relay object failed: ${String(error instanceof Error ? error.message : error).slice(0, 200)}`);
    })) as RelayedCall;
    if (relayed.ok) return relayed.value;
    throw new LightningError(relayed.reason, relayed.detail);
  }, network);
}
