import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { attenuate, decodeMacaroon, encodeMacaroon, type Macaroon } from "../../src/macaroon/index.ts";
import { toBase64, toHex } from "../../src/l402/index.ts";
import { utf8 } from "../fixtures/vectors.ts";
import { buyToken, call, callWithEnv, originHits, originUrl, payChallenge, uniquePath, type PaidToken } from "./support/paywall-client.ts";

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

/**
 * Frameworks let a request claim another method: Express's method-override
 * and Symfony/Laravel read `X-HTTP-Method-Override` (and kin) and a `_method`
 * parameter (query, or a form body) on a POST. A token its holder narrowed to
 * `write` may POST but not DELETE; claimed any of these ways, the DELETE must
 * need `delete` too.
 */
describe("method overrides are judged, not passed through unjudged", () => {
  const SERVICE = {
    name: "records",
    match: ["/records/*"],
    price_sats: 1,
    capabilities: ["read", "write", "delete"],
    capability_rules: [
      { methods: ["DELETE"], path: "/records/*", capability: "delete" },
      { methods: ["POST", "PUT", "PATCH"], path: "/records/*", capability: "write" },
      { path: "/records/*", capability: "read" },
    ],
  };
  let writeOnly: string;
  let full: string;
  const overrides = () => ({ ...env, L402_SERVICES: JSON.stringify([{ ...SERVICE, origin: { url: originUrl() } }]) });
  beforeAll(async () => {
    const token = await payChallenge(await callWithEnv(overrides(), "/records/x"));
    writeOnly = auth(attenuate(decodeMacaroon(token.macaroon), utf8("records_capabilities=write")), token.preimageHex);
    full = token.authorization;
  });

  const CLAIMS: [string, (path: string) => [string, RequestInit]][] = [
    ["X-HTTP-Method-Override", (path) => [path, { method: "POST", headers: { "X-HTTP-Method-Override": "DELETE" } }]],
    ["X-HTTP-Method", (path) => [path, { method: "POST", headers: { "X-HTTP-Method": "DELETE" } }]],
    ["X-Method-Override", (path) => [path, { method: "POST", headers: { "X-Method-Override": "DELETE" } }]],
    ["a lower-case value", (path) => [path, { method: "POST", headers: { "x-http-method-override": "delete" } }]],
    ["a list of values", (path) => [path, { method: "POST", headers: { "X-HTTP-Method-Override": "PATCH, DELETE" } }]],
    ["a PUT claiming DELETE", (path) => [path, { method: "PUT", headers: { "X-HTTP-Method-Override": "DELETE" } }]],
    ["?_method=DELETE", (path) => [`${path}?_method=DELETE`, { method: "POST" }]],
    ["?_method=delete among other parameters", (path) => [`${path}?a=1&_method=delete`, { method: "POST" }]],
    ["a form body (it may carry _method)", (path) => [path, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: "_method=DELETE" }]],
    ["a multipart form body", (path) => [path, { method: "POST", headers: { "Content-Type": "multipart/form-data; boundary=x" }, body: '--x\r\nContent-Disposition: form-data; name="_method"\r\n\r\nDELETE\r\n--x--\r\n' }]],
    // Review of issue 18 (item 3): claims the frameworks read that the paywall did not see.
    ["a POST with no Content-Type (Rack reads its body as a form)", (path) => [path, { method: "POST", body: new TextEncoder().encode("_method=DELETE") }]],
    ["a form type cut at a comma (Rack and PHP read the type up to ',')", (path) => [path, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded, text/plain" }, body: "_method=DELETE" }]],
    ["a form type cut at a space (PHP reads the type up to ' ')", (path) => [path, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded x" }, body: "_method=DELETE" }]],
    ["a JSON body (Laravel reads _method from JSON input)", (path) => [path, { method: "POST", headers: { "Content-Type": "application/json" }, body: '{"_method":"DELETE"}' }]],
    ["?.method=DELETE (PHP names the parameter _method)", (path) => [`${path}?.method=DELETE`, { method: "POST" }]],
    ["?%20_method=DELETE (PHP drops a name's leading spaces)", (path) => [`${path}?%20_method=DELETE`, { method: "POST" }]],
  ];

  it.each(CLAIMS)("%s with a write-only token → 402 capability_denied, origin not reached", async (_name, claim) => {
    const path = uniquePath("/records/claim");
    const [target, init] = claim(path);
    const response = await callWithEnv(overrides(), target, { ...init, headers: { ...(init.headers as Record<string, string> | undefined), Authorization: writeOnly } });
    expect(response.status).toBe(402);
    expect(await response.json()).toMatchObject({ reason: "capability_denied" });
    expect(await originHits(path)).toBe(0);
  });

  // Review of issue 18 (item 3): Express, Rails, Django, Flask, Spring and Hono answer a HEAD with the GET route's handler.
  it("a HEAD is carried out as a GET: a rule for GET needs its capability for HEAD too", async () => {
    const reports = { ...env, L402_SERVICES: JSON.stringify([{ name: "reports", match: ["/reports/*"], price_sats: 1, capabilities: ["read", "write"], capability_rules: [{ methods: ["GET"], path: "/reports/*", capability: "read" }], origin: { url: originUrl() } }]) };
    const token = await payChallenge(await callWithEnv(reports, "/reports/x"));
    const writeOnlyReports = auth(attenuate(decodeMacaroon(token.macaroon), utf8("reports_capabilities=write")), token.preimageHex);
    const get = await callWithEnv(reports, uniquePath("/reports/get"), { headers: { Authorization: writeOnlyReports } });
    expect(get.status).toBe(402);
    await get.body?.cancel();
    const path = uniquePath("/reports/head");
    const head = await callWithEnv(reports, path, { method: "HEAD", headers: { Authorization: writeOnlyReports } });
    expect(head.status).toBe(402);
    expect(await originHits(path)).toBe(0);
  });

  it("a token that may delete passes each claim; a plain POST needs write only", async () => {
    for (const [, claim] of CLAIMS) {
      const [target, init] = claim(uniquePath("/records/granted"));
      const response = await callWithEnv(overrides(), target, { ...init, headers: { ...(init.headers as Record<string, string> | undefined), Authorization: full } });
      expect(response.status).toBe(200);
      await response.body?.cancel();
    }
    // A body no framework reads parameters from claims nothing (an empty one neither: claimed-methods.test.ts).
    for (const [type, body] of [["text/plain", "_method=DELETE"], ["application/octet-stream", "x"]] as const) {
      const plain = await callWithEnv(overrides(), uniquePath("/records/plain"), { method: "POST", headers: { "Content-Type": type, Authorization: writeOnly }, body });
      expect(plain.status, type).toBe(200);
      await plain.body?.cancel();
    }
  });

  it("a service whose origin lets no request claim another method (method_override = false) judges the method sent: a JSON POST needs write only", async () => {
    const strictOrigin = { ...env, L402_SERVICES: JSON.stringify([{ ...SERVICE, method_override: false, origin: { url: originUrl() } }]) };
    const path = uniquePath("/records/json");
    const post = await callWithEnv(strictOrigin, path, { method: "POST", headers: { "Content-Type": "application/json", Authorization: writeOnly }, body: '{"name":"x"}' });
    expect(post.status).toBe(200);
    await post.body?.cancel();
    // Still judged as sent: a DELETE needs delete, and a HEAD is a GET.
    const deleted = await callWithEnv(strictOrigin, uniquePath("/records/json"), { method: "DELETE", headers: { Authorization: writeOnly } });
    expect(await deleted.json()).toMatchObject({ reason: "capability_denied" });
    expect(await originHits(path)).toBe(1);
  });
});
