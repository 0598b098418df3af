import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { requestPricer } from "../../src/paywall/pricing.ts";
import { claimedOf, requestOf, serviceOf } from "./support/usage-services.ts";

/**
 * What a request costs (paywall/pricing.ts): rules, then the pricer or the
 * app's price function, then the service's price. The pricer is a real HTTP
 * server on loopback answering as each test tells it to.
 */
interface Asked {
  readonly method: string;
  readonly headers: IncomingMessage["headers"];
  readonly body: unknown;
}
let server: Server;
let url: string;
let asked: Asked[] = [];
let answer: (response: ServerResponse) => void = () => undefined;

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      asked.push({ method: request.method ?? "", headers: request.headers, body: JSON.parse(Buffer.concat(chunks).toString("utf8")) });
      answer(response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/price?secret=in-the-url`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});
beforeEach(() => {
  asked = [];
  answer = json({ price_msat: "1234" });
});

const json = (body: unknown, status = 200) => (response: ServerResponse) => {
  response.writeHead(status, { "Content-Type": "application/json" });
  response.end(JSON.stringify(body));
};
const pricerService = (extra: Record<string, unknown> = {}) => serviceOf({ name: "chat", price_sats: 1, pricer: { url, headers: ["X-Model"], ...extra } });

async function priceOf(pricer: ReturnType<typeof requestPricer>, service: ReturnType<typeof serviceOf>, target = "https://api.example/v1/chat?b=2&a=1", init: RequestInit = {}, now = 1_800_000_000) {
  const request = requestOf(target, init, now);
  return pricer.priceOf(service, request, claimedOf(request, service));
}

describe("the pricer's question", () => {
  it("is the request as the origin gets it, as JSON, with the headers it asked for and no credential", async () => {
    const priced = await priceOf(requestPricer(), pricerService(), "https://api.example/v1//chat/./x?b=2&a=1&a=0", {
      method: "POST",
      body: "hello",
      headers: { "Content-Type": "text/plain", "Content-Length": "5", "X-Model": "big", Authorization: "L402 secret:secret", Cookie: "a=b" },
    });
    expect(priced).toEqual({ ok: true, value: 1234n });
    expect(asked).toHaveLength(1);
    expect(asked[0]?.method).toBe("POST");
    expect(asked[0]?.headers).toMatchObject({ "content-type": "application/json", accept: "application/json" });
    expect(asked[0]?.body).toEqual({
      service: "chat",
      method: "POST",
      methods: ["POST"],
      any_method: false,
      parameter_body: false,
      path: "/v1/chat/x",
      query: { b: ["2"], a: ["1", "0"] },
      query_string: "b=2&a=1&a=0",
      content_length: 5,
      headers: { "x-model": "big" },
    });
    expect(JSON.stringify(asked[0])).not.toContain("secret:secret");
  });

  it("names every method the origin may carry the request out as, though the override header is not among those sent, and the query as sent", async () => {
    await priceOf(requestPricer(), pricerService(), "https://api.example/v1/chat?a=1;size=large&_method=put", {
      method: "POST",
      body: "a=1",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "X-HTTP-Method-Override": "DELETE" },
    });
    expect(asked[0]?.body).toMatchObject({ method: "POST", methods: ["POST", "DELETE", "PUT"], any_method: true, parameter_body: true, query_string: "a=1;size=large&_method=put", headers: {} });
  });

  it("names the methods in upper case, as frameworks read them, though the method was sent in lower case (the method as sent beside them)", async () => {
    await priceOf(requestPricer(), pricerService(), "https://api.example/v1/chat", { method: "patch", body: "a", headers: { "Content-Type": "text/plain" } });
    expect(asked[0]?.body).toMatchObject({ method: "patch", methods: ["PATCH"] });
  });

  it("says a body may give query parameters other values (a form, JSON) even where the origin takes no method override", async () => {
    const service = pricerService({});
    const noOverride = serviceOf({ name: "chat", price_sats: 1, method_override: false, pricer: { url, headers: ["X-Model"] } });
    const form = { method: "POST", body: "size=large", headers: { "Content-Type": "application/x-www-form-urlencoded", "Content-Length": "10" } };
    await priceOf(requestPricer(), noOverride, "https://api.example/v1/chat?size=small", form);
    await priceOf(requestPricer(), service, "https://api.example/v1/chat?size=small", { ...form, headers: { "Content-Type": "application/octet-stream", "Content-Length": "10" } });
    // An encoded body's length is not what the origin reads (it inflates it): not known.
    await priceOf(requestPricer(), service, "https://api.example/v1/chat?size=small", { ...form, headers: { "Content-Type": "application/octet-stream", "Content-Length": "10", "Content-Encoding": "gzip" } });
    expect(asked.map(({ body }) => body)).toMatchObject([
      { any_method: false, parameter_body: true, content_length: 10 },
      { any_method: false, parameter_body: false, content_length: 10 },
      { any_method: false, parameter_body: false, content_length: null },
    ]);
  });

  it("a query parameter of any name, `constructor` and `__proto__` among them, is a name like another", async () => {
    const priced = await priceOf(requestPricer(), pricerService(), "https://api.example/v1/chat?constructor=1&__proto__=2&toString=3&__proto__=4");
    expect(priced).toEqual({ ok: true, value: 1234n });
    expect((asked[0]?.body as { query: unknown }).query).toEqual(JSON.parse('{"constructor":["1"],"__proto__":["2","4"],"toString":["3"]}'));
  });

  it("a header it prices by sent twice reaches it as the origin's Headers read it, joined with a comma (a value no pricer should take for one it knows)", async () => {
    const headers = new Headers([["X-Model", "small"], ["X-Model", "big"]]);
    expect(await priceOf(requestPricer(), pricerService(), "https://api.example/v1/chat", { headers })).toEqual({ ok: true, value: 1234n });
    expect((asked[0]?.body as { headers: unknown }).headers).toEqual({ "x-model": "small, big" });
  });
});

describe("the pricer's answer", () => {
  it.each([
    [{ price_msat: "1234" }, 1234n],
    [{ price_msat: 1234 }, 1234n],
    [{ price_sats: 12 }, 12_000n],
    [{ price_sats: "12" }, 12_000n],
    [{ price_msat: "2100000000000000000" }, 2_100_000_000_000_000_000n],
  ])("%j → %s msat", async (body, msat) => {
    answer = json(body);
    expect(await priceOf(requestPricer(), pricerService())).toEqual({ ok: true, value: msat });
  });

  it.each([
    [{ price_msat: "0" }],
    [{ price_msat: 0 }],
    [{ price_msat: -5 }],
    [{ price_msat: "-5" }],
    [{ price_sats: 1.5 }],
    [{ price_msat: "12abc" }],
    [{ price_msat: " 12" }],
    [{ price_msat: "2100000000000000001" }],
    [{ price_sats: "2100000000000001" }],
    [{ price_msat: 1e21 }],
    [{ price_msat: "1", price_sats: 1 }],
    [{}],
    [{ price: 5 }],
    [null],
    [[1]],
    ["1234"],
    [1234],
  ])("%j → 500 pricer_invalid, never free", async (body) => {
    answer = json(body);
    expect(await priceOf(requestPricer(), pricerService())).toMatchObject({ ok: false, reason: "pricer_invalid" });
  });

  it.each([
    ["a 500", json({ price_msat: "1" }, 500)],
    ["a 404", json({ price_msat: "1" }, 404)],
    ["HTML", (response: ServerResponse) => response.writeHead(200, { "Content-Type": "text/html" }).end("<p>hi</p>")],
    ["an empty body", (response: ServerResponse) => response.writeHead(200).end()],
    ["a cut connection", (response: ServerResponse) => response.socket?.destroy()],
  ])("%s → 503 pricer_unavailable", async (_name, given) => {
    answer = given;
    const priced = await priceOf(requestPricer(), pricerService());
    expect(priced).toMatchObject({ ok: false, reason: "pricer_unavailable" });
    // Neither the URL's query (it may hold a key) nor its address is in what the paywall says.
    expect(priced.ok ? "" : priced.detail).not.toContain("secret");
    expect(priced.ok ? "" : priced.detail).not.toContain("127.0.0.1");
  });

  // A pricer is asked at its own address only: a redirect would take the question (the request's
  // path, query and headers) to wherever it points.
  it("a redirect is not followed → 503 pricer_unavailable", async () => {
    answer = (response) => {
      answer = json({ price_msat: "1" });
      response.writeHead(307, { Location: "/elsewhere" }).end();
    };
    expect(await priceOf(requestPricer(), pricerService())).toMatchObject({ ok: false, reason: "pricer_unavailable" });
    expect(asked).toHaveLength(1);
  });

  it("no answer within 2 s, or an answer whose body stalls → 503 pricer_unavailable", async () => {
    answer = () => undefined;
    expect(await priceOf(requestPricer(), pricerService())).toMatchObject({ ok: false, reason: "pricer_unavailable" });
    answer = (response) => {
      response.writeHead(200, { "Content-Type": "application/json" });
      response.write('{"price_msat":');
    };
    expect(await priceOf(requestPricer(), pricerService())).toMatchObject({ ok: false, reason: "pricer_unavailable" });
  });

  it("a pricer whose fetch does not heed the abort signal (a Service Binding may not) → 503 after 2 s, for the request that asked and one that joined it", async () => {
    const service = pricerService();
    const { pricer } = service.pricing;
    if (pricer === undefined) throw new Error("the service has a pricer");
    const deaf = { ...service, pricing: { ...service.pricing, pricer: { ...pricer, fetch: () => new Promise<Response>(() => undefined) } } };
    vi.useFakeTimers();
    try {
      const prices = requestPricer();
      const first = priceOf(prices, deaf);
      await vi.advanceTimersByTimeAsync(1000);
      const joined = priceOf(prices, deaf);
      await vi.advanceTimersByTimeAsync(999);
      const pending = Symbol("pending");
      expect(await Promise.race([first, Promise.resolve(pending)])).toBe(pending);
      await vi.advanceTimersByTimeAsync(1);
      for (const price of [first, joined]) expect(await Promise.race([price, Promise.resolve(pending)])).toMatchObject({ ok: false, reason: "pricer_unavailable" });
    } finally {
      vi.useRealTimers();
    }
  });

  it("a pricer that is not there → 503 pricer_unavailable", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const service = serviceOf({ name: "chat", price_sats: 1, pricer: { url: `http://127.0.0.1:${port}/` } });
    expect(await priceOf(requestPricer(), service)).toMatchObject({ ok: false, reason: "pricer_unavailable" });
  });
});

