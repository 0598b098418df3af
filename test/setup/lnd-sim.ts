import type { TestProject } from "vitest/node";
import { startSimulator } from "../../dev/lnd-sim/server.ts";
import type { SimulatorHandle } from "../fixtures/backend-contract.ts";

declare module "vitest" {
  export interface ProvidedContext {
    lndSim: SimulatorHandle;
  }
}

/** One LND simulator on loopback for the workerd tests, reached over real HTTP. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const sim = await startSimulator();
  project.provide("lndSim", { url: sim.url, adminMacaroonHex: sim.adminMacaroonHex, invoiceMacaroonHex: sim.invoiceMacaroonHex });
  return () => sim.close();
}
