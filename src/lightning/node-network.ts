import { LightningError, type NodeInfo } from "./backend.ts";
import { isNetwork, type Network } from "./networks.ts";

/**
 * The network a backend checks its invoices against: the one it was given, or,
 * when none was, the node's own, asked (getinfo) before the first invoice. Once
 * known it is kept; a failed ask is not, so the next invoice asks again. The
 * value is kept rather than the pending promise: in a Worker, a promise started
 * by one request must not be awaited by another.
 */
export function nodeNetwork(given: Network | undefined, getInfo: () => Promise<NodeInfo>): () => Promise<Network> {
  if (given !== undefined) return () => Promise.resolve(given);
  let known: Network | undefined;
  return async () => {
    if (known !== undefined) return known;
    const { network } = await getInfo();
    if (!isNetwork(network)) throw new LightningError("invalid_response", `the node names no network this paywall knows (${JSON.stringify(network.slice(0, 20))}): give the backend its network`);
    known = network;
    return known;
  };
}
