import type { TestProject } from "vitest/node";
import { startSimulator } from "../../dev/lnd-sim/server.ts";
import { startTestOrigin } from "./origin.ts";
import "../fixtures/provided-context.ts";

/**
 * Real servers on loopback for the workerd tests: the LND simulator and a test
 * origin. The Worker reaches both over HTTP, as it would reach a node and an API.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [sim, origin] = await Promise.all([startSimulator(), startTestOrigin()]);
  project.provide("lndSim", {
    url: sim.url,
    adminMacaroonHex: sim.adminMacaroonHex,
    invoiceMacaroonHex: sim.invoiceMacaroonHex,
    paywallMacaroonHex: sim.paywallMacaroonHex,
  });
  project.provide("testOrigin", { url: origin.url });
  return async () => {
    await Promise.all([sim.close(), origin.close()]);
  };
}
