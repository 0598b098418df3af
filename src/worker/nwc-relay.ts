import { DurableObject } from "cloudflare:workers";
import { configFor } from "../config/index.ts";
import { fetchUpgradeWebSocket, heldSocket, LightningError, nwcClient, type NwcCall } from "../lightning/index.ts";

/**
 * One relay connection for the NWC backend, held open between calls
 * (`L402_NWC_CONNECTION = "held"`). Every isolate's calls to one wallet reach
 * this one object (named by the wallet's key), which keeps the WebSocket and
 * multiplexes the requests over it; a dropped connection is reopened on the
 * next call. (An outgoing WebSocket cannot hibernate, so the object stays in
 * memory while the socket is open.)
 */
export class NwcRelay extends DurableObject<Env> {
  #call: NwcCall | undefined;

  async call(method: string, params: Record<string, unknown>): Promise<Record<string, unknown>> {
    if (this.#call === undefined) {
      const loaded = configFor(this.env);
      if (!loaded.ok || loaded.value.node.backend !== "nwc") throw new LightningError("node_error", "the NWC relay object has no valid L402_NWC_URI");
      const { connection, timeoutMs } = loaded.value.node;
      this.#call = nwcClient(connection, heldSocket(connection.relays[0] as string, fetchUpgradeWebSocket, timeoutMs), timeoutMs);
    }
    try {
      return await this.#call(method, params);
    } catch (error) {
      // Durable Object RPC carries an error's message, not its class: the kind goes in front, for the caller to restore.
      if (error instanceof LightningError) throw new Error(`${error.kind}: ${error.message}`);
      throw error;
    }
  }
}
