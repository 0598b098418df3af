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
  it("makes invoices over a socket per call: the platform's WebSocket on Node unless told otherwise", async () => {
    for (const backend of [nwcBackend({ uri: running.sims.nwc.uri, network: "regtest", timeoutMs: 2000 }), nwcBackend({ uri: running.sims.nwc.uri, network: "regtest", timeoutMs: 2000, webSocket: platformWebSocket })]) {
      expect((await backend.createInvoice({ amountMsat: 4000n, memo: "m", expirySeconds: 60 })).paymentRequest).toMatch(/^lnbcrt40n1/);
    }
  });

  it("refuses a bad URI without quoting it", () => {
    const uri = running.sims.nwc.uri.replace(/secret=[0-9a-f]+/, "secret=abc123");
    expect(() => nwcBackend({ uri, network: "regtest", timeoutMs: 2000 })).toThrow("the NWC connection URI needs a secret=<64 hex characters> parameter");
  });
});

describe.each(["lnbits", "phoenixd", "cln"])("the %s simulator far away and busy (dev/lnd-sim/pace.ts)", (name) => {
  const subject = () => subjects.find((s) => s.name === name) as ContractSubject;
  const control = (faults: object) => subject().setFaults(faults as { latencyMs?: number });

  it("invoice calls wait their turn at invoicesPerSecond while other calls answer; nonsense is refused", async () => {
    const backend = subject().backend(10_000);
    await control({ invoicesPerSecond: 0.5 });
    try {
      const start = performance.now();
      let secondMade = false;
      const first = backend.createInvoice({ amountMsat: 1000n, memo: "paced", expirySeconds: 600 });
      const second = backend.createInvoice({ amountMsat: 2000n, memo: "paced", expirySeconds: 600 }).then((invoice) => ((secondMade = true), invoice));
      await first;
      await backend.getInfo();
      expect(secondMade).toBe(false);
      expect((await second).amountMsat).toBe(2000n);
      expect(performance.now() - start).toBeGreaterThanOrEqual(1900);
      const nonsense = await fetch(`${running.sims[name as "lnbits" | "phoenixd" | "cln"].url}/_sim/faults`, { method: "POST", body: JSON.stringify({ jitterMs: -1 }) });
      expect(nonsense.status).toBe(400);
    } finally {
      await subject().clearFaults();
    }
  });
});
