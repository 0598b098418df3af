import { afterAll, beforeAll, describe } from "vitest";
import { startBackendSims, type BackendSims } from "../../dev/backend-sims/index.ts";
import { startSimulator, type Simulator } from "../../dev/lnd-sim/server.ts";
import { backendContract } from "../fixtures/backend-contract.ts";
import { contractSubjects, type ContractSubject } from "../fixtures/backend-subjects.ts";

/** Every backend's contract in Node, against simulators over one node (test/workerd/backends.test.ts runs it inside workerd). */
let sim: Simulator;
let backends: BackendSims;
let subjects: ContractSubject[] = [];

beforeAll(async () => {
  sim = await startSimulator();
  backends = await startBackendSims(sim.node);
  subjects = contractSubjects(sim, {
    lnbits: { url: backends.lnbits.url, invoiceKey: backends.lnbits.invoiceKey },
    phoenixd: { url: backends.phoenixd.url, password: backends.phoenixd.password },
    cln: { url: backends.cln.url, paywallRune: backends.cln.paywallRune },
    relay: { controlUrl: backends.relay.controlUrl },
    nwcUri: backends.nwc.uri,
    nwcNip04Uri: backends.nwcNip04.uri,
  });
});
afterAll(async () => {
  await backends?.close();
  await sim?.close();
});

for (const name of ["lnd", "lnbits", "phoenixd", "cln", "nwc", "nwc (NIP-04 wallet)", "nwc (held socket)"]) {
  describe(`${name} backend in Node`, () => backendContract(() => subjects.find((s) => s.name === name) as ContractSubject));
}
