import { describe, expect, it } from "vitest";
import type { InvoiceBackend, NodeInfo } from "../../src/lightning/index.ts";
import { healthResponse } from "../../src/worker/health.ts";
import { parseConfig } from "../../src/worker/load-config.ts";

/**
 * The health endpoint's node status (worker/health.ts), shared by the checks of
 * a few seconds in one isolate. Through the Worker: test/workerd's failure and
 * backend tests.
 */
describe("healthResponse", () => {
  const loaded = parseConfig({ L402_MASTER_KEYS: "44".repeat(32), LND_REST_URL: "https://node.example:8080/", LND_MACAROON: "0201ab", L402_NETWORK: "regtest", L402_SERVICES: [{ name: "a", match: ["/a/*"], price_sats: 1 }] });
  if (!loaded.ok) throw new Error(loaded.problems.join("; "));
  const config = loaded.value;

  it("hands the node's status, which the next checks share, to `later`: a check whose client leaves never leaves the others waiting on work cancelled with it", async () => {
    let answer: (info: NodeInfo) => void = () => undefined;
    let asked = 0;
    const backend = { getInfo: () => (asked++, new Promise<NodeInfo>((resolve) => (answer = resolve))) } as unknown as InvoiceBackend;
    const handedOn: Promise<unknown>[] = [];
    const subject = { config, backend, issuance: () => ({ lastIssuedAt: null, lastFailure: null }), later: (work: Promise<unknown>) => void handedOn.push(work) };
    const first = healthResponse(subject);
    const second = healthResponse(subject);
    await Promise.resolve();
    expect([asked, handedOn.length]).toEqual([1, 1]);
    answer({ alias: "n", network: "regtest", syncedToChain: true, blockHeight: 1 });
    expect((await first).status).toBe(200);
    expect(((await (await second).json()) as { node: { ok: boolean } }).node.ok).toBe(true);
  });
});
