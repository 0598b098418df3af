import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { parseChallenge } from "../../src/l402/index.ts";
import { readInvoice } from "../../src/lightning/index.ts";
import { callWithEnv, originHits, originUrl, payChallenge, uniquePath } from "./support/paywall-client.ts";

/**
 * Request-aware prices read as origins read requests, through the Worker: a
 * query parameter a rule prices by, spelt so one origin's parser reads it and
 * the paywall's would not, is priced as that origin reads it or refused; a
 * token bound to a request buys that query as sent, no other spelling of it.
 * The test origin echoes what it receives.
 */
const services = () => [
  { name: "bound", match: ["/bound/*"], price_sats: 1, bind_request: true, origin: { url: originUrl() } },
  { name: "sized", match: ["/sized/*"], price_sats: 1, price_rules: [{ query: { size: "large" }, price_sats: 5 }, { methods: ["DELETE"], price_sats: 50 }], origin: { url: originUrl() } },
  { name: "model", match: ["/model/*"], price_sats: 1, price_rules: [{ headers: { "X-Model": "big" }, price_sats: 20 }], origin: { url: originUrl() } },
];
let workerEnv: object | undefined;
const send = (path: string, init?: RequestInit) => callWithEnv((workerEnv ??= { ...env, L402_SERVICES: JSON.stringify(services()) }), path, init);

/** The amount of a 402's invoice (msat). */
function invoiced(response: Response): bigint | undefined {
  expect(response.status).toBe(402);
  const parsed = parseChallenge(response.headers.get("www-authenticate") ?? "");
  if (!parsed.ok) throw new Error("no L402 challenge");
  const invoice = readInvoice(parsed.value.invoice);
  return invoice.ok ? invoice.value.amountMsat : undefined;
}

describe("a priced query parameter, spelt as one origin reads it", () => {
  it("PHP cuts a name at %00: `size%00x=large` is its `size`, priced as large", async () => {
    expect(invoiced(await send(`${uniquePath("/sized/a")}?size%00x=large`))).toBe(5000n);
    const path = uniquePath("/sized/a");
    const twice = await send(`${path}?size=small&size%00=large`);
    expect(twice.status).toBe(400);
    expect(await twice.json()).toMatchObject({ reason: "ambiguous_price" });
    expect(await originHits(path)).toBe(0);
  });

  it("Rack 2 and Perl's CGI split at `;`: `a=1;size=large` is refused, not priced as small", async () => {
    const path = uniquePath("/sized/a");
    const split = await send(`${path}?a=1;size=large`);
    expect(split.status).toBe(400);
    expect(await split.json()).toMatchObject({ reason: "ambiguous_price" });
    expect(await originHits(path)).toBe(0);
  });

  it("PHP cuts `_method%00x` to `_method`: a POST claiming DELETE that way is priced as a DELETE", async () => {
    const post = { method: "POST", body: "x", headers: { "Content-Type": "text/plain" } };
    expect(invoiced(await send(`${uniquePath("/sized/a")}?_method%00x=DELETE`, post))).toBe(50_000n);
  });
});

describe("a priced header, or an override header, spelt with `_` for `-` (PHP, Django and WSGI read both as one)", () => {
  it("`X_Model: big` beside a rule on X-Model: 400 ambiguous_price, the origin never reached; with `X-Model: big` it is priced as big", async () => {
    const path = uniquePath("/model/a");
    const spelt = await send(path, { headers: { X_Model: "big" } });
    expect([spelt.status, await spelt.json()]).toEqual([400, expect.objectContaining({ reason: "ambiguous_price" })]);
    expect(await originHits(path)).toBe(0);
    expect(invoiced(await send(uniquePath("/model/a"), { headers: { "X-Model": "big" } }))).toBe(20_000n);
  });

  it("a POST with `X_HTTP_Method_Override: DELETE` is priced as the DELETE the origin may carry out", async () => {
    const post = { method: "POST", body: "x", headers: { "Content-Type": "text/plain", X_HTTP_Method_Override: "DELETE" } };
    expect(invoiced(await send(uniquePath("/sized/a"), post))).toBe(50_000n);
  });
});

describe("a token bound to its request, sent again with its query spelt another way", () => {
  const post = { method: "POST", body: "amount=5", headers: { "Content-Type": "text/plain" } };
  it.each([
    ["?to=alice&to=bob", "?to=bob&to=alice"],
    ["?to=%FF", "?to=%FE"],
    ["?to=a%3Bb=c", "?to=a;b=c"],
    ["?to", "?to="],
  ])("bought for %s, %s is request_mismatch; the query as sent passes", async (bought, other) => {
    const path = uniquePath("/bound/t");
    const token = await payChallenge(await send(`${path}${bought}`, post));
    const paid = { ...post, headers: { ...post.headers, Authorization: token.authorization } };
    const refused = await send(`${path}${other}`, paid);
    expect(refused.status).toBe(402);
    expect(await refused.json()).toMatchObject({ reason: "request_mismatch" });
    expect(await originHits(path)).toBe(0);
    const passed = await send(`${path}${bought}`, paid);
    expect(passed.status).toBe(200);
    expect(await passed.json()).toMatchObject({ query: bought });
  });
});

describe("a token bound to its request, sent again claiming another method", () => {
  it("a POST bought as such, sent with X-HTTP-Method-Override: DELETE, is request_mismatch; the POST as bought passes", async () => {
    const path = uniquePath("/bound/t");
    const post = { method: "POST", body: "amount=5", headers: { "Content-Type": "text/plain" } };
    const token = await payChallenge(await send(path, post));
    const refused = await send(path, { ...post, headers: { ...post.headers, Authorization: token.authorization, "X-HTTP-Method-Override": "DELETE" } });
    expect(refused.status).toBe(402);
    expect(await refused.json()).toMatchObject({ reason: "request_mismatch" });
    expect(await originHits(path)).toBe(0);
    expect((await send(path, { ...post, headers: { ...post.headers, Authorization: token.authorization } })).status).toBe(200);
  });
});
