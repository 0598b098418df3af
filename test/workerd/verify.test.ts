import { sha256 } from "@noble/hashes/sha2.js";
import { describe, expect, it } from "vitest";
import { attenuate, createMacaroon, decodeMacaroon, encodeMacaroon, MacaroonFormatError } from "../../src/macaroon/index.ts";
import {
  createKeyring,
  deriveRootKey,
  encodeIdentifier,
  fromBase64Lenient,
  keyForToken,
  mint,
  parseAuthorization,
  serviceCaveats,
  verify,
  type Credential,
  type Keyring,
} from "../../src/l402/index.ts";
import { keyring, NOW, paidToken } from "../fixtures/tokens.ts";
import { goMinted, utf8 } from "../fixtures/vectors.ts";

const options = { keyring, service: "svc", now: NOW };
const reasonOf = (credential: Credential, overrides: Partial<typeof options & { capabilities: readonly string[] }> = {}) => {
  const result = verify(credential, { ...options, ...overrides });
  return result.ok ? "ok" : result.reason;
};
const narrowed = (token: ReturnType<typeof paidToken>, ...caveats: string[]): Credential => ({
  macaroon: caveats.reduce((m, c) => attenuate(m, utf8(c)), token.macaroon),
  preimage: token.preimage,
});

describe("verify", () => {
  const token = paidToken({ capabilities: ["read", "write"] });

  it("accepts a paid token and reports what it grants", () => {
    const result = verify({ macaroon: token.macaroon, preimage: token.preimage }, { ...options, capabilities: ["read"] });
    expect(result).toEqual({
      ok: true,
      value: { tokenId: token.tokenId, paymentHash: token.paymentHash, grant: { services: ["svc"], capabilities: ["read", "write"], validUntil: NOW + 3600 } },
    });
  });

  it.each([
    ["wrong preimage", () => ({ macaroon: token.macaroon, preimage: new Uint8Array(32) }), {}, "wrong_preimage"],
    ["tampered caveat", () => ({ macaroon: { ...token.macaroon, caveats: [{ id: utf8("services=other:0") }] }, preimage: token.preimage }), {}, "bad_signature"],
    ["another service", () => token, { service: "other" }, "service_mismatch"],
    ["at the expiry second", () => token, { now: NOW + 3600 }, "expired"],
    ["a capability it lacks", () => token, { capabilities: ["admin"] }, "capability_denied"],
    ["a third-party caveat", () => ({ macaroon: { ...token.macaroon, caveats: [...token.macaroon.caveats, { id: utf8("x"), verificationId: utf8("v") }] }, preimage: token.preimage }), {}, "third_party_caveat"],
    ["another keyring", () => token, { keyring: createKeyring(new Uint8Array(32).fill(9)) }, "unknown_key"],
    ["an unreadable expiry caveat", () => narrowed(token, "svc_valid_until=soon"), {}, "invalid_caveat"],
    ["a caveat without '='", () => narrowed(token, "nonsense"), {}, "invalid_caveat"],
  ] as const)("refuses %s", (_name, credential, overrides, reason) => {
    expect(reasonOf(credential() as Credential, overrides)).toBe(reason);
  });

  it("reports the expiry minted with a metered count; no holder caveat moves it", () => {
    const grantOf = (credential: Credential) => {
      const result = verify(credential, options);
      if (!result.ok) throw new Error(result.detail);
      return result.value.grant;
    };
    const metered = paidToken({ capabilities: ["read"], uses: 5 });
    expect(grantOf(narrowed(metered))).toMatchObject({ uses: 5, validUntil: NOW + 3600, mintedValidUntil: NOW + 3600 });
    expect(grantOf(narrowed(metered, `svc_valid_until=${NOW + 10}`, "svc_uses=1"))).toMatchObject({ uses: 1, validUntil: NOW + 10, mintedValidUntil: NOW + 3600 });
    const forever = paidToken({ validUntil: null, uses: 5 });
    expect(grantOf(narrowed(forever)).mintedValidUntil).toBeUndefined();
    expect(grantOf(narrowed(forever, `svc_valid_until=${NOW + 10}`, "svc_uses=2")).mintedValidUntil).toBeUndefined();
    expect(grantOf(narrowed(token)).mintedValidUntil).toBeUndefined();
  });

  it("ignores unknown conditions, including the preimage caveat", () => {
    expect(reasonOf(narrowed(token, "other_verifier=anything", "preimage=00"))).toBe("ok");
  });

  it("refuses a token that names no service, even with a valid signature", () => {
    const preimage = new Uint8Array(32).fill(1);
    const minted = mint({ keyring, paymentHash: sha256(preimage), caveats: [] });
    expect(reasonOf({ macaroon: minted.macaroon, preimage })).toBe("service_mismatch");
  });

  it("refuses the lsat-js layout as not an L402 identifier", () => {
    const legacy = goMinted.notAperturesLayout[0]?.macaroonBase64Url ?? "";
    const macaroon = decodeMacaroon(fromBase64Lenient(legacy) as Uint8Array);
    const result = verify({ macaroon, preimage: new Uint8Array(32) }, options);
    expect(result).toMatchObject({ ok: false, reason: "invalid_identifier", detail: expect.stringMatching(/132 bytes/) });
  });

  it("refuses an identifier of another version", () => {
    const identifier = encodeIdentifier(token.paymentHash, token.tokenId);
    identifier[1] = 1;
    expect(reasonOf({ macaroon: { ...token.macaroon, identifier }, preimage: token.preimage })).toBe("invalid_identifier");
  });
});

