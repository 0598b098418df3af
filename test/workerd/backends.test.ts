import { describe, inject } from "vitest";
import { fetchUpgradeWebSocket } from "../../src/lightning/index.ts";
import "../fixtures/provided-context.ts";
import { backendContract } from "../fixtures/backend-contract.ts";
import { contractSubjects, type ContractSubject } from "../fixtures/backend-subjects.ts";

/**
 * Every backend's contract inside workerd, over loopback sockets to the
 * simulators (the fault-injection set: faults are global to a simulator). The
 * NWC backend reaches its relay as the Worker does (a fetch upgrade).
 */
const subjects = () => contractSubjects(inject("faultSim"), inject("faultBackends"), fetchUpgradeWebSocket);

for (const name of ["lnd", "lnbits", "phoenixd", "cln", "nwc", "nwc (NIP-04 wallet)", "nwc (held socket)"]) {
  describe(`${name} backend inside workerd`, () => backendContract(() => subjects().find((s) => s.name === name) as ContractSubject));
}
