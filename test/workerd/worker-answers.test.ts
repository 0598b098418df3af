import { describe, expect, it } from "vitest";
import { decodeMacaroon } from "../../src/macaroon/index.ts";
import { fromBase64Lenient, parseChallenge } from "../../src/l402/index.ts";
import { env } from "cloudflare:test";
import { buyToken, call, callWith, callWithEnv, originHits, originUrl, payChallenge, uniquePath } from "./support/paywall-client.ts";

describe("the 402 challenge", () => {
  it("L402 and LSAT challenges, L402 first; no-store; CORS exposes the header; JSON with the same data", async () => {
    // The bytes on the wire (one joined line) are checked in test/node/worker-wire.test.ts.
    const response = await call(uniquePath("/api/shape"), { headers: { Origin: "https://app.example" } });
    expect(response.status).toBe(402);
    const lines = response.headers.get("www-authenticate")?.split(/, (?=LSAT )/) ?? [];
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^L402 macaroon="[A-Za-z0-9+/]+={0,2}", invoice="lnbcrt100n1[a-z0-9]+"$/);
    expect(lines[1]).toBe(lines[0]?.replace(/^L402/, "LSAT"));
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(response.headers.get("access-control-expose-headers")).toContain("WWW-Authenticate");
    const body = (await response.json()) as Record<string, unknown>;
    const challenge = parseChallenge(response.headers.get("www-authenticate") ?? "");
    if (!challenge.ok) throw new Error(challenge.detail);
    expect(body).toMatchObject({ reason: "missing", detail: "payment required", service: "api", price_sats: 10, price_msat: "10000", invoice: challenge.value.invoice });
    expect(fromBase64Lenient(body["macaroon"] as string)).toEqual(challenge.value.macaroon);
    expect(body["payment_hash"]).toMatch(/^[0-9a-f]{64}$/);
    expect(body["expires_at"]).toBeGreaterThan(Date.now() / 1000 + 500);
    const caveats = decodeMacaroon(challenge.value.macaroon).caveats.map((c) => new TextDecoder().decode(c.id));
    expect(caveats[0]).toBe("services=api:0");
    expect(caveats[1]).toBe("api_capabilities=read,write");
    expect(caveats[2]).toMatch(/^api_valid_until=\d+$/);
  });

  it("prices in msat are charged exactly", async () => {
    const body = (await (await call(uniquePath("/other/msat"))).json()) as Record<string, unknown>;
    expect(body).toMatchObject({ price_sats: 1.5, price_msat: "1500" });
    expect(body["invoice"]).toMatch(/^lnbcrt15n1/);
  });

  it("a browser gets a readable page with the price, and, the service sold to programs, no invoice to pay", async () => {
    const response = await call(uniquePath("/api/page"), { headers: { Accept: "text/html,application/xhtml+xml,*/*;q=0.8" } });
    expect(response.status).toBe(402);
    expect(response.headers.get("content-type")?.toLowerCase()).toBe("text/html; charset=utf-8");
    expect(response.headers.get("www-authenticate")).toMatch(/^L402 /);
    const page = await response.text();
    expect(page).toContain('<p class="price">10 sats</p>');
    expect(page).toContain('<p class="terms">Access for 1 hour.</p>');
    expect(page).toContain('<p class="status" id="status">Sold to programs and agents: it cannot be bought in a browser.</p>');
    // A person paying here would get nothing: the token is in the header, which the page does not show.
    expect(page).not.toMatch(/lnbcrt|<svg|href="lightning:/);
    // Inline style and script run under this response's nonce only; nothing is loaded from elsewhere.
    const nonce = /script-src 'nonce-([\w-]{22})'/.exec(response.headers.get("content-security-policy") ?? "")?.[1];
    expect(nonce).toBeDefined();
    expect(response.headers.get("content-security-policy")).toMatch(/^default-src 'none';/);
    expect(page.match(/<script[^>]*>/g)).toEqual([`<script nonce="${nonce}">`]);
    expect(page.match(/<style[^>]*>/g)).toEqual([`<style nonce="${nonce}">`]);
    expect(page).not.toMatch(/\b(?:src|href)="(?:https?:)?\/\//);
    expect(page).toContain('data-mode="programs"');
    expect(page).not.toContain("data-macaroon");
  });

  it("every 402 page has its own nonce", async () => {
    const policies = await Promise.all(
      [1, 2, 3].map(async () => {
        const response = await call(uniquePath("/api/page"), { headers: { Accept: "text/html" } });
        await response.body?.cancel();
        return response.headers.get("content-security-policy");
      }),
    );
    expect(new Set(policies).size).toBe(3);
  });

  it.each([
    ["text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/html"],
    ["application/json", "application/json"],
    ["*/*", "application/json"],
    ["application/json, text/html", "application/json"],
    ["text/html;q=0.5, application/json", "application/json"],
    [undefined, "application/json"],
  ])("Accept %s gets a %s 402", async (accept, type) => {
    const response = await call(uniquePath("/api/negotiate"), accept === undefined ? {} : { headers: { Accept: accept } });
    expect(response.status).toBe(402);
    expect(response.headers.get("content-type")).toMatch(new RegExp(`^${type}`));
    await response.body?.cancel();
  });

  it("gRPC clients get HTTP 200 with grpc-status 13 'payment required' and the challenge headers", async () => {
    const response = await call(uniquePath("/api/pkg.Service/Method"), { method: "POST", headers: { "Content-Type": "application/grpc+proto" }, body: new Uint8Array(5) });
    expect(response.status).toBe(200);
    expect(response.headers.get("grpc-status")).toBe("13");
    expect(response.headers.get("grpc-message")).toBe("payment required");
    expect(response.headers.get("content-type")).toBe("application/grpc");
    expect(response.headers.get("www-authenticate")).toMatch(/^L402 /);
  });

  it("a CORS preflight is answered at the edge, allowing Authorization", async () => {
    const path = uniquePath("/api/cors");
    const response = await call(path, {
      method: "OPTIONS",
      headers: { Origin: "https://app.example", "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization" },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe("https://app.example");
    expect(response.headers.get("access-control-allow-headers")).toBe("authorization");
    expect(await originHits(path.slice(4))).toBe(0);
  });

  it("CORS is the same on every answer the paywall gives a browser: 402, 429, 503, 431, 400 and the forwarded answer", async () => {
    const origin = { Origin: "https://app.example" };
    const token = await buyToken(uniquePath("/api/cors-all"));
    const answers = {
      402: await call(uniquePath("/api/cors"), { headers: origin }),
      429: await callWithEnv({ ...env, L402_MINT_LIMITER: { limit: async () => ({ success: false }) } }, uniquePath("/api/cors"), { headers: origin }),
      503: await callWith({ LND_REST_URL: "http://127.0.0.1:9", L402_BREAKER_THRESHOLD: "1000" }, uniquePath("/api/cors"), { headers: origin }),
      431: await call(uniquePath("/api/cors"), { headers: { ...origin, Authorization: `L402 ${"A".repeat(9000)}:${"0".repeat(64)}` } }),
      400: await call("/api;/cors", { headers: origin }),
      200: await call(uniquePath("/api/cors"), { headers: { ...origin, Authorization: token.authorization } }),
    };
    for (const [status, response] of Object.entries(answers)) {
      expect(response.status, status).toBe(Number(status));
      expect(response.headers.get("access-control-allow-origin"), status).toBe("https://app.example");
      expect(response.headers.get("access-control-expose-headers"), status).toBe("WWW-Authenticate,Retry-After,X-L402-Remaining,X-L402-Balance,X-L402-Freebies-Remaining,Payment-Receipt,PAYMENT-REQUIRED,PAYMENT-RESPONSE,Link,X-L402-Notice");
      await response.body?.cancel();
    }
  });

  it("CORS is a service's: a request matching none gets no CORS header, forwarded or refused, and its OPTIONS is no preflight answered at the edge", async () => {
    const origin = { Origin: "https://app.example" };
    const path = uniquePath("/unsold");
    const answers = {
      forwarded: await callWith({ L402_UNMATCHED: "pass" }, `${originUrl()}${path}`, { headers: origin }),
      refused: await call(path, { headers: origin }),
      options: await callWith({ L402_UNMATCHED: "pass" }, `${originUrl()}${path}`, { method: "OPTIONS", headers: { ...origin, "Access-Control-Request-Method": "GET" } }),
    };
    expect(answers.forwarded.status).toBe(200);
    expect(answers.refused.status).toBe(404);
    expect(answers.options.status).toBe(200);
    for (const [name, response] of Object.entries(answers)) {
      expect(response.headers.get("access-control-allow-origin"), name).toBeNull();
      await response.body?.cancel();
    }
    expect(await originHits(path)).toBe(2);
  });

  it("an OPTIONS without Origin is no browser's: a request like any other, 402; with Origin, answered at the edge; neither reaches the origin", async () => {
    const path = uniquePath("/api/options");
    for (const headers of [{ "Access-Control-Request-Method": "GET" }, {}]) {
      const response = await call(path, { method: "OPTIONS", headers });
      expect(response.status, JSON.stringify(headers)).toBe(402);
      await response.body?.cancel();
    }
    const browser = await call(path, { method: "OPTIONS", headers: { Origin: "https://app.example" } });
    expect(browser.status).toBe(204);
    expect(browser.headers.get("access-control-allow-origin")).toBe("https://app.example");
    expect(await originHits(path.slice(4))).toBe(0);
  });

  it("a paid answer is readable by the browser that asked", async () => {
    const token = await buyToken(uniquePath("/api/cors-paid"));
    const response = await call("/api/cors-read", { headers: { Authorization: token.authorization, Origin: "https://app.example" } });
    expect(response.status).toBe(200);
    expect(response.headers.get("access-control-allow-origin")).toBe("https://app.example");
  });
});

describe("free traffic and the paywall's own headers", () => {
  it("free paths and services with auth off reach the origin without a token", async () => {
    for (const path of [uniquePath("/api/free"), uniquePath("/public/x")]) {
      const response = await call(path);
      expect(response.status).toBe(200);
      const echo = (await response.json()) as { headers: Record<string, string> };
      expect(echo.headers["x-l402-token-id"]).toBeUndefined();
    }
  });

  it("a client cannot forge the token id or the origin secret, in any spelling a CGI-style origin reads as them", async () => {
    const forged = { "X-L402-Token-Id": "f".repeat(64), "X-L402-Origin-Auth": "guess", X_L402_Token_Id: "e".repeat(64), "x_l402-origin_auth": "guess", X_L402_Token_Idx: "kept" };
    const response = await call(uniquePath("/public/forged"), { headers: forged });
    const echo = (await response.json()) as { headers: Record<string, string> };
    expect(echo.headers["x-l402-token-id"]).toBeUndefined();
    expect(echo.headers["x_l402_token_id"]).toBeUndefined();
    expect(echo.headers["x_l402-origin_auth"]).toBeUndefined();
    expect(echo.headers["x-l402-origin-auth"]).toBe("origin-shared-secret");
    // A name no gateway reads as one of them passes.
    expect(echo.headers["x_l402_token_idx"]).toBe("kept");
    // An operator's header named with `_`: its `-` spelling is taken off too.
    const underscored = await callWith({ L402_ORIGIN_AUTH_HEADER: "X_Origin_Secret" }, uniquePath("/public/forged"), { headers: { "X-Origin-Secret": "guess" } });
    const sent = ((await underscored.json()) as { headers: Record<string, string> }).headers;
    expect(sent["x-origin-secret"]).toBeUndefined();
    expect(sent["x_origin_secret"]).toBe("origin-shared-secret");
    // A service's own origin.headers likewise: the client's `X_Tier` would be read as the operator's `X-Tier`.
    const services = JSON.stringify([{ name: "tiered", match: ["/tiered/*"], auth: false, origin: { url: originUrl(), headers: { "X-Tier": "pro" } } }]);
    const tiered = await callWith({ L402_SERVICES: services }, uniquePath("/tiered/x"), { headers: { X_Tier: "free", "x-tier": "free" } });
    const told = ((await tiered.json()) as { headers: Record<string, string> }).headers;
    expect(told["x-tier"]).toBe("pro");
    expect(told["x_tier"]).toBeUndefined();
  });

  it("a client's host and URL overrides never reach the origin (it would route by another host or path than the paywall matched), in any spelling", async () => {
    const overrides = {
      "X-Forwarded-Host": "api.example.com",
      Forwarded: "host=api.example.com;proto=https",
      "X-Original-URL": "/api/paid",
      X_Rewrite_URL: "/api/paid",
      "X-Original-Host": "api.example.com",
      "X-Forwarded-Prefix": "/api",
      "X-Host": "api.example.com",
      "X-Forwarded-Proto": "https",
    };
    const response = await call(uniquePath("/public/overrides"), { headers: overrides });
    const echo = (await response.json()) as { headers: Record<string, string> };
    for (const name of ["x-forwarded-host", "forwarded", "x-original-url", "x_rewrite_url", "x-original-host", "x-forwarded-prefix", "x-host"]) expect(echo.headers[name], name).toBeUndefined();
    // What names no other host or path passes.
    expect(echo.headers["x-forwarded-proto"]).toBe("https");
  });

  it("a service may pass the credential on to the origin, as the reference does", async () => {
    const services = [{ name: "relay", match: ["/relay/*"], price_sats: 1, origin: { url: originUrl(), forward_authorization: true } }];
    const env = { L402_SERVICES: JSON.stringify(services) };
    const token = await payChallenge(await callWith(env, "/relay/x"));
    // The credential goes as the paywall read it; another spelling of one, never checked, does not.
    const response = await callWith(env, "/relay/x", { headers: { Authorization: token.authorization, Payment_Signature: "unchecked", Grpc_Metadata_Macaroon: "unchecked" } });
    const echo = (await response.json()) as { headers: Record<string, string> };
    expect(echo.headers["authorization"]).toBe(token.authorization);
    expect(Object.values(echo.headers)).not.toContain("unchecked");
    expect(echo.headers["x-l402-token-id"]).toMatch(/^[0-9a-f]{64}$/);
  });

  it("what a token has left is the paywall's word: an origin's own X-L402-Balance, -Remaining and -Freebies-Remaining are taken out", async () => {
    // A client believes these: one whose pending top-up's answer reports a balance takes the top-up as credited.
    const forged = ["X-L402-Balance:999999999", "X-L402-Remaining:999", "X-L402-Freebies-Remaining:999"].map((pair) => `answer_header=${encodeURIComponent(pair)}`).join("&");
    const token = await buyToken(uniquePath("/api/forged"));
    const paid = await call(`${uniquePath("/api/forged")}?${forged}`, { headers: { Authorization: token.authorization } });
    const free = await call(`${uniquePath("/public/forged")}?${forged}`);
    const freebie = await call(`${uniquePath("/trial/forged")}?${forged}`, { headers: { "CF-Connecting-IP": "203.0.113.78" } });
    for (const response of [paid, free, freebie]) {
      expect(response.status).toBe(200);
      expect(response.headers.get("x-l402-balance")).toBeNull();
      expect(response.headers.get("x-l402-remaining")).toBeNull();
      await response.body?.cancel();
    }
    expect(paid.headers.get("x-l402-freebies-remaining")).toBeNull();
    expect(free.headers.get("x-l402-freebies-remaining")).toBeNull();
    // The free allowance's count is the paywall's own, set after the origin's is taken out.
    expect(freebie.headers.get("x-l402-freebies-remaining")).toMatch(/^\d{1,2}$/);
  });

  it("a path that matches no service gets 404 (the configured default)", async () => {
    const response = await call("/nowhere");
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ reason: "no_service" });
  });
});

describe("paid answers stay out of shared caches", () => {
  const answerHeaders = (...pairs: string[]) => pairs.map((pair) => `answer_header=${encodeURIComponent(pair)}`).join("&");

  it.each([
    ["public, max-age=600", "private, max-age=600"],
    ["max-age=600", "private, max-age=600"],
    ["s-maxage=600, max-age=60", "private, max-age=60"],
    ['private="Set-Cookie", max-age=60', "private, max-age=60"],
    ["no-store", "private, no-store"],
    ["PUBLIC,MAX-AGE=5", "private, MAX-AGE=5"],
  ])("an origin's Cache-Control %j on a paid answer leaves as %j, its CDN-only cache headers dropped", async (origin, sent) => {
    const token = await buyToken(uniquePath("/api/cached"));
    const path = `${uniquePath("/api/cached")}?${answerHeaders(`Cache-Control:${origin}`, "CDN-Cache-Control:max-age=600", "Surrogate-Control:max-age=600")}`;
    const response = await call(path, { headers: { Authorization: token.authorization } });
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe(sent);
    expect(response.headers.get("cdn-cache-control")).toBeNull();
    expect(response.headers.get("surrogate-control")).toBeNull();
    await response.body?.cancel();
  });

  // Review of issue 18 (item 5): nginx's proxy_cache takes X-Accel-Expires before Cache-Control (private included), as a CDN takes CDN-Cache-Control.
  it("an origin's X-Accel-Expires (nginx's shared-cache lifetime, over Cache-Control) is dropped from a paid answer", async () => {
    const token = await buyToken(uniquePath("/api/cached"));
    const path = `${uniquePath("/api/cached")}?${answerHeaders("Cache-Control:max-age=600", "X-Accel-Expires:600")}`;
    const response = await call(path, { headers: { Authorization: token.authorization } });
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("private, max-age=600");
    expect(response.headers.get("x-accel-expires")).toBeNull();
    await response.body?.cancel();
  });

  it("an answer without Cache-Control gets private; so does a free allowance's; a free path's is the origin's own", async () => {
    const token = await buyToken(uniquePath("/api/cached"));
    const paid = await call(uniquePath("/api/plain-cache"), { headers: { Authorization: token.authorization } });
    expect(paid.headers.get("cache-control")).toBe("private");
    await paid.body?.cancel();
    const freebie = await call(`${uniquePath("/trial/cached")}?${answerHeaders("Cache-Control:public, max-age=600")}`, { headers: { "CF-Connecting-IP": "203.0.113.77" } });
    expect(freebie.headers.get("x-l402-freebies-remaining")).not.toBeNull();
    expect(freebie.headers.get("cache-control")).toBe("private, max-age=600");
    await freebie.body?.cancel();
    const free = await call(`${uniquePath("/public/cached")}?${answerHeaders("Cache-Control:public, max-age=600")}`);
    expect(free.headers.get("cache-control")).toBe("public, max-age=600");
    await free.body?.cancel();
  });
});