describe("attenuation cannot widen", () => {
  const token = paidToken({ service: "svc", capabilities: ["read"], validUntil: NOW + 100 });
  const multi = (() => {
    const preimage = new Uint8Array(32).fill(3);
    const minted = mint({ keyring, paymentHash: sha256(preimage), caveats: [utf8("services=svc:0,other:0")] });
    return { ...minted, preimage, bytes: encodeMacaroon(minted.macaroon), authorization: "" };
  })();

  it.each([
    ["services: adds a service", multi, ["services=svc:0,third:0"], "caveat_widened"],
    ["services: replaces with another", token, ["services=other:0"], "caveat_widened"],
    ["capabilities: adds one", token, ["svc_capabilities=read,write"], "caveat_widened"],
    ["capabilities: replaces", token, ["svc_capabilities=admin"], "caveat_widened"],
    ["expiry: later", token, ["svc_valid_until=" + (NOW + 101)], "caveat_widened"],
    ["expiry: far later after a narrowing", token, ["svc_valid_until=" + (NOW + 50), "svc_valid_until=" + (NOW + 99)], "caveat_widened"],
    ["services: narrows to one", multi, ["services=svc:0"], "ok"],
    ["services: equal", token, ["services=svc:0"], "ok"],
    ["capabilities: equal", token, ["svc_capabilities=read"], "ok"],
    ["capabilities: narrows to none (read no longer allowed)", token, ["svc_capabilities="], "ok"],
    ["expiry: earlier", token, ["svc_valid_until=" + (NOW + 50)], "ok"],
    ["expiry: equal", token, ["svc_valid_until=" + (NOW + 100)], "ok"],
  ] as const)("%s → %s", (_name, base, caveats, expected) => {
    expect(reasonOf(narrowed(base, ...caveats))).toBe(expected);
  });

  it("a narrowed capability list is enforced", () => {
    expect(reasonOf(narrowed(token, "svc_capabilities="), { capabilities: ["read"] })).toBe("capability_denied");
    expect(reasonOf(token, { capabilities: ["read"] })).toBe("ok");
  });

  it("a narrowed expiry is enforced", () => {
    expect(reasonOf(narrowed(token, `svc_valid_until=${NOW + 10}`), { now: NOW + 10 })).toBe("expired");
    expect(reasonOf(narrowed(token, `svc_valid_until=${NOW + 10}`), { now: NOW + 9 })).toBe("ok");
  });
});

describe("what only the minter grants (price, request, credit, top-up)", () => {
  const plain = paidToken({ service: "svc" });
  const credit = paidToken({ service: "svc", creditMsat: 5000n, validUntil: NOW + 100 });
  const priced = paidToken({ service: "svc", priceMsat: 2000n, request: "ab".repeat(32) });
  const target = "cd".repeat(32);

  it("is minted before the services caveat, which comes last", () => {
    const caveats = decodeMacaroon(credit.bytes).caveats.map((caveat) => new TextDecoder().decode(caveat.id));
    expect(caveats).toEqual([`svc_valid_until=${NOW + 100}`, "svc_credit_msat=5000", "services=svc:0"]);
    expect(reasonOf(credit)).toBe("ok");
  });

  it.each([
    ["a credit added to a token minted without one", plain, ["svc_credit_msat=100000000"], "invalid_caveat"],
    ["a top-up target added to a plain token", plain, [`svc_topup=${target}`], "invalid_caveat"],
    ["a top-up target added to a credit token", credit, [`svc_topup=${target}`], "invalid_caveat"],
    ["a price added to a token minted without one", plain, ["svc_price_msat=99999999"], "invalid_caveat"],
    ["a request binding added", plain, [`svc_request=${target}`], "invalid_caveat"],
    ["a credit raised", credit, ["svc_credit_msat=5001"], "invalid_caveat"],
    ["a price raised", priced, ["svc_price_msat=2001"], "caveat_widened"],
    ["another request", priced, [`svc_request=${target}`], "caveat_widened"],
    // The credit opens the token's one balance, shared by every copy: lowered, it would cap no copy and shrink the balance shown first.
    ["a credit lowered", credit, ["svc_credit_msat=4000"], "invalid_caveat"],
    ["a price lowered", priced, ["svc_price_msat=1000"], "ok"],
    ["the same request", priced, [`svc_request=${"ab".repeat(32)}`], "ok"],
  ] as const)("%s → %s", (_name, base, caveats, expected) => {
    expect(reasonOf(narrowed(base, ...caveats))).toBe(expected);
  });
});

