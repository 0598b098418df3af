import { beforeAll, describe, expect, it } from "vitest";
import { attenuate, decodeMacaroon, encodeMacaroon, type Macaroon } from "../../src/macaroon/index.ts";
import { toBase64, toHex } from "../../src/l402/index.ts";
import { utf8 } from "../fixtures/vectors.ts";
import { buyToken, call, originHits, type PaidToken } from "./support/paywall-client.ts";

let mine: PaidToken;
let theirs: PaidToken;
let other: PaidToken;
beforeAll(async () => {
  [mine, theirs, other] = await Promise.all([buyToken("/api/adv-a"), buyToken("/api/adv-b"), buyToken("/other/adv")]);
});

const decoded = (token: PaidToken) => decodeMacaroon(token.macaroon);
const auth = (macaroon: Macaroon | Uint8Array, preimageHex: string, scheme = "L402") =>
  `${scheme} ${toBase64(macaroon instanceof Uint8Array ? macaroon : encodeMacaroon(macaroon))}:${preimageHex}`;

/** Each case builds the request headers an attacker would send. */
const CASES: [string, () => HeadersInit][] = [
  ["tampered signature", () => {
    const bytes = mine.macaroon.slice();
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1;
    return { Authorization: auth(bytes, mine.preimageHex) };
  }],
  ["swapped identifier (another token's, with its preimage)", () => ({ Authorization: auth({ ...decoded(mine), identifier: decoded(theirs).identifier }, theirs.preimageHex) })],
  ["the preimage of another token", () => ({ Authorization: auth(mine.macaroon, theirs.preimageHex) })],
  ["widened expiry", () => ({ Authorization: auth(attenuate(decoded(mine), utf8(`api_valid_until=${2 ** 40}`)), mine.preimageHex) })],
  ["widened services", () => ({ Authorization: auth(attenuate(decoded(other), utf8("services=other:0,api:0")), other.preimageHex) })],
  ["widened capabilities", () => ({ Authorization: auth(attenuate(decoded(mine), utf8("api_capabilities=read,write,admin")), mine.preimageHex) })],
  ["caveat removed", () => ({ Authorization: auth({ ...decoded(mine), caveats: decoded(mine).caveats.slice(0, 1) }, mine.preimageHex) })],
  ["expired (narrowed by its holder)", () => ({ Authorization: auth(attenuate(decoded(mine), utf8("api_valid_until=1")), mine.preimageHex) })],
  ["a token for another service", () => ({ Authorization: other.authorization })],
  ["a third-party caveat", () => ({ Authorization: auth({ ...decoded(mine), caveats: [...decoded(mine).caveats, { id: utf8("x"), location: "l", verificationId: utf8("v") }] }, mine.preimageHex) })],
  ["truncated token", () => ({ Authorization: `L402 ${mine.macaroonBase64.slice(0, 60)}:${mine.preimageHex}` })],
  ["oversized token", () => ({ Authorization: `L402 ${"QUFB".repeat(3000)}:${mine.preimageHex}` })],
  ["duplicate Authorization headers", () => { const h = new Headers(); h.append("Authorization", mine.authorization); h.append("Authorization", theirs.authorization); return h; }],
  ["non-ASCII bytes", () => ({ Authorization: `L402 ${mine.macaroonBase64.slice(0, 20)}\u00e9\u00ff${mine.macaroonBase64.slice(22)}:${mine.preimageHex}` })],
  ["mixed-case scheme on a tampered token", () => ({ Authorization: `lSaT ${mine.macaroonBase64.replace(/.{4}$/, "AAAA")}:${mine.preimageHex}` })],
  ["empty credential", () => ({ Authorization: "L402 :" })],
  ["preimage of the wrong length", () => ({ Authorization: `L402 ${mine.macaroonBase64}:${mine.preimageHex}00` })],
  ["Macaroon header, tampered", () => ({ Macaroon: toHex(encodeMacaroon(attenuate(decoded(mine), utf8(`preimage=${theirs.preimageHex}`)))) })],
  ["Macaroon header, not hex", () => ({ Macaroon: "zz" + toHex(mine.macaroon) })],
  ["a macaroon signed with another key", () => ({ Authorization: auth({ ...decoded(mine), signature: new Uint8Array(32).fill(9) }, mine.preimageHex) })],
];

describe("adversarial credentials through the whole Worker", () => {
  it.each(CASES)("%s → 402 or another 4xx, and the origin never sees it", async (_name, headers) => {
    const path = `/api/adversarial/${crypto.randomUUID()}`;
    const response = await call(path, { headers: headers() });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    if (response.status === 402) {
      const body = (await response.json()) as { reason: string };
      expect(body.reason).not.toBe("missing");
    }
    expect(await originHits(path.slice(4))).toBe(0);
  });

  it("the genuine credentials work (the table's failures are the attacks, not the setup)", async () => {
    for (const token of [mine, theirs]) expect((await call("/api/adversarial/genuine", { headers: { Authorization: token.authorization } })).status).toBe(200);
  });
});
