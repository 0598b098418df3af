import { describe, expect, it } from "vitest";
import { attenuate, decodeMacaroon, encodeMacaroon } from "../../src/macaroon/index.ts";
import { toBase64 } from "../../src/l402/index.ts";
import { utf8 } from "../fixtures/vectors.ts";
import { callWith, originHits, originUrl, payChallenge } from "./support/paywall-client.ts";

/**
 * Path confusion, through the Worker: every variant of a path is refused (400),
 * challenged (402), or forwarded with exactly the canonical path the paywall
 * matched, and never does an unpaid request reach what any common origin would
 * serve as a paid path. The test origin records what it receives.
 */
const services = () =>
  JSON.stringify([
    {
      name: "paths",
      match: ["/api/*"],
      price_sats: 1,
      capabilities: ["read", "admin"],
      capability_rules: [
        { methods: ["POST"], path: "/api/admin/*", capability: "admin" },
        { path: "/api/*", capability: "read" },
      ],
      free_paths: ["/api/public/*", "/api/exact", "/api/items/:id", "/api/docs/"],
      origin: { url: originUrl() },
    },
  ]);
const settings = (unmatched: "404" | "pass") => ({ L402_SERVICES: services(), L402_UNMATCHED: unmatched });

/** Expected outcome: refused (400), paid (402), free (forwarded: this path), other (unmatched: this path). */
type Expected = "refused" | "paid" | { free: string } | { other: string };

const VARIANTS: [string, Expected][] = [
  ["//api/x", "paid"],
  ["///api///x", "paid"],
  ["/%61pi/x", "paid"],
  ["/ap%69/x", "paid"],
  ["/%41%50%49/x", "paid"],
  ["/API/x", "paid"],
  ["/Api/X", "paid"],
  ["/API", "paid"],
  ["/api", "paid"],
  ["/api/", "paid"],
  ["/api/x/", "paid"],
  ["/./api/x", "paid"],
  ["/%2e/api/x", "paid"],
  ["/x/../api/y", "paid"],
  ["/Other/%2e%2e/api/x", "paid"],
  ["/api/public/%2e%2e/secret", "paid"],
  ["/api\\x", "paid"],
  ["/api/%c3%a9/x", "paid"],
  ["/api/publicx", "paid"],
  ["/api/exact/x", "paid"],
  ["/api/exact/x/", "paid"],
  ["/api/exactx", "paid"],
  ["/api/exac", "paid"],
  ["/api/exact/../admin", "paid"],
  ["/api/exact/%2e%2e/admin", "paid"],
  ["/api/items", "paid"],
  ["/api/items/", "paid"],
  ["/api/items/7/more", "paid"],
  ["/api/items//7/more", "paid"],
  ["/api/docs/x", "paid"],
  ["/api/docsx", "paid"],
  ["/api;/x", "refused"],
  ["/api;jsessionid=1/x", "refused"],
  ["/api/x;.css", "refused"],
  ["/api%3B/x", "refused"],
  ["/api%2Fx", "refused"],
  ["/%2Fapi/x", "refused"],
  ["/%61pi%2fpublic/x", "refused"],
  ["/api/public/..%2Fsecret", "refused"],
  ["/other/..%2f..%2fapi/x", "refused"],
  ["/api/x%2F..%2F..%2Fsecret", "refused"],
  ["/api%5Cx", "refused"],
  ["/%2561pi/x", "refused"],
  ["/api/public/%252e%252e/secret", "refused"],
  ["/api./x", "refused"],
  ["/api../x", "refused"],
  ["/api/x.", "refused"],
  ["/api/public/x.", "refused"],
  ["/api/public%2e/x", "refused"],
  ["/api%20/x", "refused"],
  ["/api/x%00", "refused"],
  ["/api%09/x", "refused"],
  ["/%C0%AE%C0%AE/api/x", "refused"],
  ["/api/%C0%AF", "refused"],
  ["/%E0%80%AE%E0%80%AE/x", "refused"],
  ["/api/%ff/x", "refused"],
  ["/%EF%BC%A1PI/x", "refused"],
  ["/api%EF%BC%8Fx", "refused"],
  // Java and Python, ignoring case, read these as /api/x.
  ["/ap%C4%B1/x", "refused"],
  ["/AP%C4%B0/x", "refused"],
  // …and this, composed: I and a combining dot above are İ.
  ["/apI%CC%87/x", "refused"],
  // Free paths match case (another spelling is charged: a case-sensitive origin may serve other content there).
  ["/api/public/x", { free: "/api/public/x" }],
  ["/api/public/x/", { free: "/api/public/x/" }],
  ["/api/public//x", { free: "/api/public/x" }],
  ["/api/public/./x", { free: "/api/public/x" }],
  ["/api/pub%6Cic/x", { free: "/api/public/x" }],
  ["/aPI/public/x", "paid"],
  ["/API/PUBLIC/x", "paid"],
  ["/API/Public/./x", "paid"],
  ["/api/public", { free: "/api/public" }],
  ["/api/public/", { free: "/api/public/" }],
  ["/API/Public", "paid"],
  ["/api/exact", { free: "/api/exact" }],
  ["/api/exact/", { free: "/api/exact/" }],
  ["/API/EXACT", "paid"],
  ["/api//exact", { free: "/api/exact" }],
  ["/api/%65xact", { free: "/api/exact" }],
  ["/api/x/../exact", { free: "/api/exact" }],
  ["/api/items/7", { free: "/api/items/7" }],
  ["/api/items/7/", { free: "/api/items/7/" }],
  ["/api/Items/abc", "paid"],
  ["/api/docs", { free: "/api/docs" }],
  ["/api/docs/", { free: "/api/docs/" }],
  ["/other/x", { other: "/other/x" }],
  ["/other/x/", { other: "/other/x/" }],
  ["//other//x", { other: "/other/x" }],
  ["/%6Fther/x", { other: "/other/x" }],
  ["/apix", { other: "/apix" }],
];

