import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../../dev/lnd-sim/server.ts";
import { lndRestBackend, type InvoiceBackend } from "../../src/lightning/index.ts";
import { POLL_LOOKUPS_PER_SECOND, pollLookups } from "../../src/paywall/browser/poll-lookups.ts";
import { Jar, poll, shop, visit } from "./support/browser-shop.ts";

/**
 * How often one client may have the node asked about the invoices its pages
 * poll (paywall/browser/poll-lookups.ts): as often as its open pages poll,
 * never once a second for every pending cookie it collected and replays.
 */
describe("pollLookups", () => {
  it("lets an address have the node asked its bound of times a second; the next second afresh; another address its own", () => {
    const polls = pollLookups();
    const now = 1_800_000_000;
    for (let i = 0; i < POLL_LOOKUPS_PER_SECOND.address; i++) expect(polls("203.0.113.9", now)).toBe(true);
    expect(polls("203.0.113.9", now)).toBe(false);
    expect(polls("198.51.100.1", now)).toBe(true);
    expect(polls("203.0.113.9", now + 1)).toBe(true);
  });

  it("counts a network too (an IPv4 /24, an IPv6 /48): a client polling from each /64 of its /48 gets the network's bound, not each address's", () => {
    const polls = pollLookups();
    const now = 1_800_000_000;
    const allowed = Array.from({ length: 100 }, (_, i) => polls(`2001:db8:7:${i.toString(16)}::1`, now)).filter(Boolean).length;
    expect(allowed).toBe(POLL_LOOKUPS_PER_SECOND.network);
    expect(polls("2001:db8:8::1", now)).toBe(true);
  });
});

describe("a client replaying pending cookies collected from many page views", () => {
  let sim: Simulator;
  let node: InvoiceBackend;
  beforeAll(async () => {
    sim = await startSimulator();
    node = lndRestBackend({ url: sim.url, macaroonHex: sim.paywallMacaroonHex, network: "regtest", timeoutMs: 2000 });
  });
  afterAll(() => sim.close());

  it("has the node asked about a few of them in a second; the rest are told pending, and a browser elsewhere is asked about as ever", async () => {
    const s = shop(node);
    const jars = Array.from({ length: 3 * POLL_LOOKUPS_PER_SECOND.address }, () => new Jar());
    // Each page view from an address of its own (within the mint limit), each with its pending cookie.
    for (const [i, jar] of jars.entries()) expect((await visit(s, jar, "/articles/lightning", { "CF-Connecting-IP": `198.51.${i}.7` })).status).toBe(402);
    const replayed = { "Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "cors", "CF-Connecting-IP": "203.0.113.9" };
    // Together, early in a second: were they to straddle two, the node would still be asked twice the bound at most.
    if (Date.now() % 1000 > 500) await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000)));
    const answers = await Promise.all(jars.map(async (jar) => (await poll(s, jar, "/articles/lightning", replayed)).status));
    expect(answers.every((status) => status === 202)).toBe(true);
    expect(s.lookups()).toBeLessThanOrEqual(2 * POLL_LOOKUPS_PER_SECOND.address);
    expect(s.lookups()).toBeLessThan(jars.length);
    // The last page's own browser, at its own address, has its invoice asked about.
    const before = s.lookups();
    await poll(s, jars.at(-1) as Jar, "/articles/lightning", { ...replayed, "CF-Connecting-IP": `198.51.${jars.length - 1}.7` });
    expect(s.lookups()).toBe(before + 1);
  });
});
