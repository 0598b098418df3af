import type { NodeConfig } from "../config/index.ts";
import {
  clnRestBackend,
  fetchUpgradeWebSocket,
  LightningError,
  lnbitsBackend,
  lndRestBackend,
  nwcCallBackend,
  nwcClient,
  perCallSockets,
  phoenixdBackend,
  publicKeyOf,
  type InvoiceBackend,
  type Network,
} from "../lightning/index.ts";
import type { RelayedCall } from "./nwc-relay.ts";
import type { WorkerBindings } from "./bindings.ts";

/**
 * The invoice backend `L402_BACKEND` names, built from its settings. NWC
 * reaches its relay by a fetch upgrade (workerd's way), either per call or
 * through the `NwcRelay` Durable Object that holds one connection
 * (`L402_NWC_CONNECTION`, per call by default: nwc-relay.ts says why).
 *
 * Each backend's code is behind its build's test (build.ts), so a build for
 * one backend bundles that one alone; the config check has refused any other
 * before this runs.
 */
export function nodeBackend(node: NodeConfig, network: Network, env: WorkerBindings): InvoiceBackend {
  const { timeoutMs } = node;
  switch (node.backend) {
    case "lnd":
      if ((globalThis.L402_BUILD_BACKEND ?? "lnd") === "lnd") return lndRestBackend({ url: node.url, macaroonHex: node.macaroonHex, timeoutMs, network });
      break;
    case "cln":
      if ((globalThis.L402_BUILD_BACKEND ?? "cln") === "cln") return clnRestBackend({ url: node.url, rune: node.rune, timeoutMs, network });
      break;
    case "lnbits":
      if ((globalThis.L402_BUILD_BACKEND ?? "lnbits") === "lnbits") return lnbitsBackend({ url: node.url, invoiceKey: node.invoiceKey, timeoutMs, network });
      break;
    case "phoenixd":
      if ((globalThis.L402_BUILD_BACKEND ?? "phoenixd") === "phoenixd") return phoenixdBackend({ url: node.url, password: node.password, timeoutMs, network });
      break;
    case "nwc":
      if ((globalThis.L402_BUILD_BACKEND ?? "nwc") === "nwc") {
        if (node.relayConnection === "per-call") return nwcCallBackend(nwcClient(node.connection, perCallSockets(node.connection.relay, fetchUpgradeWebSocket, timeoutMs), timeoutMs), network);
        return heldNwcBackend(node, network, env);
      }
      break;
  }
  throw new Error(`unreachable: the config check refuses L402_BACKEND ${node.backend}, which this build leaves out`);
}

function heldNwcBackend(node: NodeConfig & { readonly backend: "nwc" }, network: Network, env: WorkerBindings): InvoiceBackend {
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
