import { DurableObject } from "cloudflare:workers";
import { toHex } from "../bytes.ts";
import { fetchUpgradeWebSocket, heldSocket, LightningError, nwcClient, type HeldSocket, type LightningFailureReason, type NwcCall, type NwcConnection } from "../lightning/index.ts";
import { fail, succeed, type Result } from "../result.ts";

/** A call's outcome across Durable Object RPC, which would carry a thrown error's message but not its class. */
export type RelayedCall = Result<Record<string, unknown>, LightningFailureReason>;

/**
 * One relay connection for the NWC backend, held open between calls
 * (`L402_NWC_CONNECTION = "held"`). Every isolate's calls through one wallet
 * connection reach this one object (named by the wallet's and the client's
 * public keys), which keeps the WebSocket and multiplexes the requests over it;
 * a dropped connection is reopened on the next call, an idle one closed after a
 * minute (HELD_SOCKET_IDLE_MS). The caller passes the connection it was
 * configured with: a rotated secret names another object (whose old socket
 * closes when idle); another relay or timeout retires this object's socket.
 *
 * Not the default. Measured (`npm run bench`, challenge issuance, loopback,
 * 2 cores): p50 9.9 ms per call with a fresh socket, 9.3 ms held, 3.8 ms on
 * LND; the NWC cost is the cryptography (a BIP-340 signature, which noble
 * verifies after signing, and the answer's verification: 2.3 + 1.3 ms of CPU
 * in Node on this machine; the simulated wallet and relay do as much), not
 * the socket. What holding saves in production is the connection set-up
 * to a distant relay (TCP, TLS and the upgrade: two to three round trips) per
 * challenge; what it costs is an object that cannot hibernate while its
 * socket is open (billed while it is), in one place, which every
 * colo's challenges then reach over the network. Choose it for a distant
 * relay and steady unpaid traffic.
 */
export class NwcRelay extends DurableObject {
  #client: { readonly key: string; readonly call: NwcCall; readonly socket: HeldSocket } | undefined;

  async call(connection: NwcConnection, timeoutMs: number, method: string, params: Record<string, unknown>): Promise<RelayedCall> {
    // Bound in every build (wrangler.toml), used by the NWC build's backend only: another build carries no relay code (build.ts).
    if ((globalThis.L402_BUILD_BACKEND ?? "nwc") === "nwc") {
      const { relay } = connection;
      const key = `${relay} ${connection.walletPubkey} ${toHex(connection.secret)} ${timeoutMs}`;
      if (this.#client?.key !== key) {
        this.#client?.socket.close();
        const socket = heldSocket(relay, fetchUpgradeWebSocket, timeoutMs);
        this.#client = { key, call: nwcClient(connection, socket, timeoutMs), socket };
      }
      try {
        return succeed(await this.#client.call(method, params));
      } catch (error) {
        if (error instanceof LightningError) return fail(error.reason, error.message);
        throw error;
      }
    }
    return fail("unavailable", "this build of the Worker leaves the NWC backend out");
  }
}
