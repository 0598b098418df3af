import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createKeyring, mint, serviceCaveats } from "../../src/l402/index.ts";
import { encodeMacaroon } from "../../src/macaroon/index.ts";
import { openPending, sealPending, type PendingChallenge } from "../../src/paywall/browser/pending-challenge.ts";

const current = new Uint8Array(32).fill(1);
const retired = new Uint8Array(32).fill(2);
const keyring = createKeyring(current, [retired]);
const INVOICE = "lnbcrt30n1pjexample0000000000000000000000000000qqqq";

function challenge(ring = keyring, service = "articles"): PendingChallenge {
  const paymentHash = new Uint8Array(32).fill(7);
  const minted = mint({ keyring: ring, paymentHash, caveats: serviceCaveats({ service }) });
  return { service, macaroon: encodeMacaroon(minted.macaroon), invoice: INVOICE, paymentHash: "07".repeat(32), expiresAt: 1_900_000_000 };
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
      [parts[0], parts[1], parts[2]?.replace(/q$/, "p"), parts[3]],
      [parts[0], parts[1], parts[2], `${parts[3]?.slice(0, -1)}${parts[3]?.endsWith("A") ? "B" : "A"}`],
    ];
    for (const change of altered) expect(openPending(keyring, "articles", change.join("."))).toBeUndefined();
  });

  it("never throw on garbage, and never open it", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 600 }), (text) => {
        expect(openPending(keyring, "articles", text)).toBeUndefined();
      }),
      { numRuns: 2000 },
    );
    const parts = sealPending(keyring, challenge()).split(".");
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3 }), fc.string({ maxLength: 80 }), (index, junk) => {
        const changed = [...parts];
        changed[index] = junk;
        if (junk === parts[index]) return;
        expect(openPending(keyring, "articles", changed.join("."))).toBeUndefined();
      }),
      { numRuns: 2000 },
    );
  });
});