describe("tampering", () => {
  it("flipping any single byte of the serialization never yields a verified token", () => {
    const token = paidToken({ capabilities: ["read"] });
    const original = token.bytes;
    const outcomes = new Set<string>();
    for (let position = 0; position < original.length; position++) {
      for (const mask of [0x01, 0x80, 0xff]) {
        const tampered = original.slice();
        tampered[position] = (tampered[position] ?? 0) ^ mask;
        let outcome: string;
        let macaroon: ReturnType<typeof decodeMacaroon> | undefined;
        try {
          macaroon = decodeMacaroon(tampered);
        } catch (error) {
          if (!(error instanceof MacaroonFormatError)) throw error;
        }
        if (macaroon === undefined) outcome = "malformed";
        else {
          outcome = reasonOf({ macaroon, preimage: token.preimage });
          // Only the location hint is outside the signature; changing it changes nothing granted.
          if (outcome === "ok") expect(macaroon.location).not.toBe(token.macaroon.location);
        }
        outcomes.add(outcome);
        if (outcome === "ok") continue;
        expect(["malformed", "bad_signature", "wrong_preimage", "unknown_key", "invalid_identifier", "invalid_caveat", "service_mismatch", "expired"]).toContain(outcome);
      }
    }
    expect(outcomes.has("bad_signature")).toBe(true);
  });

  it("the preimage of another token does not verify", () => {
    const [a, b] = [paidToken(), paidToken()];
    expect(reasonOf({ macaroon: a.macaroon, preimage: b.preimage })).toBe("wrong_preimage");
  });

  it("an identifier swapped in from another token does not verify", () => {
    const [a, b] = [paidToken(), paidToken()];
    expect(reasonOf({ macaroon: { ...a.macaroon, identifier: b.macaroon.identifier }, preimage: b.preimage })).toBe("bad_signature");
  });
});

describe("master key rotation", () => {
  const oldKey = new Uint8Array(32).fill(1);
  const newKey = new Uint8Array(32).fill(2);
  const before: Keyring = createKeyring(oldKey);
  const during: Keyring = createKeyring(newKey, [oldKey]);
  const after: Keyring = createKeyring(newKey);

  it("a token minted under a retired key verifies while that key is configured, and not after", () => {
    const token = paidToken({ keyring: before });
    expect(reasonOf(token, { keyring: during })).toBe("ok");
    expect(reasonOf(token, { keyring: after })).toBe("unknown_key");
  });

  it("new tokens are minted under the current key and found in O(1) by key id", () => {
    const token = paidToken({ keyring: during });
    expect(keyForToken(during, token.tokenId)?.secret).toEqual(newKey);
    expect(reasonOf(token, { keyring: after })).toBe("ok");
    expect(reasonOf(token, { keyring: before })).toBe("unknown_key");
  });

  it("root keys are per token and bound to the identifier", () => {
    const [a, b] = [paidToken({ keyring: during }), paidToken({ keyring: during })];
    const master = during.current;
    expect(deriveRootKey(master, a.macaroon.identifier)).not.toEqual(deriveRootKey(master, b.macaroon.identifier));
  });

  it("refuses short keys and a key configured twice", () => {
    expect(() => createKeyring(new Uint8Array(16))).toThrow(/at least 32/);
    expect(() => createKeyring(newKey, [newKey])).toThrow(/share a key id/);
  });
});

describe("parse then verify", () => {
  it("the formatted Authorization header round-trips to a verified token", () => {
    const token = paidToken();
    const parsed = parseAuthorization(token.authorization);
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect(reasonOf(parsed.value)).toBe("ok");
  });

  it("a macaroon signed with a root key we did not derive is refused", () => {
    const token = paidToken();
    const forged = createMacaroon({
      rootKey: new Uint8Array(32),
      identifier: token.macaroon.identifier,
      caveats: serviceCaveats({ service: "svc" }),
    });
    expect(reasonOf({ macaroon: forged, preimage: token.preimage })).toBe("bad_signature");
  });
});
