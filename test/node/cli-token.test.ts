import { sha256 } from "@noble/hashes/sha2.js";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { createMacaroon, decodeMacaroon, encodeMacaroon } from "../../src/macaroon/index.ts";
import { deriveRootKey, fromBase64Lenient, fromHex, toBase64, toHex } from "../../src/l402/index.ts";
import { macaroonVectors, utf8 } from "../fixtures/vectors.ts";

const hexBytes = (hex: string): Uint8Array => fromHex(hex) as Uint8Array;
const BIN = fileURLToPath(new URL("../../bin/l402-edge.js", import.meta.url));

/** Runs the real bin with this Node (the project's Node 22 under npm test). */
function cli(...args: string[]) {
  return cliWith({}, ...args);
}
/** With `env` over this process's own, L402_MASTER_KEYS taken out unless given. */
function cliWith(env: Record<string, string>, ...args: string[]) {
  const { L402_MASTER_KEYS: _theirs, ...inherited } = process.env;
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", env: { ...inherited, ...env } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}
const json = (text: string) => JSON.parse(text) as Record<string, unknown>;

const preimage = "ab".repeat(32);
const paymentHash = toHex(sha256(hexBytes(preimage)));

describe("l402-edge keygen", () => {
  it("prints a fresh 32-byte hex key each time", () => {
    const [a, b] = [cli("keygen"), cli("keygen")];
    expect(a.code).toBe(0);
    expect(a.stdout).toMatch(/^[0-9a-f]{64}\n$/);
    expect(a.stdout).not.toBe(b.stdout);
  });
});

describe("l402-edge token", () => {
  const master = cli("keygen").stdout.trim();
  const minted = cli("token", "mint", "--master-key", master, "--payment-hash", paymentHash, "--caveat", "services=svc:0", "--caveat", "svc_valid_until=2000000000");
  const token = minted.stdout.trim();

  it("mint → inspect shows the fields and that it verifies", () => {
    expect(minted.code).toBe(0);
    const described = json(cli("token", "inspect", token, "--master-key", master).stdout);
    expect(described).toMatchObject({
      location: "l402",
      version: 0,
      paymentHash,
      caveats: ["services=svc:0", "svc_valid_until=2000000000"],
      signatureValid: true,
    });
    expect(described["tokenId"]).toMatch(/^[0-9a-f]{64}$/);
    const otherKey = cli("keygen").stdout.trim();
    expect(json(cli("token", "inspect", token, "--master-key", otherKey).stdout)).toMatchObject({ signatureValid: false, reason: "unknown_key" });
  });

  it("inspect --json escapes what a terminal would act on (C1 controls, bidi overrides) that JSON.stringify leaves raw: the same JSON", () => {
    const hostile = cli("token", "mint", "--master-key", master, "--payment-hash", paymentHash, "--caveat", "services=svc:0", "--caveat", "note=\u202epaid\u009b2J");
    const shown = cli("token", "inspect", hostile.stdout.trim());
    expect(shown.code).toBe(0);
    expect(shown.stdout).not.toMatch(/[\u202e\u009b]/);
    expect(shown.stdout).toContain("\\u202epaid\\u009b2J");
    expect(JSON.stringify(json(shown.stdout))).toContain("\u202epaid\u009b2J");
  });

  it("inspect reads base64, hex and a whole Authorization value alike", () => {
    const hex = toHex(fromBase64Lenient(token) as Uint8Array);
    const forms = [token, hex, `L402 ${token}:${preimage}`, `${token}:${preimage}`].map((form) => json(cli("token", "inspect", form).stdout));
    for (const form of forms) expect(form).toEqual(forms[0]);
  });

  it("verify: exit 0 with JSON when paid and in time, exit 1 with the reason otherwise", () => {
    const ok = cli("token", "verify", `L402 ${token}:${preimage}`, "--master-key", master, "--now", "1900000000");
    expect(ok.code).toBe(0);
    expect(json(ok.stdout)).toMatchObject({ ok: true, service: "svc", grant: { services: ["svc"], validUntil: 2000000000 } });
    // The key from the environment, which other users of the machine cannot read (a flag is in every user's ps).
    const fromEnv = cliWith({ L402_MASTER_KEYS: master }, "token", "verify", `L402 ${token}:${preimage}`, "--now", "1900000000");
    expect([fromEnv.code, json(fromEnv.stdout)["ok"]]).toEqual([0, true]);

    const cases: [string[], string][] = [
      [["--now", "2000000000"], "expired"],
      [["--service", "other"], "service_mismatch"],
    ];
    for (const [flags, reason] of cases) {
      const refused = cli("token", "verify", `L402 ${token}:${preimage}`, "--master-key", master, ...flags);
      expect(refused.code).toBe(1);
      expect(json(refused.stdout)).toMatchObject({ ok: false, reason });
    }
    const wrong = cli("token", "verify", `L402 ${token}:${"cd".repeat(32)}`, "--master-key", master);
    expect([wrong.code, json(wrong.stdout)["reason"]]).toEqual([1, "wrong_preimage"]);
  });

  it("attenuate narrows; the narrowed token still verifies before the new expiry, not after", () => {
    const narrowed = cli("token", "attenuate", token, "--caveat", "svc_valid_until=1950000000").stdout.trim();
    expect(decodeMacaroon(fromBase64Lenient(narrowed) as Uint8Array).caveats).toHaveLength(3);
    expect(cli("token", "verify", `${narrowed}:${preimage}`, "--master-key", master, "--now", "1940000000").code).toBe(0);
    const late = cli("token", "verify", `${narrowed}:${preimage}`, "--master-key", master, "--now", "1960000000");
    expect([late.code, json(late.stdout)["reason"]]).toEqual([1, "expired"]);
  });

  it("verify finds retired keys: --master-key takes the current key first, then retired ones", () => {
    const current = cli("keygen").stdout.trim();
    expect(cli("token", "verify", `${token}:${preimage}`, "--master-key", `${current},${master}`, "--now", "1").code).toBe(0);
    expect(json(cli("token", "verify", `${token}:${preimage}`, "--master-key", current, "--now", "1").stdout)["reason"]).toBe("unknown_key");
  });

  it("mint --root-key signs with that root key directly (the vector's chain)", () => {
    const { l402 } = macaroonVectors;
    const out = cli("token", "mint", "--root-key", l402.rootKeyHex, "--payment-hash", l402.paymentHashHex, "--caveat", "services=svc:0", "--location", "lsat");
    const macaroon = decodeMacaroon(fromBase64Lenient(out.stdout.trim()) as Uint8Array);
    const expected = createMacaroon({ rootKey: hexBytes(l402.rootKeyHex), identifier: macaroon.identifier, caveats: [utf8("services=svc:0")], location: "lsat" });
    expect(out.stdout.trim()).toBe(toBase64(encodeMacaroon(expected)));
    expect(toHex(macaroon.identifier.slice(2, 34))).toBe(l402.paymentHashHex);
  });

  it("mint --master-key derives the root key the Worker will derive", () => {
    const macaroon = decodeMacaroon(fromBase64Lenient(token) as Uint8Array);
    const rootKey = deriveRootKey({ id: 0, secret: hexBytes(master) }, macaroon.identifier);
    expect(macaroon.signature).toEqual(createMacaroon({ rootKey, identifier: macaroon.identifier, caveats: macaroon.caveats.map((c) => c.id) }).signature);
  });
});

describe("bad input: one line on stderr, a non-zero exit, no stack trace", () => {
  it.each([
    [["frobnicate"], /unknown command "frobnicate"/],
    [["token"], /unknown token command/],
    [["token", "inspect"], /give exactly one token/],
    [["token", "inspect", "!!!"], /neither base64 nor hex/],
    [["token", "inspect", "AgEE"], /not a macaroon: truncated/],
    [["token", "inspect", "L402 abc:12"], /not an L402 credential/],
    [["token", "mint", "--payment-hash", "00"], /--payment-hash must be 32 bytes/],
    [["token", "mint", "--payment-hash", "00".repeat(32)], /give --root-key, or --master-key \(or L402_MASTER_KEYS\)/],
    [["token", "mint", "--payment-hash", "00".repeat(32), "--root-key", "11".repeat(32), "--master-key", "11".repeat(32)], /give --root-key or --master-key, not both/],
    [["token", "mint", "--payment-hash", "00".repeat(32), "--payment-hash", "11".repeat(32)], /--payment-hash is given twice/],
    [["token", "mint", "--master-key", "abcd", "--payment-hash", "00".repeat(32)], /at least 32 are needed/],
    [["token", "mint", "--master-key", "xyz", "--payment-hash", "00".repeat(32)], /--master-key: entry 1 is not hex/],
    [["token", "mint", "--nope"], /Unknown option '--nope'/],
    [["token", "attenuate", "AgEE"], /at least one --caveat/],
    [["token", "verify", "L402 x:y"], /not an L402 credential/],
    [["token", "verify", `L402 ${macaroonVectors.l402.macaroonBase64}:${"11".repeat(32)}`], /--master-key \(or L402_MASTER_KEYS\) is required/],
    [["token", "verify", `L402 ${macaroonVectors.l402.macaroonBase64}:${"11".repeat(32)}`, "--master-key", "11".repeat(32), "--now", "soon"], /--now must be unix seconds/],
    [["keygen", "extra"], /keygen takes no arguments/],
    [["mcp", "--max-time", "0"], /--max-time must be whole seconds, 1 to 86400/],
    [["get", "https://a.example/x", "--max-cost", "10", "--max-cost", "100000"], /--max-cost is given twice/],
    [["get", "--discover", "https://a.example", "-o", "out.json"], /--discover fetches the discovery documents alone: it takes no --output/],
    [["get", "https://a.example/x", "-X", "TRACE"], /-X "TRACE" is not an HTTP method fetch\(\) sends/],
    [["get", "https://a.example/x", "-H", "X Foo: bar"], /-H "X Foo: bar": not a header name and value HTTP allows/],
    [["get", "https://a.example/x", "-X", "GET BAD"], /-X "GET BAD" is not an HTTP method fetch\(\) sends/],
    [["get", "https://a.example/x", "-X", "GET", "-d", "x"], /a GET cannot carry/],
    [["get", "https://a.example/x", "--nwc", "nostr+walletconnect://x", "--fee-limit", "5"], /--fee-limit applies to an LND wallet/],
    [["tokens", "rm", "--all", "https://a.example"], /tokens rm takes an origin or --all, not both/],
  ])("%j", (args, message) => {
    const result = cli(...(args as string[]));
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(/^l402-edge: /);
  });
});
