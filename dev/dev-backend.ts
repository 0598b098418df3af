import { BACKENDS, type Backend } from "../src/config/index.ts";
import { startBackendSims } from "./backend-sims/index.ts";
import type { Simulator } from "./lnd-sim/server.ts";

/**
 * The paywall's node for `npm run dev -- --backend B`: the LND simulator
 * itself, or B's simulator over the LND simulator's node (so the admin
 * macaroon printed for `l402-edge get` pays what B issues). Settings go on
 * wrangler's command line, credentials in the stack's env file.
 */
export interface DevBackend {
  readonly vars: Record<string, string>;
  readonly secrets: Record<string, string>;
  /** One line for the banner: what the Worker talks to. */
  readonly description: string;
  close(): Promise<void>;
}

export const isBackend = (name: string): name is Backend => (BACKENDS as readonly string[]).includes(name);

export async function startDevBackend(backend: Backend, sim: Simulator, host: string): Promise<DevBackend> {
  if (backend === "lnd") {
    return { vars: { L402_BACKEND: "lnd", LND_REST_URL: sim.url }, secrets: { LND_MACAROON: sim.paywallMacaroonHex }, description: `the LND simulator, ${sim.url}`, close: async () => undefined };
  }
  const sims = await startBackendSims(sim.node, host);
  const over = "(over the LND simulator's node)";
  const chosen = {
    lnbits: { vars: { LNBITS_URL: sims.lnbits.url }, secrets: { LNBITS_INVOICE_KEY: sims.lnbits.invoiceKey }, description: `the LNbits simulator, ${sims.lnbits.url} ${over}` },
    phoenixd: { vars: { PHOENIXD_URL: sims.phoenixd.url }, secrets: { PHOENIXD_PASSWORD: sims.phoenixd.password }, description: `the phoenixd simulator, ${sims.phoenixd.url} ${over}` },
    cln: { vars: { CLN_REST_URL: sims.cln.url }, secrets: { CLN_RUNE: sims.cln.paywallRune }, description: `the Core Lightning (clnrest) simulator, ${sims.cln.url} ${over}` },
    nwc: { vars: {}, secrets: { L402_NWC_URI: sims.nwc.uri }, description: `an NWC wallet simulator behind the Nostr relay ${sims.relay.url} ${over}` },
  }[backend];
  return { vars: { L402_BACKEND: backend, ...chosen.vars }, secrets: chosen.secrets, description: chosen.description, close: () => sims.close() };
}
