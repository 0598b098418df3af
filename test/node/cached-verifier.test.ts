import { sha256 } from "@noble/hashes/sha2.js";
import { describe, expect, it } from "vitest";
import { attenuate, encodeMacaroon, fastHmacSha256, type HmacSha256 } from "../../src/macaroon/index.ts";
import { createKeyring, createVerifier, formatAuthorization, mint, serviceCaveats, toBase64, toHex } from "../../src/l402/index.ts";

/** The warm verifier (src/l402/cached-verifier.ts): what a hit skips, what it still checks, and its bounds. */
const NOW = 1_800_000_000;
const preimage = new Uint8Array(32).fill(4);

function setup(limits?: { maxEntries?: number; maxChars?: number }) {
  let macs = 0;
  const counting: HmacSha256 = (key, message) => {
    macs++;
    return fastHmacSha256(key, message);
  };
  const keyring = createKeyring(new Uint8Array(32).fill(6), [], counting);
  const minted = mint({ keyring, paymentHash: sha256(preimage), caveats: serviceCaveats({ service: "svc", capabilities: ["read"], validUntil: NOW + 60 }) });
  const header = (caveat?: string) => {
    const macaroon = caveat === undefined ? minted.macaroon : attenuate(minted.macaroon, new TextEncoder().encode(caveat));
    return formatAuthorization(toBase64(encodeMacaroon(macaroon)), toHex(preimage));
  };
  const verifier = createVerifier(keyring, limits);
  const verify = (authorization: string, overrides: { now?: number; service?: string; capabilities?: string[] } = {}) =>
    verifier.verify({ authorization, macaroon: null, grpcMetadataMacaroon: null }, { service: "svc", now: NOW, ...overrides });
  return { verifier, verify, header, macs: () => macs };
}

describe("createVerifier", () => {
  it("a credential proven once costs no HMAC again, and gives the same answer", () => {
    const { verify, header, macs } = setup();
    const first = verify(header());
    const spent = macs();
    expect(spent).toBeGreaterThan(4);
    const again = verify(header());
    expect(macs()).toBe(spent);
    expect(again).toEqual(first);
    expect(again.ok).toBe(true);
  });

  it("still checks, on a hit, what depends on the request and the time", () => {
    const { verify, header } = setup();
    expect(verify(header()).ok).toBe(true);
    const reason = (outcome: ReturnType<typeof verify>) => (outcome.ok ? "ok" : outcome.reason);
    expect(reason(verify(header(), { now: NOW + 60 }))).toBe("expired");
    expect(reason(verify(header(), { service: "other" }))).toBe("service_mismatch");
    expect(reason(verify(header(), { capabilities: ["write"] }))).toBe("capability_denied");
    expect(reason(verify(header()))).toBe("ok");
  });

  it("never takes another preimage for the one it proved, and keeps no failure", () => {
    const { verifier, verify, header, macs } = setup();
    const good = header();
    expect(verify(good).ok).toBe(true);
    const other = good.replace(/:[0-9a-f]{64}$/, `:${"ab".repeat(32)}`);
    const refused = verify(other);
    expect(refused.ok ? "ok" : refused.reason).toBe("wrong_preimage");
    expect(verifier.size).toBe(1);
    const spent = macs();
    const tampered = good.replace(/[A-Z]/, (c) => (c === "A" ? "B" : "A"));
    verify(tampered);
    verify(tampered);
    expect(verifier.size).toBe(1);
    expect(macs()).toBeGreaterThanOrEqual(spent);
  });

  it("reports a presented preimage's hash, refused or not", () => {
    const { verify, header } = setup();
    const expectedHash = toHex(sha256(preimage));
    expect(toHex(verify(header()).paidHash as Uint8Array)).toBe(expectedHash);
    expect(toHex(verify(header(), { now: NOW + 60 }).paidHash as Uint8Array)).toBe(expectedHash);
    expect(verify("").paidHash).toBeUndefined();
  });

  it("drops the oldest first beyond its bound", () => {
    const { verifier, verify, header, macs } = setup({ maxEntries: 3 });
    for (let i = 0; i < 5; i++) verify(header(`note=${i}`));
    expect(verifier.size).toBe(3);
    const spent = macs();
    verify(header("note=4"));
    expect(macs()).toBe(spent);
    verify(header("note=0"));
    expect(macs()).toBeGreaterThan(spent);
  });

  it("stays within its bounds under 100,000 distinct valid credentials", () => {
    const { verifier, verify, header } = setup();
    let valid = 0;
    for (let i = 0; i < 100_000; i++) if (verify(header(`note=${i}`)).ok) valid++;
    expect(valid).toBe(100_000);
    expect(verifier.size).toBeLessThanOrEqual(4096);
    expect(verifier.chars).toBeLessThanOrEqual(2 * 1024 * 1024);
    expect(verifier.size).toBeGreaterThan(1000);
    // 100,000 mints and verifications: seconds on a busy machine.
  }, 60_000);

  it("keeps the text of a credential under its character bound", () => {
    const { verifier, verify, header } = setup({ maxChars: 2000 });
    for (let i = 0; i < 50; i++) verify(header(`note=${i}`));
    expect(verifier.chars).toBeLessThanOrEqual(2000);
    expect(verifier.size).toBeGreaterThan(0);
  });

  it("counts what a credential's caveats hold once read, not only its text: one listing 600 capabilities weighs its sets", () => {
    const { verifier, verify, header } = setup({ maxChars: 64 * 1024 });
    const many = Array.from({ length: 600 }, (_, i) => `c${i}`).join(",");
    const text = header(`other_capabilities=${many}`);
    expect(verify(text).ok).toBe(true);
    // Its text, and 32 for each of its four caveats and each value of its sets (a service, one capability, 600).
    expect(verifier.chars).toBe(text.length + (4 + 1 + 1 + 600) * 32);
    // Such credentials, each another, stay within the bound.
    for (let i = 0; i < 5; i++) verify(header(`other_capabilities=${many},x${i}`));
    expect(verifier.chars).toBeLessThanOrEqual(64 * 1024);
    expect(verifier.size).toBeLessThan(3);
  });
});
