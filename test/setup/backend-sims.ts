import { afterAll, beforeAll } from "vitest";
import { startBackendSims, type BackendSims } from "../../dev/backend-sims/index.ts";
import { startSimulator, type Simulator } from "../../dev/lnd-sim/server.ts";

/**
 * The LND simulator and the other backends' simulators over its node (so its
 * admin macaroon pays what they issue), for one test file: started before its
 * tests, closed after. Call at the file's top level; read the fields in tests.
 */
export function useBackendSims(): { readonly sim: Simulator; readonly sims: BackendSims } {
  const running = {} as { sim: Simulator; sims: BackendSims };
  beforeAll(async () => {
    running.sim = await startSimulator();
    running.sims = await startBackendSims(running.sim.node);
  });
  afterAll(async () => {
    await running.sims?.close();
    await running.sim?.close();
  });
  return running;
}

/** What the contract's subjects need of the simulators: plain values, which also cross into workerd. */
export function simHandles(sims: BackendSims) {
  return {
    lnbits: { url: sims.lnbits.url, invoiceKey: sims.lnbits.invoiceKey },
    phoenixd: { url: sims.phoenixd.url, password: sims.phoenixd.password },
    cln: { url: sims.cln.url, paywallRune: sims.cln.paywallRune },
    relay: { controlUrl: sims.relay.controlUrl },
    nwcUri: sims.nwc.uri,
    nwcNip04Uri: sims.nwcNip04.uri,
  };
}
