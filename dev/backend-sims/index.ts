import type { SimNode } from "../lnd-sim/node.ts";
import { startClnSim, type ClnSim } from "./cln.ts";
import { startLnbitsSim, type LnbitsSim } from "./lnbits.ts";
import { startRelay, type Relay } from "./nostr-relay.ts";
import { startNwcWallet, type NwcWallet } from "./nwc-wallet.ts";
import { startPhoenixdSim, type PhoenixdSim } from "./phoenixd.ts";

/**
 * The simulators of the other backends, all over one node (usually the LND
 * simulator's, so its admin macaroon pays what any of them issues): LNbits,
 * phoenixd, clnrest, and a Nostr relay with two NWC wallet services behind it
 * (one speaking NIP-44 v2 and NIP-04, one NIP-04 only).
 */
export interface BackendSims {
  readonly lnbits: LnbitsSim;
  readonly phoenixd: PhoenixdSim;
  readonly cln: ClnSim;
  readonly relay: Relay;
  readonly nwc: NwcWallet;
  /** A wallet whose info event offers NIP-04 only. */
  readonly nwcNip04: NwcWallet;
  close(): Promise<void>;
}

export async function startBackendSims(node: SimNode, host = "127.0.0.1", ports: { lnbits?: number | undefined; phoenixd?: number | undefined; cln?: number | undefined; relay?: number | undefined } = {}): Promise<BackendSims> {
  const [lnbits, phoenixd, cln, relay] = await Promise.all([
    startLnbitsSim(node, host, ports.lnbits ?? 0),
    startPhoenixdSim(node, host, ports.phoenixd ?? 0),
    startClnSim(node, host, ports.cln ?? 0),
    startRelay(host, ports.relay ?? 0),
  ]);
  return {
    lnbits,
    phoenixd,
    cln,
    relay,
    nwc: startNwcWallet(node, relay),
    nwcNip04: startNwcWallet(node, relay, { encryptions: ["nip04"] }),
    close: async () => void (await Promise.all([lnbits.close(), phoenixd.close(), cln.close(), relay.close()])),
  };
}
