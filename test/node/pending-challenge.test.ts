import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createKeyring, mint, serviceCaveats, toHex } from "../../src/l402/index.ts";
import bolt11Examples from "../fixtures/bolt11-spec-examples.json" with { type: "json" };
import { openPending, sealPending, type PendingChallenge } from "../../src/paywall/browser/pending-challenge.ts";

const current = new Uint8Array(32).fill(1);
const retired = new Uint8Array(32).fill(2);
const keyring = createKeyring(current, [retired]);
// BOLT 11's own example for 2500u (250,000,000 msat): the cookie reads the amount from the invoice.
const INVOICE = (bolt11Examples.examples.find((example) => example.invoice.startsWith("lnbc2500u")) as { invoice: string }).invoice;

function challenge(ring = keyring, service = "articles"): PendingChallenge {
  const paymentHash = new Uint8Array(32).fill(7);
  const minted = mint({ keyring: ring, paymentHash, caveats: serviceCaveats({ service, validUntil: 1_900_003_600 }) });
  return { service, macaroon: minted.bytes, tokenId: toHex(minted.tokenId), tokenValidUntil: 1_900_003_600, amountMsat: 250_000_000n, invoice: INVOICE, paymentHash: "07".repeat(32), expiresAt: 1_900_000_000 };
}

describe("pending-challenge cookies", () => {
  it("open what was sealed, for the same service", () => {
    const pending = challenge();
    expect(openPending(keyring, "articles", sealPending(keyring, pending))).toEqual(pending);
  });

  it("keep opening after a key rotation, while the minting key is still configured", () => {
    const old = createKeyring(retired);
    const sealed = sealPending(old, challenge(old));
    expect(openPending(keyring, "articles", sealed)?.paymentHash).toBe("07".repeat(32));
    expect(openPending(createKeyring(current), "articles", sealed)).toBeUndefined();
  });

  it("refuse another service's cookie, and any change to any part", () => {
    const sealed = sealPending(keyring, challenge());
    expect(openPending(keyring, "news", sealed)).toBeUndefined();
    const parts = sealed.split(".");
    const altered = [
      [String(Number(parts[0]) + 3600), parts[1], parts[2], parts[3]],
      [parts[0], sealPending(keyring, challenge(keyring, "other")).split(".")[1], parts[2], parts[3]],
      [parts[0], parts[1], `${parts[2]?.slice(0, -1)}${parts[2]?.endsWith("q") ? "p" : "q"}`, parts[3]],
      [parts[0], parts[1], parts[2], `${parts[3]?.slice(0, -1)}${parts[3]?.endsWith("A") ? "B" : "A"}`],
    ];
    for (const change of altered) expect(openPending(keyring, "articles", change.join("."))).toBeUndefined();
  });

  it("100,000 generated cookie values: never a throw; only the sealed value opens, and it names its own challenge", { timeout: 180_000 }, () => {
    const pending = challenge();
    const sealed = sealPending(keyring, pending);
    const parts = sealed.split(".");
    const value = fc.oneof(
      fc.string({ maxLength: 600 }),
      fc.string({ maxLength: 300, unit: "binary" }),
      // One part replaced by anything.
      fc.tuple(fc.integer({ min: 0, max: 3 }), fc.string({ maxLength: 80 })).map(([index, junk]) => parts.map((part, i) => (i === index ? junk : part)).join(".")),
      // One to three small edits anywhere in the sealed value.
      fc.array(fc.tuple(fc.nat(sealed.length), fc.nat(3), fc.string({ maxLength: 4 })), { minLength: 1, maxLength: 3 }).map((edits) =>
        edits.reduce((text, [at, cut, insert]) => text.slice(0, at) + insert + text.slice(at + cut), sealed),
      ),
      // Parts dropped or repeated.
      fc.array(fc.constantFrom(...parts), { maxLength: 6 }).map((chosen) => chosen.join(".")),
    );
    let runs = 0;
    fc.assert(
      fc.property(value, (text) => {
        runs++;
        const opened = openPending(keyring, "articles", text);
        if (opened === undefined) return true;
        // Whatever spelling opened (base64 is read leniently), it is the sealed challenge, unchanged.
        return opened.paymentHash === pending.paymentHash && opened.invoice === pending.invoice && opened.expiresAt === pending.expiresAt && openPending(keyring, "news", text) === undefined;
      }),
      { numRuns: 100_000 },
    );
    expect(runs).toBeGreaterThanOrEqual(100_000);
  });
});