/** How origins route a path they receive. */
const decodeAll = (path: string) => path.replace(/%([0-9A-Fa-f]{2})/g, (_, pair: string) => String.fromCharCode(Number.parseInt(pair, 16)));
function resolveDots(path: string): string {
  const out: string[] = [];
  for (const segment of path.split("/").slice(1)) {
    if (segment === "..") out.pop();
    else if (segment !== ".") out.push(segment);
  }
  return `/${out.join("/")}`;
}
const ORIGIN_MODELS: Record<string, (path: string) => string> = {
  nginx: (path) => resolveDots(decodeAll(path).replace(/\/+/g, "/")),
  express: (path) => resolveDots(decodeAll(path)).toLowerCase().replace(/(.)\/$/, "$1"),
  tomcat: (path) => resolveDots(decodeAll(path.split("/").map((segment) => segment.split(";")[0]).join("/"))),
  iis: (path) => resolveDots(decodeAll(path).replace(/\\/g, "/").split("/").map((segment) => segment.replace(/[. ]+$/, "")).join("/")).toLowerCase(),
};
/**
 * What the configuration sells, as a person reads it: /api and below, but for
 * what free_paths names, each with or without a trailing slash: /api/public and
 * everything below it, /api/exact, /api/items/<one segment>, /api/docs.
 */
const isPaidPath = (path: string) => /^\/api(\/|$)/i.test(path) && !/^\/api\/(public(\/.*)?|exact\/?|items\/[^/]+\/?|docs\/?)$/i.test(path);

describe.each(["404", "pass"] as const)("path variants with L402_UNMATCHED=%s", (unmatched) => {
  it(`${VARIANTS.length} variants: refused, challenged, or forwarded exactly as matched, never paid content unpaid`, async () => {
    expect(VARIANTS.length).toBeGreaterThanOrEqual(40);
    const base = originUrl();
    for (const [target, expected] of VARIANTS) {
      const marker = crypto.randomUUID();
      const response = await callWith(settings(unmatched), `${base}${target}?row=${marker}`);
      const row = `${unmatched} ${target}`;
      const hits = await originHits("/", marker);
      if (expected === "refused" || expected === "paid") {
        expect(response.status, row).toBe(expected === "refused" ? 400 : 402);
        expect(((await response.json()) as { reason: string }).reason, row).toBe(expected === "refused" ? "ambiguous_path" : "missing");
        expect(hits, row).toBe(0);
        continue;
      }
      const forwarded = "free" in expected ? expected.free : expected.other;
      if ("other" in expected && unmatched === "404") {
        expect(response.status, row).toBe(404);
        expect(hits, row).toBe(0);
        continue;
      }
      expect(response.status, row).toBe(200);
      const echo = (await response.json()) as { rawPath: string };
      expect(echo.rawPath, row).toBe(forwarded);
      expect(hits, row).toBe(1);
      for (const [model, route] of Object.entries(ORIGIN_MODELS)) {
        expect(isPaidPath(route(echo.rawPath)), `${row}: ${model} serves ${route(echo.rawPath)}`).toBe(false);
      }
    }
  });
});

