import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkCaveats, decodeCaveat, encodeCaveat, readCaveats, serviceCaveats, type Grant } from "../../src/l402/index.ts";

/**
 * The caveats selling by usage adds (l402/caveats.ts): `<svc>_price_msat`,
 * `<svc>_request`, `<svc>_credit_msat`, `<svc>_topup`, read as a verifier
 * reads them, with a holder appending whatever it likes after what was minted.
 */
const NOW = 1_800_000_000;
const DIGEST = "ab".repeat(32);
const OTHER_DIGEST = "cd".repeat(32);
const caveat = (text: string): Uint8Array => encodeCaveat(text.slice(0, text.indexOf("=")), text.slice(text.indexOf("=") + 1));

function read(caveats: readonly Uint8Array[], now = NOW) {
  return checkCaveats(caveats, { service: "svc", now });
}
function grantOf(caveats: readonly Uint8Array[]): Grant {
  const result = read(caveats);
  if (!result.ok) throw new Error(`${result.reason}: ${result.detail}`);
  return result.value;
}
const reasonOf = (caveats: readonly Uint8Array[]): string => {
  const result = read(caveats);
  return result.ok ? "ok" : result.reason;
};

describe("the usage caveats as minted", () => {
  it("read back as what was minted", () => {
    const minted = serviceCaveats({ service: "svc", validUntil: NOW + 60, priceMsat: 1500n, request: DIGEST });
    expect(grantOf(minted)).toEqual({ services: ["svc"], validUntil: NOW + 60, priceMsat: 1500n, request: DIGEST });
    const balance = serviceCaveats({ service: "svc", validUntil: NOW + 60, creditMsat: 5_250_000n });
    expect(grantOf(balance)).toEqual({ services: ["svc"], validUntil: NOW + 60, creditMsat: 5_250_000n, mintedValidUntil: NOW + 60 });
    const topup = serviceCaveats({ service: "svc", validUntil: NOW + 60, creditMsat: 1_000_000n, topupFor: DIGEST });
    expect(grantOf(topup)).toEqual({ services: ["svc"], validUntil: NOW + 60, creditMsat: 1_000_000n, topupFor: DIGEST, mintedValidUntil: NOW + 60 });
  });

  it("amounts round-trip exactly, up to 19 digits (beyond a double's precision)", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 10n ** 19n - 1n }), (msat) => {
        const grant = grantOf(serviceCaveats({ service: "svc", priceMsat: msat, creditMsat: msat }));
        expect(grant.priceMsat).toBe(msat);
        expect(grant.creditMsat).toBe(msat);
      }),
    );
  });

  it("are per service, and only the minter writes them: one a holder appends, for any service, makes the token invalid", () => {
    const base = serviceCaveats({ service: "svc", validUntil: NOW + 60 });
    for (const text of ["other_price_msat=5", `other_topup=${DIGEST}`, "other_credit_msat=9", `other_request=${DIGEST}`]) expect(reasonOf([...base, caveat(text)])).toBe("invalid_caveat");
    expect(read(serviceCaveats({ service: "other", priceMsat: 5n }))).toMatchObject({ ok: false, reason: "service_mismatch" });
  });
});

describe("malformed values are refused, never read as something else", () => {
  const base = serviceCaveats({ service: "svc" });
  const amounts = ["0", "-1", "01", "1.5", " 1", "1 ", "+1", "1e3", "0x10", "", "1".repeat(20), "１"];
  const digests = [DIGEST.toUpperCase(), DIGEST.slice(1), `${DIGEST}0`, `${DIGEST.slice(2)}zz`, "", ` ${DIGEST.slice(1)}`];
  it.each([
    ...amounts.map((value) => [`svc_price_msat=${value}`] as const),
    ...amounts.map((value) => [`svc_credit_msat=${value}`] as const),
    ...digests.map((value) => [`svc_request=${value}`] as const),
    ...digests.map((value) => [`svc_topup=${value}`] as const),
  ])("%s", (text) => {
    expect(read([...base, caveat(text)])).toMatchObject({ ok: false, reason: "invalid_caveat" });
  });
});