describe("answers kept per isolate", () => {
  it("for cache_seconds, keyed by the whole question", async () => {
    const pricer = requestPricer();
    const service = pricerService({ cache_seconds: 60 });
    const now = 1_800_000_000;
    expect(await priceOf(pricer, service, "https://api.example/v1/chat?a=1", {}, now)).toEqual({ ok: true, value: 1234n });
    answer = json({ price_msat: "999" });
    expect(await priceOf(pricer, service, "https://api.example/v1/chat?a=1", {}, now + 59)).toEqual({ ok: true, value: 1234n });
    expect(asked).toHaveLength(1);
    expect(await priceOf(pricer, service, "https://api.example/v1/chat?a=2", {}, now)).toEqual({ ok: true, value: 999n });
    expect(await priceOf(pricer, service, "https://api.example/v1/chat?a=1", { headers: { "X-Model": "big" } }, now)).toEqual({ ok: true, value: 999n });
    expect(await priceOf(pricer, service, "https://api.example/v1/chat?a=1", { headers: { "X-Other": "ignored" } }, now)).toEqual({ ok: true, value: 1234n });
    expect(await priceOf(pricer, service, "https://api.example/v1/chat?a=1", {}, now + 60)).toEqual({ ok: true, value: 999n });
    expect(asked).toHaveLength(4);
  });

  it("not for a question longer than 4,096 characters (the whole request as JSON: kept, a thousand of them would fill an isolate)", async () => {
    const pricer = requestPricer();
    const service = pricerService({ cache_seconds: 60 });
    const long = `https://api.example/v1/chat?q=${"%01".repeat(1400)}`;
    await priceOf(pricer, service, long);
    await priceOf(pricer, service, long);
    expect(asked).toHaveLength(2);
    const short = `https://api.example/v1/chat?q=${"%01".repeat(300)}`;
    await priceOf(pricer, service, short);
    await priceOf(pricer, service, short);
    expect(asked).toHaveLength(3);
  });

  it("the newest 1,000 answers: one asked again once expired is the newest, and the oldest goes first", async () => {
    const service = pricerService({ cache_seconds: 60 });
    const { pricer } = service.pricing;
    if (pricer === undefined) throw new Error("the service has a pricer");
    const questions: string[] = [];
    const counted = { ...service, pricing: { ...service.pricing, pricer: { ...pricer, fetch: async (request: Request) => (questions.push(await request.text()), Response.json({ price_msat: "5" })) } } };
    const prices = requestPricer();
    const now = 1_800_000_000;
    const at = (n: number) => `https://api.example/v1/chat?n=${n}`;
    for (let n = 0; n < 1000; n++) await priceOf(prices, counted, at(n), {}, now);
    // The sixth, expired, is asked again: the newest now. Six more questions push out the six oldest: the first five and the seventh.
    await priceOf(prices, counted, at(5), {}, now + 60);
    for (let n = 1000; n < 1006; n++) await priceOf(prices, counted, at(n), {}, now + 60);
    expect(questions).toHaveLength(1007);
    await priceOf(prices, counted, at(5), {}, now + 61);
    expect(questions).toHaveLength(1007);
    // Asked as of a moment before they expire: the eighth is kept, the seventh asked anew.
    await priceOf(prices, counted, at(7), {}, now + 30);
    expect(questions).toHaveLength(1007);
    await priceOf(prices, counted, at(6), {}, now + 30);
    expect(questions).toHaveLength(1008);
  });

  it("not at all without cache_seconds; a failure never", async () => {
    const pricer = requestPricer();
    await priceOf(pricer, pricerService());
    await priceOf(pricer, pricerService());
    expect(asked).toHaveLength(2);
    answer = json({}, 500);
    const cached = pricerService({ cache_seconds: 60 });
    expect(await priceOf(pricer, cached)).toMatchObject({ ok: false });
    answer = json({ price_msat: "7" });
    expect(await priceOf(pricer, cached)).toEqual({ ok: true, value: 7n });
    expect(asked).toHaveLength(4);
  });

  it("the same question asked at once is asked of the pricer once", async () => {
    const pending: ServerResponse[] = [];
    answer = (response) => {
      pending.push(response);
      if (pending.length === 1) setTimeout(() => pending.forEach(json({ price_msat: "55" })), 100);
    };
    const pricer = requestPricer();
    const prices = await Promise.all(Array.from({ length: 10 }, () => priceOf(pricer, pricerService())));
    expect(prices.every((price) => price.ok && price.value === 55n)).toBe(true);
    expect(asked).toHaveLength(1);
  });
});