describe("capability rules see the canonical path", () => {
  it("a read-only token cannot POST to any spelling of /api/admin/", async () => {
    const env = settings("pass");
    const token = await payChallenge(await callWith(env, `${originUrl()}/api/buy`));
    const readOnly = `L402 ${toBase64(encodeMacaroon(attenuate(decodeMacaroon(token.macaroon), utf8("paths_capabilities=read"))))}:${token.preimageHex}`;
    const headers = { Authorization: readOnly };
    const denied: string[] = [];
    for (const target of ["/api/admin/x", "/api/%61dmin/x", "/API/ADMIN/x", "//api//admin/x", "/api/admin/x/", "/api/%61dmin/%2e/x", "/api/admin%2Fx"]) {
      const marker = crypto.randomUUID();
      const response = await callWith(env, `${originUrl()}${target}?row=${marker}`, { method: "POST", headers });
      expect([400, 402], target).toContain(response.status);
      if (response.status === 402) {
        expect(((await response.json()) as { reason: string }).reason, target).toBe("capability_denied");
        denied.push(target);
      }
      expect(await originHits("/", marker), target).toBe(0);
    }
    // The plain spelling and its percent-encoded one are read, and denied (not merely refused as unreadable).
    expect(denied).toEqual(expect.arrayContaining(["/api/admin/x", "/api/%61dmin/x"]));
    // The same token reads, under any spelling.
    for (const target of ["/api/admin/x", "/API/%61dmin/x"]) {
      expect((await callWith(env, `${originUrl()}${target}`, { headers })).status, target).toBe(200);
    }
  });

  it("a path read both with and without its trailing slash needs the capabilities of both", async () => {
    const rules = [{ path: "/api/doc", capability: "read" }, { path: "/api/*", capability: "admin" }];
    const env = { L402_SERVICES: JSON.stringify([{ name: "paths", match: ["/api/*"], price_sats: 1, capabilities: ["read", "admin"], capability_rules: rules, origin: { url: originUrl() } }]) };
    const token = await payChallenge(await callWith(env, "/api/buy"));
    const readOnly = `L402 ${toBase64(encodeMacaroon(attenuate(decodeMacaroon(token.macaroon), utf8("paths_capabilities=read"))))}:${token.preimageHex}`;
    expect((await callWith(env, "/api/doc/", { headers: { Authorization: readOnly } })).status).toBe(402);
    expect((await callWith(env, "/api/doc/", { headers: { Authorization: token.authorization } })).status).toBe(200);
  });
});

describe("a path with non-ASCII text is matched as an origin comparing Unicode reads it", () => {
  it("another case or a decomposed letter of a paid path is challenged, never passed on as unmatched", async () => {
    const env = { L402_SERVICES: JSON.stringify([{ name: "cafe", match: ["/café/*"], price_sats: 1, origin: { url: originUrl() } }]), L402_UNMATCHED: "pass" };
    for (const target of ["/caf%C3%A9/x", "/CAF%C3%89/x", "/cafe%CC%81/x", "/CAFE%CC%81/x", "/Caf%C3%89/x/"]) {
      const marker = crypto.randomUUID();
      const response = await callWith(env, `${originUrl()}${target}?row=${marker}`);
      expect(response.status, target).toBe(402);
      expect(await originHits("/", marker), target).toBe(0);
    }
    // Another word is another path, passed on.
    expect((await callWith(env, `${originUrl()}/caf%C3%A8/x`)).status).toBe(200);
  });

  it("a path under one service as sent and another as read is refused as ambiguous, never priced as either", async () => {
    const env = { L402_SERVICES: JSON.stringify([{ name: "cafe", match: ["/café/*"], price_sats: 1, origin: { url: originUrl() } }, { name: "dear", match: ["/*"], price_sats: 100, origin: { url: originUrl() } }]) };
    for (const target of ["/CAF%C3%89/report", "/cafe%CC%81/report"]) {
      const response = await callWith(env, `${originUrl()}${target}`);
      expect(response.status, target).toBe(400);
      expect(((await response.json()) as { reason: string }).reason, target).toBe("ambiguous_path");
    }
    expect((await callWith(env, `${originUrl()}/caf%C3%A9/report`)).status).toBe(402);
  });
});

describe("hosts are matched in their canonical form", () => {
  it("a trailing dot, upper case or IDNA spelling does not skip a host pattern", async () => {
    const env = { L402_SERVICES: JSON.stringify([{ name: "hosted", match: ["localhost/*", "bücher.example/*"], price_sats: 1, origin: { url: originUrl() } }]), L402_UNMATCHED: "pass" };
    for (const url of ["http://localhost./x", "http://LOCALHOST/x", "http://LocalHost./x", "http://xn--bcher-kva.example/x", "http://BÜCHER.example./x"]) {
      const response = await callWith(env, url);
      expect(response.status, url).toBe(402);
    }
  });
});

describe("a matched service's strip_prefix", () => {
  it("is removed in whatever case the path was matched", async () => {
    const env = { L402_SERVICES: JSON.stringify([{ name: "strip", match: ["/svc/*"], price_sats: 1, auth: false, origin: { url: originUrl(), strip_prefix: "/svc" } }]) };
    const echo = (await (await callWith(env, "/SVC/%61/b")).json()) as { rawPath: string };
    expect(echo.rawPath).toBe("/a/b");
    // A prefix written beyond ASCII is compared as paths are written (escaped).
    const unicode = { L402_SERVICES: JSON.stringify([{ name: "strip", match: ["/café/*"], price_sats: 1, auth: false, origin: { url: originUrl(), strip_prefix: "/café" } }]) };
    expect(((await (await callWith(unicode, "/caf%C3%A9/b")).json()) as { rawPath: string }).rawPath).toBe("/b");
    // And in the path's other spellings the service matches as an origin comparing Unicode reads them: in another case, decomposed.
    for (const target of ["/CAF%C3%89/b", "/cafe%CC%81/b"]) expect(((await (await callWith(unicode, target)).json()) as { rawPath: string }).rawPath).toBe("/b");
  });
});