describe("a holder may narrow, never widen", () => {
  const priced = serviceCaveats({ service: "svc", priceMsat: 1000n, request: DIGEST });
  const balance = serviceCaveats({ service: "svc", validUntil: NOW + 60, creditMsat: 1000n });
  it.each([
    ["a lower price", priced, "svc_price_msat=999", "ok"],
    ["the same price", priced, "svc_price_msat=1000", "ok"],
    ["a higher price", priced, "svc_price_msat=1001", "caveat_widened"],
    ["the same request", priced, `svc_request=${DIGEST}`, "ok"],
    ["another request", priced, `svc_request=${OTHER_DIGEST}`, "caveat_widened"],
    // A credit opens the token's one balance, shared by every copy: a narrower one would cap no copy, and shrink the balance if shown first.
    ["a lower credit", balance, "svc_credit_msat=1", "invalid_caveat"],
    ["the same credit", balance, "svc_credit_msat=1000", "invalid_caveat"],
    ["a higher credit", balance, "svc_credit_msat=1001", "invalid_caveat"],
  ] as const)("%s → %s", (_name, minted, added, expected) => {
    expect(reasonOf([...minted, caveat(added)])).toBe(expected);
  });

  it("the narrowest value is the one granted, and it only ever goes down", () => {
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: 1n, max: 5000n }), { minLength: 1, maxLength: 6 }), (added) => {
        const caveats = [...priced, ...added.map((msat) => caveat(`svc_price_msat=${msat}`))];
        const result = read(caveats);
        let narrowest = 1000n;
        let widened = false;
        for (const msat of added) {
          if (msat > narrowest) widened = true;
          else narrowest = msat;
        }
        if (widened) expect(result).toMatchObject({ ok: false, reason: "caveat_widened" });
        else expect(result).toMatchObject({ ok: true, value: { priceMsat: narrowest } });
      }),
    );
  });

  it("a price or a request added to a token minted without one is refused: only the minter grants them", () => {
    const plain = serviceCaveats({ service: "svc" });
    expect(reasonOf([...plain, caveat("svc_price_msat=5")])).toBe("invalid_caveat");
    expect(reasonOf([...plain, caveat(`svc_request=${DIGEST}`)])).toBe("invalid_caveat");
  });

  it("a top-up token's target cannot be changed", () => {
    const topup = serviceCaveats({ service: "svc", creditMsat: 1000n, topupFor: DIGEST });
    expect(reasonOf([...topup, caveat(`svc_topup=${DIGEST}`)])).toBe("ok");
    expect(reasonOf([...topup, caveat(`svc_topup=${OTHER_DIGEST}`)])).toBe("caveat_widened");
  });
});

describe("mintedValidUntil: the expiry minted with a balance, which no holder caveat moves", () => {
  it("is the valid_until minted just before the credit, whatever a holder narrows afterwards", () => {
    const balance = serviceCaveats({ service: "svc", validUntil: NOW + 3600, creditMsat: 1000n });
    expect(grantOf(balance).mintedValidUntil).toBe(NOW + 3600);
    expect(grantOf([...balance, caveat(`svc_valid_until=${NOW + 10}`)])).toMatchObject({ validUntil: NOW + 10, mintedValidUntil: NOW + 3600, creditMsat: 1000n });
  });

  it("is absent for a balance minted without an expiry, however a holder narrows it", () => {
    const forever = serviceCaveats({ service: "svc", creditMsat: 1000n });
    expect(grantOf(forever).mintedValidUntil).toBeUndefined();
    expect(grantOf([...forever, caveat(`svc_valid_until=${NOW + 10}`)]).mintedValidUntil).toBeUndefined();
  });

  // A holder's `uses` (which a balance service never counts) must not move the expiry its balance is
  // forgotten after: forgotten early, the balance opens again at the token's full credit.
  it("a holder's own expiry and uses caveat appended to a balance token leave it where it was minted", () => {
    const balance = serviceCaveats({ service: "svc", validUntil: NOW + 3600, creditMsat: 1000n });
    expect(grantOf([...balance, caveat(`svc_valid_until=${NOW + 10}`), caveat("svc_uses=1")]).mintedValidUntil).toBe(NOW + 3600);
    const forever = serviceCaveats({ service: "svc", creditMsat: 1000n });
    expect(grantOf([...forever, caveat(`svc_valid_until=${NOW + 10}`), caveat("svc_uses=1")]).mintedValidUntil).toBeUndefined();
  });

  it("a holder's credit caveat on a metered token is refused, and its uses keep the expiry minted with them", () => {
    const metered = serviceCaveats({ service: "svc", validUntil: NOW + 3600, uses: 5 });
    expect(reasonOf([...metered, caveat(`svc_valid_until=${NOW + 10}`), caveat("svc_credit_msat=1")])).toBe("invalid_caveat");
    expect(grantOf([...metered, caveat(`svc_valid_until=${NOW + 10}`), caveat("svc_uses=2")]).mintedValidUntil).toBe(NOW + 3600);
  });
});

