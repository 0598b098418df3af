import type { TestProject } from "vitest/node";
import { startBackendSims } from "../../dev/backend-sims/index.ts";
import { startNwcWallet } from "../../dev/backend-sims/nwc-wallet.ts";
import { startSimulator, type Simulator } from "../../dev/lnd-sim/server.ts";
import { simHandles } from "./backend-sims.ts";
import { startTestOrigin } from "./origin.ts";
import "../fixtures/provided-context.ts";

/**
 * Real servers on loopback for the workerd tests: the LND simulator and a test
 * origin. The Worker reaches both over HTTP, as it would reach a node and an API.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [sim, faultSim, quietSim, backendSim, poolSim, origin] = await Promise.all([startSimulator(), startSimulator(), startSimulator(), startSimulator(), startSimulator(), startTestOrigin()]);
  const handle = (s: Simulator) => ({
    url: s.url,
    adminMacaroonHex: s.adminMacaroonHex,
    invoiceMacaroonHex: s.invoiceMacaroonHex,
    paywallMacaroonHex: s.paywallMacaroonHex,
  });
  project.provide("lndSim", handle(sim));
  // Fault injection is global to a simulator: tests that inject faults get their own.
  project.provide("faultSim", handle(faultSim));
  // One test file at a time counts every call this one receives: no other test may use it.
  project.provide("quietSim", handle(quietSim));
  project.provide("testOrigin", { url: origin.url });
  // The other backends' simulators, over LND simulators' nodes (whose admin macaroon pays what they issue):
  // one set for the backend contract's faults, one for the Worker's tests on each backend (faults included).
  const [faultBackends, workerBackends, poolBackends] = await Promise.all([startBackendSims(faultSim.node), startBackendSims(backendSim.node), startBackendSims(poolSim.node)]);
  project.provide("poolSim", handle(poolSim));
  project.provide("poolBackends", simHandles(poolBackends));
  project.provide("faultBackends", simHandles(faultBackends));
  project.provide("backendSim", handle(backendSim));
  project.provide("workerBackends", simHandles(workerBackends));
  project.provide("strangerSilentWallet", { uri: startNwcWallet(backendSim.node, workerBackends.relay, { ignoresStrangers: true }).uri });
  return async () => {
    await Promise.all([sim.close(), faultSim.close(), quietSim.close(), backendSim.close(), poolSim.close(), origin.close(), faultBackends.close(), workerBackends.close(), poolBackends.close()]);
  };
}
