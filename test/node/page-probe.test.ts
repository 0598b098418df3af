import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createKeyring } from "../../src/l402/index.ts";
import { openProbe, sealProbe } from "../../src/paywall/browser/page-probe.ts";

const current = new Uint8Array(32).fill(1);
const keyring = createKeyring(current, [new Uint8Array(32).fill(2)]);
const HASH = "0a".repeat(32);

describe("probe cookies", () => {
  it("open what was sealed, naming the invoice they were sealed for, for the same service only", () => {
    const sealed = sealProbe(keyring, "articles", HASH);
    expect(sealed).toMatch(/^[0-9a-f]{64}\.[\w-]{43}$/);
    expect(openProbe(keyring, "articles", sealed)).toBe(HASH);
    expect(openProbe(keyring, "news", sealed)).toBeUndefined();
    // Under another current key (a rotation), a probe is simply asked for again.
    expect(openProbe(createKeyring(new Uint8Array(32).fill(2), [current]), "articles", sealed)).toBeUndefined();
  });

  it("refuse another invoice's hash under a tag, and any change to either part", () => {
    const [hash = "", tag = ""] = sealProbe(keyring, "articles", HASH).split(".");
    for (const changed of [`${"08".repeat(32)}.${tag}`, `${hash.toUpperCase()}.${tag}`, `${hash}.${tag.slice(1)}`, `${hash}.${tag}A`, `${hash}`, `${hash}.`, `.${tag}`, `${hash}.${tag}.${tag}`]) {
      expect(openProbe(keyring, "articles", changed), changed).toBeUndefined();
    }
  });

  it("100,000 generated cookie values: never a throw, and nothing but a sealed value opens", { timeout: 120_000 }, () => {
    const sealed = sealProbe(keyring, "articles", HASH);
    const value = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.string({ maxLength: 120, unit: "binary" }),
      fc.tuple(fc.stringMatching(/^[0-9a-f]{64}$/), fc.base64String({ maxLength: 60 })).map(([hash, tag]) => `${hash}.${tag}`),
      fc.array(fc.tuple(fc.nat(sealed.length), fc.nat(3), fc.string({ maxLength: 3 })), { minLength: 1, maxLength: 3 }).map((edits) =>
        edits.reduce((text, [at, cut, insert]) => text.slice(0, at) + insert + text.slice(at + cut), sealed),
      ),
    );
    let runs = 0;
    fc.assert(
      fc.property(value, (text) => {
        runs++;
        const opened = openProbe(keyring, "articles", text);
        return opened === undefined || (opened === HASH && text.startsWith(`${HASH}.`));
      }),
      { numRuns: 100_000 },
    );
    expect(runs).toBeGreaterThanOrEqual(100_000);
  });
});