describe("a top-up is minted, never made by a holder", () => {
  // A holder appending `<svc>_topup=<any id>` to its balance token would turn one payment's credit
  // into a credit for any balance it names, once per name: unlimited credit from one payment.
  it("a top-up caveat appended to a balance token is refused", () => {
    const balance = serviceCaveats({ service: "svc", validUntil: NOW + 3600, creditMsat: 1000n });
    const forged = read([...balance, caveat(`svc_topup=${DIGEST}`)]);
    expect(forged.ok && forged.value.topupFor !== undefined).toBe(false);
    expect(forged).toMatchObject({ ok: false, reason: "invalid_caveat" });
  });

  it("one minted as a top-up reads as one, its target restated or not; its credit is never narrowed", () => {
    const topup = serviceCaveats({ service: "svc", validUntil: NOW + 3600, creditMsat: 1000n, topupFor: DIGEST });
    expect(grantOf(topup)).toMatchObject({ topupFor: DIGEST, creditMsat: 1000n });
    expect(grantOf([...topup, caveat(`svc_topup=${DIGEST}`)])).toMatchObject({ topupFor: DIGEST, creditMsat: 1000n });
    expect(reasonOf([...topup, caveat("svc_credit_msat=10")])).toBe("invalid_caveat");
  });
});

describe("a caveat read as text", () => {
  it("a caveat's bytes read as UTF-8 `condition=value` would read them, whatever their bytes and length (ASCII taken a faster way)", () => {
    const reference = (bytes: Uint8Array) => {
      let text: string;
      try {
        text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
      } catch {
        return undefined;
      }
      const at = text.indexOf("=");
      return at <= 0 ? undefined : { condition: text.slice(0, at), value: text.slice(at + 1) };
    };
    const ascii = fc.uint8Array({ max: 0x7f, maxLength: 1200 });
    const anyBytes = fc.uint8Array({ maxLength: 1200 });
    const utf8 = fc.string({ unit: "binary", maxLength: 600 }).map((text) => new TextEncoder().encode(text));
    fc.assert(fc.property(fc.oneof(ascii, anyBytes, utf8), (bytes) => void expect(decodeCaveat(bytes)).toEqual(reference(bytes))), { numRuns: 5000 });
  });
});

describe("a grant read for one service", () => {
  it("reads that service's own conditions, whichever and however many services were asked for before", () => {
    // Two services in one token, each with its own expiry and capabilities.
    const both = [caveat("services=a:0,b:0"), caveat("a_valid_until=1800000100"), caveat("b_valid_until=1800000200"), caveat("a_capabilities=x"), caveat("b_capabilities=y")];
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 300; i++) {
        const service = `s${i}`;
        const grant = checkCaveats(serviceCaveats({ service, capabilities: [`c${i}`], validUntil: NOW + i + 1, uses: i + 1 }), { service, now: NOW });
        expect(grant).toEqual({ ok: true, value: { services: [service], capabilities: [`c${i}`], validUntil: NOW + i + 1, uses: i + 1, mintedValidUntil: NOW + i + 1 } });
        const name = i % 2 === 0 ? "a" : "b";
        expect(checkCaveats(both, { service: name, now: NOW })).toEqual({
          ok: true,
          value: { services: ["a", "b"], validUntil: name === "a" ? 1800000100 : 1800000200, capabilities: [name === "a" ? "x" : "y"] },
        });
      }
    }
  });
});