describe("rules, then the pricer or the price function, then the service's price", () => {
  it("a rule that prices every method the request may be carried out as: the pricer is not asked", async () => {
    const service = serviceOf({ name: "chat", price_sats: 1, pricer: { url }, price_rules: [{ path: "/v1/free-form", price_sats: 3 }] });
    expect(await priceOf(requestPricer(), service, "https://api.example/v1/free-form")).toEqual({ ok: true, value: 3000n });
    expect(asked).toHaveLength(0);
    expect(await priceOf(requestPricer(), service, "https://api.example/v1/other")).toEqual({ ok: true, value: 1234n });
  });

  it("a method no rule prices is asked of the pricer, and the dearer of the two is the price", async () => {
    const service = serviceOf({ name: "chat", price_sats: 1, pricer: { url }, price_rules: [{ methods: ["GET"], price_sats: 3 }] });
    const claimingPost = { method: "GET", headers: { "X-HTTP-Method-Override": "POST" } };
    expect(await priceOf(requestPricer(), service, "https://api.example/v1/x", claimingPost)).toEqual({ ok: true, value: 3000n });
    answer = json({ price_sats: 8 });
    expect(await priceOf(requestPricer(), service, "https://api.example/v1/x", claimingPost)).toEqual({ ok: true, value: 8000n });
  });

  it("a header the price depends on (a rule's or the pricer's), also sent spelled with `_` for `-` or the reverse: 400 ambiguous_price, no one asked (PHP, Django and WSGI read both as one)", async () => {
    const ruled = serviceOf({ name: "chat", price_sats: 1, price_rules: [{ headers: { "X-Model": "big" }, price_sats: 50 }] });
    const withPricer = pricerService();
    const underscored = serviceOf({ name: "chat", price_sats: 1, price_rules: [{ headers: { X_Model: "big" }, price_sats: 50 }] });
    const cases: [ReturnType<typeof serviceOf>, Record<string, string>][] = [
      [ruled, { X_Model: "big" }],
      [ruled, { "X-Model": "small", X_Model: "big" }],
      [ruled, { "x_model": "big" }],
      [withPricer, { X_Model: "big" }],
      [underscored, { "X-Model": "big" }],
    ];
    for (const [service, headers] of cases) {
      expect(await priceOf(requestPricer(), service, "https://api.example/v1/chat", { headers }), JSON.stringify(headers)).toMatchObject({ ok: false, reason: "ambiguous_price", detail: expect.stringMatching(/^the header "x[-_]model" decides the price and is also sent as "x[-_]model"/) });
    }
    expect(asked).toHaveLength(0);
    expect(await priceOf(requestPricer(), ruled, "https://api.example/v1/chat", { headers: { "X-Model": "big", X_Other: "1" } })).toEqual({ ok: true, value: 50000n });
    expect(await priceOf(requestPricer(), underscored, "https://api.example/v1/chat", { headers: { X_Model: "big" } })).toEqual({ ok: true, value: 50000n });
  });

  it("a service not priced by request costs its price, and asks no one", async () => {
    expect(await priceOf(requestPricer(), serviceOf({ name: "s", price_msat: 1500 }))).toEqual({ ok: true, value: 1500n });
    expect(asked).toHaveLength(0);
  });

  it("the app's price function is given the canonical request; what it answers is checked like a pricer's", async () => {
    const seen: string[] = [];
    const answering = (given: unknown) => serviceOf({ name: "s", price: (request: { method: string; url: URL; headers: Headers }) => {
      seen.push(`${request.method} ${request.url.pathname} ${request.headers.get("x-model")}`);
      return given as number;
    } });
    expect(await priceOf(requestPricer(), answering(2500), "https://api.example/a/../b", { headers: { "X-Model": "m" } })).toEqual({ ok: true, value: 2500n });
    expect(seen).toEqual(["GET /b m"]);
    expect(await priceOf(requestPricer(), answering(7n))).toEqual({ ok: true, value: 7n });
    expect(await priceOf(requestPricer(), answering(Promise.resolve(9)))).toEqual({ ok: true, value: 9n });
    for (const wrong of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 1e21, "100", null, 0n, -1n, 2_100_000_000_000_000_001n]) {
      expect(await priceOf(requestPricer(), answering(wrong))).toMatchObject({ ok: false, reason: "pricer_invalid" });
    }
    const throwing = serviceOf({ name: "s", price: () => { throw new Error("db down"); } });
    expect(await priceOf(requestPricer(), throwing)).toMatchObject({ ok: false, reason: "pricer_unavailable" });
    const rejecting = serviceOf({ name: "s", price: () => Promise.reject(new Error("db down")) });
    expect(await priceOf(requestPricer(), rejecting)).toMatchObject({ ok: false, reason: "pricer_unavailable" });
  });

  it("the app's price function is told the methods the origin may carry the request out as (it sees no body), and asked once", async () => {
    const asked: { methods: readonly string[]; anyMethod: boolean }[] = [];
    const byMethod = serviceOf({ name: "s", price: ({ methods, anyMethod }: { methods: readonly string[]; anyMethod: boolean }) => (asked.push({ methods, anyMethod }), anyMethod || methods.includes("DELETE") ? 10_000 : 100) });
    const url = "https://api.example/items/7";
    expect(await priceOf(requestPricer(), byMethod, url, { method: "POST", body: "note", headers: { "Content-Type": "text/plain" } })).toEqual({ ok: true, value: 100n });
    expect(await priceOf(requestPricer(), byMethod, url, { method: "POST", body: "note", headers: { "Content-Type": "text/plain", "X-HTTP-Method-Override": "DELETE" } })).toEqual({ ok: true, value: 10_000n });
    // A form's `_method` may claim any method.
    expect(await priceOf(requestPricer(), byMethod, url, { method: "POST", body: "_method=DELETE", headers: { "Content-Type": "application/x-www-form-urlencoded" } })).toEqual({ ok: true, value: 10_000n });
    // Sent in lower case (fetch keeps a PATCH as written), told in upper case.
    expect(await priceOf(requestPricer(), byMethod, url, { method: "patch", body: "note", headers: { "Content-Type": "text/plain" } })).toEqual({ ok: true, value: 100n });
    expect(asked).toEqual([
      { methods: ["POST"], anyMethod: false },
      { methods: ["POST", "DELETE"], anyMethod: false },
      { methods: ["POST"], anyMethod: true },
      { methods: ["PATCH"], anyMethod: false },
    ]);
  });

  it("a price function that never answers → 503 pricer_unavailable after 2 s, as a pricer", async () => {
    const stalled = serviceOf({ name: "s", price: () => new Promise<number>(() => undefined) });
    expect(await priceOf(requestPricer(), stalled)).toEqual({ ok: false, reason: "pricer_unavailable", detail: "the service's price function did not answer in time; retry shortly" });
  });
});
