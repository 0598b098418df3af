import { DurableObject } from "cloudflare:workers";
import { hex } from "@scure/base";
import { fetchUpgradeWebSocket, heldSocket, LightningError, nwcClient, type LightningErrorKind, type NwcCall, type NwcConnection } from "../lightning/index.ts";

/** A call's outcome across Durable Object RPC, which would carry a thrown error's message but not its class. */
export type RelayedCall = { readonly ok: true; readonly result: Record<string, unknown> } | { readonly ok: false; readonly kind: LightningErrorKind; readonly detail: string };

/**
 * One relay connection for the NWC backend, held open between calls
 * (`L402_NWC_CONNECTION = "held"`). Every isolate's calls through one wallet
 * connection reach this one object (named by the wallet's and the client's
 * public keys), which keeps the WebSocket and multiplexes the requests over it;
 * a dropped connection is reopened on the next call. The caller passes the
 * connection it was configured with, so a rotated secret opens a new socket.
 * (An outgoing WebSocket cannot hibernate: the object stays in memory while
 * its socket is open.)
 */
export class NwcRelay extends DurableObject<Env> {
  #client: { readonly key: string; readonly call: NwcCall } | undefined;

  async call(connection: NwcConnection, timeoutMs: number, method: string, params: Record<string, unknown>): Promise<RelayedCall> {
    const relay = connection.relays[0] as string;
    const key = `${relay} ${connection.walletPubkey} ${hex.encode(connection.secret)} ${timeoutMs}`;
    if (this.#client?.key !== key) this.#client = { key, call: nwcClient(connection, heldSocket(relay, fetchUpgradeWebSocket, timeoutMs), timeoutMs) };
    try {
      return { ok: true, result: await this.#client.call(method, params) };
    } catch (error) {
      if (error instanceof LightningError) return { ok: false, kind: error.kind, detail: error.message };
      throw error;
    }
  }
}