describe("a caveat's value read", () => {
  // The readings as first written, one step at a time: the faster ones must agree with them on any text.
  const servicesAsFirstRead = (value: string) => {
    const names = new Set<string>();
    for (const entry of value.split(",")) {
      const match = /^([^:]+):(\d{1,3})$/.exec(entry);
      if (match === null || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(match[1] as string) || (match[1] as string).length > 64) return undefined;
      names.add(match[1] as string);
    }
    return names;
  };
  const capabilitiesAsFirstRead = (value: string) => new Set(value === "" ? [] : value.split(",").map((capability) => capability.trim()));
  const reading = (text: string) => {
    const result = readCaveats([caveat(text)]);
    return result.ok ? result.value.latest : undefined;
  };
  // Names of every length up to past the limit of 64 (a plain generator seldom makes long ones).
  const serviceLike = fc
    .integer({ min: 1, max: 70 })
    .chain((length) => fc.string({ unit: fc.constantFrom(..."aZ9._-"), minLength: length, maxLength: length }));
  // Mostly the characters that matter to the grammar, so that valid and nearly valid values both come up.
  const value = fc.oneof(
    fc.string({ unit: fc.constantFrom(..."ab9Z._-:, ,1234567890x:", "é"), maxLength: 30 }),
    fc.array(fc.tuple(serviceLike, fc.integer({ min: 0, max: 1200 })), { minLength: 1, maxLength: 4 }).map((entries) => entries.map(([name, tier]) => `${name}:${tier}`).join(",")),
  );

  it("services: name:tier entries, each name a valid service name, or nothing at all", () => {
    fc.assert(
      fc.property(value, (text) => {
        const expected = servicesAsFirstRead(text);
        expect(reading(`services=${text}`)?.get("services")).toEqual(expected);
      }),
      { numRuns: 5000 },
    );
  });

  it("numbers: an expiry's 1 to 12 digits, a count's and an amount's without a leading zero", () => {
    const numbers = fc.oneof(value, fc.string({ unit: fc.constantFrom(..."0123456789"), maxLength: 22 }), fc.string({ unit: fc.constantFrom(..."0123456789+-. e\n١"), maxLength: 22 }));
    fc.assert(
      fc.property(numbers, (text) => {
        expect(reading(`svc_valid_until=${text}`)?.get("svc_valid_until")).toEqual(/^\d{1,12}$/.test(text) ? Number(text) : undefined);
        expect(reading(`svc_uses=${text}`)?.get("svc_uses")).toEqual(/^[1-9]\d{0,8}$/.test(text) ? Number(text) : undefined);
        expect(reading(`svc_price_msat=${text}`)?.get("svc_price_msat")).toEqual(/^[1-9]\d{0,18}$/.test(text) ? BigInt(text) : undefined);
      }),
      { numRuns: 5000 },
    );
  });

  it("capabilities: the comma-separated names, trimmed", () => {
    fc.assert(fc.property(value, (text) => void expect(reading(`svc_capabilities=${text}`)?.get("svc_capabilities")).toEqual(capabilitiesAsFirstRead(text))), { numRuns: 5000 });
  });
});

describe("the values a service's tokens share, read once per isolate", () => {
  const read = (...caveats: [string, string][]) => readCaveats(caveats.map(([condition, value]) => encodeCaveat(condition, value)));

  it("each text gives its own reading, the same each time, past the most kept too", () => {
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 300; i++) {
        const reading = read(["services", `svc${i}:0`], [`svc${i}_capabilities`, `read,cap${i}`]);
        if (!reading.ok) throw new Error(reading.detail);
        expect(reading.value.latest.get("services")).toEqual(new Set([`svc${i}`]));
        expect(reading.value.latest.get(`svc${i}_capabilities`)).toEqual(new Set(["read", `cap${i}`]));
      }
    }
  });

  it("an unreadable value stays unreadable the second time, and a shared reading is never changed by a grant", () => {
    for (let round = 0; round < 2; round++) expect(read(["services", "svc"])).toMatchObject({ ok: false, reason: "invalid_caveat" });
    const caveats = [encodeCaveat("services", "shared:0"), encodeCaveat("shared_capabilities", "read,write")];
    const first = checkCaveats(caveats, { service: "shared", capabilities: ["read"], now: 0 });
    if (!first.ok) throw new Error(first.detail);
    (first.value.capabilities as string[]).push("admin");
    (first.value.services as string[]).push("other");
    expect(checkCaveats(caveats, { service: "shared", capabilities: ["admin"], now: 0 })).toMatchObject({ ok: false, reason: "capability_denied" });
    expect(checkCaveats(caveats, { service: "other", now: 0 })).toMatchObject({ ok: false, reason: "service_mismatch" });
  });

  it("two caveats whose bytes hash alike are each read as what they say", () => {
    // The shared readings are found by a 32-bit FNV-1a of the bytes: these two collide.
    const [a, b] = ["read,x1uzx", "read,xc2ad"];
    for (let round = 0; round < 2; round++) {
      for (const value of [a, b]) {
        const reading = read(["services", "svc:0"], ["svc_capabilities", value]);
        if (!reading.ok) throw new Error(reading.detail);
        expect(reading.value.latest.get("svc_capabilities")).toEqual(new Set(value.split(",")));
      }
    }
  });

  it("a reading kept is not changed by the bytes it was read from changing after", () => {
    // The same colliding pair: a kept reading that held the token's own buffer would take the second for the first.
    const capabilities = (bytes: Uint8Array) => {
      const reading = readCaveats([bytes]);
      return reading.ok ? reading.value.latest.get("svc_capabilities") : reading.reason;
    };
    const buffer = encodeCaveat("svc_capabilities", "read,x1uzx");
    expect(capabilities(buffer)).toEqual(new Set(["read", "x1uzx"]));
    buffer.set(encodeCaveat("svc_capabilities", "read,xc2ad"));
    expect(capabilities(encodeCaveat("svc_capabilities", "read,xc2ad"))).toEqual(new Set(["read", "xc2ad"]));
  });
});
