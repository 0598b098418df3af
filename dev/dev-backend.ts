import { BACKENDS, type Backend } from "../src/config/index.ts";
import { startBackendSims } from "./backend-sims/index.ts";
import { startRelay } from "./backend-sims/nostr-relay.ts";
import { startNwcWallet } from "./backend-sims/nwc-wallet.ts";
import type { Simulator } from "./lnd-sim/server.ts";

/**
 * The paywall's node for `npm run dev -- --backend B`: the LND simulator
 * itself, or B's simulator over the LND simulator's node (so the admin
 * macaroon printed for `l402-edge get` pays what B issues). Settings go on
 * wrangler's command line, credentials in the stack's env file. Beside it, on
 * the same node, an NWC wallet a client can pay with (a relay of its own when
 * B's simulators bring none).
 */
export interface DevBackend {
  readonly vars: Record<string, string>;
  readonly secrets: Record<string, string>;
  /** One line for the banner: what the Worker talks to. */
  readonly description: string;
  /** nostr+walletconnect://… of a wallet that pays (`l402-edge get --nwc`); not the paywall's own connection. */
  readonly clientNwcUri: string;
  close(): Promise<void>;
}

/** Ports of the simulators (0 or absent: a free one); the relay serves `nwc` and the client's NWC wallet. */
export interface SimulatorPorts {
  readonly relay?: number | undefined;
  readonly lnbits?: number | undefined;
  readonly phoenixd?: number | undefined;
  readonly cln?: number | undefined;
}

export const isBackend = (name: string): name is Backend => (BACKENDS as readonly string[]).includes(name);

export async function startDevBackend(backend: Backend, sim: Simulator, host: string, ports: SimulatorPorts = {}): Promise<DevBackend> {
  if (backend === "lnd") {
    const relay = await startRelay(host, ports.relay ?? 0);
    return {
      vars: { L402_BACKEND: "lnd", LND_REST_URL: sim.url },
      secrets: { LND_MACAROON: sim.paywallMacaroonHex },
      description: `the LND simulator, ${sim.url}`,
      clientNwcUri: startNwcWallet(sim.node, relay).uri,
      close: () => relay.close(),
    };
  }
  const sims = await startBackendSims(sim.node, host, ports);
  const over = "(over the LND simulator's node)";
  const chosen = {
    lnbits: { vars: { LNBITS_URL: sims.lnbits.url }, secrets: { LNBITS_INVOICE_KEY: sims.lnbits.invoiceKey }, description: `the LNbits simulator, ${sims.lnbits.url} ${over}` },
    phoenixd: { vars: { PHOENIXD_URL: sims.phoenixd.url }, secrets: { PHOENIXD_PASSWORD: sims.phoenixd.password }, description: `the phoenixd simulator, ${sims.phoenixd.url} ${over}` },
    cln: { vars: { CLN_REST_URL: sims.cln.url }, secrets: { CLN_RUNE: sims.cln.paywallRune }, description: `the Core Lightning (clnrest) simulator, ${sims.cln.url} ${over}` },
    nwc: { vars: {}, secrets: { L402_NWC_URI: sims.nwc.uri }, description: `an NWC wallet simulator behind the Nostr relay ${sims.relay.url} ${over}` },
  }[backend];
  // A wallet of its own for the client, even with --backend nwc: payer and payee are different wallets, as in life.
  const clientNwcUri = startNwcWallet(sim.node, sims.relay).uri;
  return { vars: { L402_BACKEND: backend, ...chosen.vars }, secrets: chosen.secrets, description: chosen.description, clientNwcUri, close: () => sims.close() };
}
