import { describe, expect, it } from "vitest";
import { attenuate, decodeMacaroon, encodeMacaroon } from "../../src/macaroon/index.ts";
import { toBase64, toHex } from "../../src/l402/index.ts";
import { env } from "cloudflare:test";
import { withHeldClock } from "./support/held-clock.ts";
import { buyToken, call, callWith, callWithEnv, originHits, payChallenge, uniquePath } from "./support/paywall-client.ts";
import { ORIGIN_API_KEY, ORIGIN_SECRET } from "../fixtures/worker-env.ts";
import { utf8 } from "../fixtures/vectors.ts";

function replaceBytes(haystack: Uint8Array, needle: Uint8Array, replacement: Uint8Array): Uint8Array {
  const at = haystack.findIndex((_, i) => needle.every((byte, j) => haystack[i + j] === byte));
  if (at === -1) throw new Error("caveat not found");
  const out = haystack.slice();
  out.set(replacement, at);
  return out;
}

type Echo = { method: string; path: string; query: string; headers: Record<string, string>; bodyBytes: number };

describe("request → 402 → pay → retry → 200", () => {
  it("with Authorization: L402, the origin sees the token id and its secret, never the credential", async () => {
    const path = uniquePath("/api/hello");
    const unpaid = await call(`${path}?q=1`);
    expect(unpaid.status).toBe(402);
    expect(await originHits(path.slice(4))).toBe(0);
    const token = await payChallenge(unpaid);

    // A credential header in a spelling a CGI-style origin reads as it (PHP's HTTP_PAYMENT_SIGNATURE) is a credential too.
    const paid = await call(`${path}?q=1`, { headers: { Authorization: token.authorization, "X-Client": "kept", Payment_Signature: "not for the origin", Grpc_Metadata_Macaroon: "nor this" } });
    expect(paid.status).toBe(200);
    const echo = (await paid.json()) as Echo;
    expect(echo.path).toBe(path.slice(4)); // strip_prefix "/api"
    expect(echo.query).toBe("?q=1");
    expect(echo.headers["x-l402-token-id"]).toMatch(/^[0-9a-f]{64}$/);
    expect(echo.headers["x-l402-token-id"]).toBe(toHex(decodeMacaroon(token.macaroon).identifier.slice(34)));
    expect(echo.headers["x-l402-origin-auth"]).toBe(ORIGIN_SECRET);
    expect(echo.headers["x-origin-key"]).toBe(ORIGIN_API_KEY);
    expect(echo.headers["x-static"]).toBe("yes");
    expect(echo.headers["x-client"]).toBe("kept");
    expect(echo.headers["authorization"]).toBeUndefined();
    expect(Object.keys(echo.headers).filter((name) => /payment.signature|macaroon/.test(name))).toEqual([]);
    expect(await originHits(path.slice(4))).toBe(1);
  });

  it("with the LSAT scheme", async () => {
    const path = uniquePath("/api/lsat");
    const token = await buyToken(path);
    const paid = await call(path, { headers: { Authorization: `LSAT ${token.macaroonBase64}:${token.preimageHex}` } });
    expect(paid.status).toBe(200);
  });

  it("with Aperture's Go client, which sends the credential as LSAT and as L402", async () => {
    const path = uniquePath("/api/go-client");
    const token = await buyToken(path);
    const headers = new Headers();
    headers.append("Authorization", `LSAT ${token.macaroonBase64}:${token.preimageHex}`);
    headers.append("Authorization", `L402 ${token.macaroonBase64}:${token.preimageHex}`);
    expect((await call(path, { headers })).status).toBe(200);
    const other = await buyToken(uniquePath("/api/go-client-other"));
    headers.set("Authorization", `LSAT ${token.macaroonBase64}:${token.preimageHex}`);
    headers.append("Authorization", other.authorization);
    const mixed = await call(path, { headers });
    expect(mixed.status).toBe(402);
    expect(((await mixed.json()) as { reason: string }).reason).toBe("malformed");
  });

  it("with the hex Macaroon and Grpc-Metadata-Macaroon headers carrying a preimage caveat", async () => {
    const path = uniquePath("/api/hex");
    const token = await buyToken(path);
    const withPreimage = toHex(encodeMacaroon(attenuate(decodeMacaroon(token.macaroon), utf8(`preimage=${token.preimageHex}`))));
    for (const header of ["Macaroon", "Grpc-Metadata-Macaroon"]) {
      const paid = await call(path, { headers: { [header]: withPreimage } });
      expect(paid.status).toBe(200);
      const echo = (await paid.json()) as Echo;
      expect(echo.headers[header.toLowerCase()]).toBeUndefined();
    }
  });
});

