import { beforeAll, describe, expect, it } from "vitest";
import { nwcBackend, platformWebSocket } from "../../src/lightning/index.ts";
import { backendContract } from "../fixtures/backend-contract.ts";
import { contractSubjects, type ContractSubject } from "../fixtures/backend-subjects.ts";
import { simHandles, useBackendSims } from "../setup/backend-sims.ts";

/** Every backend's contract in Node, against simulators over one node (test/workerd/backends.test.ts runs it inside workerd). */
const running = useBackendSims();
let subjects: ContractSubject[] = [];

beforeAll(() => {
  subjects = contractSubjects(running.sim, simHandles(running.sims));
});

for (const name of ["lnd", "lnbits", "phoenixd", "cln", "nwc", "nwc (NIP-04 wallet)", "nwc (held socket)"]) {
  describe(`${name} backend in Node`, () => backendContract(() => subjects.find((s) => s.name === name) as ContractSubject));
}

describe("nwcBackend, as a package user builds it from the wallet's URI", () => {
  it("makes invoices over a socket per call", async () => {
    const backend = nwcBackend({ uri: running.sims.nwc.uri, network: "regtest", timeoutMs: 2000, webSocket: platformWebSocket });
    expect((await backend.createInvoice({ amountMsat: 4000n, memo: "m", expirySeconds: 60 })).paymentRequest).toMatch(/^lnbcrt40n1/);
  });

  it("refuses a bad URI without quoting it", () => {
    const uri = running.sims.nwc.uri.replace(/secret=[0-9a-f]+/, "secret=abc123");
    expect(() => nwcBackend({ uri, network: "regtest", timeoutMs: 2000 })).toThrow("the NWC connection URI needs a secret=<64 hex characters> parameter");
  });
});