describe("a paid token", () => {
  it("works again without paying, on every path of its service, with any method its capabilities allow", async () => {
    const token = await buyToken(uniquePath("/api/first"));
    for (const [method, path] of [["GET", "/api/a"], ["GET", "/api/b/c?x=y"], ["POST", "/api/d"], ["DELETE", "/api/e"]] as const) {
      const response = await call(path, { method, headers: { Authorization: token.authorization } });
      expect(response.status, `${method} ${path}`).toBe(200);
      expect(((await response.json()) as Echo).method).toBe(method);
    }
  });

  it.each([
    ["on another service", (t: { authorization: string }) => ["/other/x", { Authorization: t.authorization }], "service_mismatch"],
    ["with a wrong preimage", (t: { macaroonBase64: string }) => ["/api/x", { Authorization: `L402 ${t.macaroonBase64}:${"00".repeat(32)}` }], "wrong_preimage"],
    [
      "with a tampered caveat",
      (t: { macaroon: Uint8Array; preimageHex: string }) => {
        // Same length, so the encoding stays valid and only the signature can tell.
        const bytes = replaceBytes(t.macaroon, utf8("api_capabilities=read,write"), utf8("api_capabilities=read,admin"));
        return ["/api/x", { Authorization: `L402 ${toBase64(bytes)}:${t.preimageHex}` }];
      },
      "bad_signature",
    ],
    [
      "with a capability the token lacks (narrowed to read by its holder)",
      (t: { macaroon: Uint8Array; preimageHex: string }) => {
        const narrowed = encodeMacaroon(attenuate(decodeMacaroon(t.macaroon), utf8("api_capabilities=read")));
        return ["/api/x", { Authorization: `L402 ${toBase64(narrowed)}:${t.preimageHex}` }, "POST"];
      },
      "capability_denied",
    ],
    [
      "after a holder-narrowed expiry",
      (t: { macaroon: Uint8Array; preimageHex: string }) => {
        const narrowed = encodeMacaroon(attenuate(decodeMacaroon(t.macaroon), utf8(`api_valid_until=${Math.floor(Date.now() / 1000) - 1}`)));
        return ["/api/x", { Authorization: `L402 ${toBase64(narrowed)}:${t.preimageHex}` }];
      },
      "expired",
    ],
    ["with no credential", () => ["/api/x", {}], "missing"],
    ["with a garbled credential", () => ["/api/x", { Authorization: "L402 !!!:zz" }], "malformed"],
  ] as const)("gets a fresh 402 %s, saying why", async (_name, build, reason) => {
    const token = await buyToken(uniquePath("/api/reasons"));
    const [path, headers, method] = build(token as never) as [string, Record<string, string>, string?];
    const unique = uniquePath(path);
    const before = await originHits(unique.replace(/^\/api/, ""));
    const response = await call(unique, { headers, method: method ?? "GET" });
    expect(response.status).toBe(402);
    const body = (await response.json()) as { reason: string; invoice: string };
    expect(body.reason).toBe(reason);
    expect(body.invoice).toMatch(/^lnbcrt/);
    expect(response.headers.get("www-authenticate")).toMatch(/^L402 macaroon="/);
    expect(await originHits(unique.replace(/^\/api/, ""))).toBe(before);
  });

  it("expires at the service's timeout", async () => {
    const path = uniquePath("/short/x");
    const token = await buyToken(path);
    const minted = decodeMacaroon(token.macaroon).caveats.map((c) => new TextDecoder().decode(c.id));
    const validUntil = Number(minted.find((c) => c.startsWith("short_valid_until="))?.split("=")[1]);
    expect(validUntil).toBeGreaterThan(Date.now() / 1000 - 1);
    await new Promise((resolve) => setTimeout(resolve, validUntil * 1000 - Date.now() + 50));
    const late = await call(path, { headers: { Authorization: token.authorization } });
    expect(late.status).toBe(402);
    expect(((await late.json()) as { reason: string }).reason).toBe("expired");
  });
});

describe("warm verification through the Worker cannot be abused", () => {
  it("a token whose key is then removed from the keyring is refused on the next request", async () => {
    const [oldKey, newKey] = ["21".repeat(32), "22".repeat(32)];
    // One env object per configuration, as an isolate has: the second use is a warm one.
    const before = { ...env, L402_MASTER_KEYS: oldKey };
    const token = await payChallenge(await callWithEnv(before, "/api/rotate"));
    for (let i = 0; i < 2; i++) expect((await callWithEnv(before, "/api/rotate", { headers: { Authorization: token.authorization } })).status).toBe(200);
    const rotated = await callWith({ L402_MASTER_KEYS: `${newKey},${oldKey}` }, "/api/rotate", { headers: { Authorization: token.authorization } });
    expect(rotated.status).toBe(200);
    const removed = await callWith({ L402_MASTER_KEYS: newKey }, "/api/rotate", { headers: { Authorization: token.authorization } });
    expect(removed.status).toBe(402);
    expect(((await removed.json()) as { reason: string }).reason).toBe("unknown_key");
  });

  it("an expired token is refused even though it was proven before", async () => {
    // The Worker's clock held still from the purchase to the first use: a token of one second, minted near a second's end, would expire between them.
    await withHeldClock(async (advance) => {
      const token = await buyToken(uniquePath("/short/warm"));
      expect((await call("/short/warm", { headers: { Authorization: token.authorization } })).status).toBe(200);
      const minted = decodeMacaroon(token.macaroon).caveats.map((c) => new TextDecoder().decode(c.id));
      advance(Number(minted.find((c) => c.startsWith("short_valid_until="))?.split("=")[1]) * 1000 - Date.now());
      const late = await call("/short/warm", { headers: { Authorization: token.authorization } });
      expect(late.status).toBe(402);
      expect(((await late.json()) as { reason: string }).reason).toBe("expired");
    });
  });

  it("the same macaroon with another preimage is refused after the real one was proven", async () => {
    const token = await buyToken(uniquePath("/api/warm"));
    expect((await call("/api/warm", { headers: { Authorization: token.authorization } })).status).toBe(200);
    const forged = await call("/api/warm", { headers: { Authorization: `L402 ${token.macaroonBase64}:${"cd".repeat(32)}` } });
    expect(forged.status).toBe(402);
    expect(((await forged.json()) as { reason: string }).reason).toBe("wrong_preimage");
  });
});
