import { describe, expect, it } from "vitest";
import { rulePrice } from "../../src/paywall/price-rules.ts";
import { claimedOf, requestOf, serviceOf } from "./support/usage-services.ts";

/**
 * A service's price rules (paywall/price-rules.ts), applied to requests read
 * as the paywall reads them: the request as its origin may read it, every
 * way of making it dearer priced, an ambiguous one refused.
 */
const IMAGES = [
  { methods: ["POST"], path: "/v1/images/:size", params: { size: "large" }, query: { quality: "hd" }, headers: { "x-model": "big" }, price_sats: 50 },
  { path: "/v1/images/:size", params: { size: "large" }, price_sats: 20 },
  { methods: ["DELETE"], path: "/v1/*", price_sats: 30 },
  { path: "/v1/upload", content_length: { min: 1000, max: 2000 }, price_sats: 7 },
  { path: "/v1/upload", content_length: { min: 2001 }, price_sats: 9 },
];
const images = serviceOf({ name: "img", price_sats: 1, price_rules: IMAGES });

function priceOf(url: string, init: RequestInit = {}, service = images) {
  const request = requestOf(`https://api.example${url}`, init);
  return rulePrice(service, request, claimedOf(request, service));
}
const matched = (url: string, init: RequestInit = {}, service = images) => {
  const priced = priceOf(url, init, service);
  if (!priced.ok) throw new Error(priced.detail);
  return priced.value;
};

describe("which rule prices a request", () => {
  it("none: the service's own price applies (unpriced)", () => {
    expect(rulePrice(serviceOf({ name: "s", price_sats: 1 }), requestOf("https://x.example/a"), { methods: ["GET"], anyMethod: false })).toEqual({ ok: true, value: { matchedMsat: undefined, unpriced: true } });
    expect(matched("/v1/images/small")).toEqual({ matchedMsat: undefined, unpriced: true });
  });

  it("the first rule whose every condition holds", () => {
    const dearest = { method: "POST", headers: { "X-Model": "big", "Content-Type": "text/plain" }, body: "x" };
    expect(matched("/v1/images/large?quality=hd", dearest)).toEqual({ matchedMsat: 50_000n, unpriced: false });
    expect(matched("/v1/images/large?quality=sd", dearest).matchedMsat).toBe(20_000n);
    expect(matched("/v1/images/large?quality=hd", { ...dearest, headers: { "X-Model": "small", "Content-Type": "text/plain" } }).matchedMsat).toBe(20_000n);
    expect(matched("/v1/images/large").matchedMsat).toBe(20_000n);
  });

  it("a path with or without its trailing slash, a parameter decoded from its escapes", () => {
    expect(matched("/v1/images/large/").matchedMsat).toBe(20_000n);
    expect(matched("/v1/images/%6Carge").matchedMsat).toBe(20_000n);
  });

  it("a service that ignores case ignores it in parameter values; one that does not, does not", () => {
    expect(matched("/v1/images/LARGE").matchedMsat).toBe(20_000n);
    const exact = serviceOf({ name: "img", price_sats: 1, match_case: true, price_rules: IMAGES });
    expect(matched("/v1/images/LARGE", {}, exact).matchedMsat).toBeUndefined();
    expect(matched("/v1/images/large", {}, exact).matchedMsat).toBe(20_000n);
  });

  // The origin reads a path parameter decoded; the rule names it decoded too.
  it("a parameter value that stays escaped in the path (a space, a letter beyond ASCII) matches its rule", () => {
    const service = serviceOf({ name: "s", price_sats: 1, price_rules: [{ path: "/t/:size", params: { size: "très grand" }, price_sats: 9 }] });
    expect(matched("/t/tr%C3%A8s%20grand", {}, service).matchedMsat).toBe(9_000n);
    expect(matched("/t/très grand", {}, service).matchedMsat).toBe(9_000n);
  });

  it("a path rule matches a path in another Unicode case or decomposed, as an origin comparing Unicode reads it (unicode-reading.ts)", () => {
    const service = serviceOf({ name: "s", price_sats: 1, price_rules: [{ path: "/café/*", price_sats: 9 }] });
    for (const path of ["/café/x", "/CAFÉ/x", "/cafe\u0301/x"]) expect(matched(path, {}, service).matchedMsat, path).toBe(9_000n);
  });

  it("a parameter value is compared composed and, where case is ignored, in one case (ς is σ, µ is μ), whichever way the rule writes it", () => {
    const service = serviceOf({ name: "s", price_sats: 1, price_rules: [{ path: "/items/:name", params: { name: "καφές" }, price_sats: 9 }, { path: "/sizes/:size", params: { size: "5µm" }, price_sats: 9 }] });
    for (const path of ["/items/καφές", "/items/καφέσ", "/items/ΚΑΦΈΣ", "/items/καφε\u0301ς", "/sizes/5μm", "/sizes/5Μm"]) expect(matched(path, {}, service).matchedMsat, path).toBe(9_000n);
    const decomposed = serviceOf({ name: "s", price_sats: 1, match_case: true, price_rules: [{ path: "/t/:name", params: { name: "cafe\u0301" }, price_sats: 9 }] });
    expect(matched("/t/café", {}, decomposed).matchedMsat).toBe(9_000n);
    expect(matched("/t/CAFÉ", {}, decomposed).matchedMsat).toBeUndefined();
  });

  it("a path meeting one rule as sent and another as read is priced by the dearer: an origin comparing bytes serves it as sent", () => {
    const service = serviceOf({ name: "s", price_sats: 1, price_rules: [{ path: "/café/*", price_sats: 1 }, { path: "/*", price_sats: 100 }] });
    for (const path of ["/CAFÉ/x", "/cafe\u0301/x"]) expect(matched(path, {}, service).matchedMsat, path).toBe(100_000n);
    expect(matched("/café/x", {}, service).matchedMsat).toBe(1_000n);
    const dearFirst = serviceOf({ name: "s", price_sats: 1, price_rules: [{ path: "/café/*", price_sats: 100 }, { path: "/*", price_sats: 1 }] });
    expect(matched("/CAFÉ/x", {}, dearFirst).matchedMsat).toBe(100_000n);
  });

  it("content_length bounds are inclusive; a body without a length counts as endless; a GET has none", () => {
    const upload = (length: number | undefined) => {
      const body = new ReadableStream({ start: (controller) => controller.close() });
      const headers: Record<string, string> = { "Content-Type": "application/octet-stream", ...(length === undefined ? {} : { "Content-Length": String(length) }) };
      return matched("/v1/upload", { method: "PUT", body, headers, duplex: "half" } as RequestInit).matchedMsat;
    };
    expect([upload(999), upload(1000), upload(2000), upload(2001), upload(undefined)]).toEqual([undefined, 7_000n, 7_000n, 9_000n, 9_000n]);
    expect(matched("/v1/upload").matchedMsat).toBeUndefined();
  });

  it("an encoded body (Content-Encoding: gzip, which the origin inflates) counts as endless, whatever length it states", () => {
    const upload = (encoding: string) => {
      const body = new ReadableStream({ start: (controller) => controller.close() });
      return matched("/v1/upload", { method: "PUT", body, headers: { "Content-Type": "application/octet-stream", "Content-Length": "1500", "Content-Encoding": encoding }, duplex: "half" } as RequestInit).matchedMsat;
    };
    expect([upload("gzip"), upload("br"), upload("identity"), upload("")]).toEqual([9_000n, 9_000n, 7_000n, 7_000n]);
  });
});

describe("every method a request may be carried out as is priced, the dearest wins", () => {
  it("a method claimed by a header or _method costs what that method costs", () => {
    expect(matched("/v1/images/small", { method: "POST", headers: { "X-HTTP-Method-Override": "DELETE", "Content-Type": "text/plain" }, body: "x" })).toEqual({ matchedMsat: 30_000n, unpriced: true });
    expect(matched("/v1/images/small?_method=DELETE", { method: "POST", headers: { "Content-Type": "text/plain" }, body: "x" }).matchedMsat).toBe(30_000n);
  });

  it("a body a framework reads _method from may claim any method a rule names", () => {
    expect(matched("/v1/images/small", { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" }).matchedMsat).toBe(30_000n);
  });

  it("…and a method no rule names: priced by the rules naming none, or the service's price (a cheap POST rule never prices a DELETE claimed in the body)", () => {
    const service = serviceOf({ name: "items", price_sats: 100, price_rules: [{ methods: ["POST"], price_sats: 1 }] });
    for (const type of ["application/x-www-form-urlencoded", "text/json"]) {
      expect(matched("/items/7", { method: "POST", headers: { "Content-Type": type }, body: "_method=DELETE" }, service), type).toEqual({ matchedMsat: 1_000n, unpriced: true });
    }
    // A body no framework reads _method from: the POST it is.
    expect(matched("/items/7", { method: "POST", headers: { "Content-Type": "text/plain" }, body: "x" }, service)).toEqual({ matchedMsat: 1_000n, unpriced: false });
  });

  it("a body a framework reads parameters from may give a priced query parameter another value: the dearest rule it could meet prices the request", () => {
    const sized = serviceOf({ name: "gen", price_sats: 2, price_rules: [{ path: "/v1/images/*", query: { size: "large" }, price_sats: 10 }] });
    const form = { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: "size=large" };
    expect(matched("/v1/images/gen?size=small", form, sized).matchedMsat).toBe(10_000n);
    expect(matched("/v1/images/gen", { ...form, headers: { "Content-Type": "application/json" }, body: '{"size":"large"}' }, sized).matchedMsat).toBe(10_000n);
    // A body no framework reads parameters from, or none: the query as sent.
    expect(matched("/v1/images/gen?size=small", { ...form, headers: { "Content-Type": "application/octet-stream" } }, sized)).toEqual({ matchedMsat: undefined, unpriced: true });
    expect(matched("/v1/images/gen?size=small", {}, sized)).toEqual({ matchedMsat: undefined, unpriced: true });
    // An origin that takes no method override still reads parameters from bodies.
    const noOverride = serviceOf({ name: "gen", price_sats: 2, method_override: false, price_rules: [{ path: "/v1/images/*", query: { size: "large" }, price_sats: 10 }] });
    expect(matched("/v1/images/gen?size=small", form, noOverride).matchedMsat).toBe(10_000n);
  });

  it("…or take a value the query gives away: the rules past the one the query meets, and the service's price, price the request too, up to the first rule that reads no query parameter", () => {
    const rules = [
      { query: { size: "large" }, price_sats: 10 },
      { methods: ["POST"], path: "/v1/images/:model/edit", params: { model: "hd" }, price_sats: 25 },
      { query: { size: "thumb" }, price_sats: 1 },
      { path: "/v1/images/*", price_sats: 3 },
      { path: "/v1/*", price_sats: 99 },
    ];
    const service = serviceOf({ name: "images", price_sats: 20, price_rules: rules });
    const form = { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: "size=small" };
    // The query meets the 10-sat rule; a form saying size=small meets the 25-sat one after it (the last rule that could be met: it reads no query parameter).
    expect(matched("/v1/images/hd/edit?size=large", form, service)).toEqual({ matchedMsat: 25_000n, unpriced: false });
    // Without the edit rule: the thumb rule and the one for every image could be met, never the one for all of /v1 or the service's price.
    expect(matched("/v1/images/sd/edit?size=thumb", form, service)).toEqual({ matchedMsat: 10_000n, unpriced: false });
    // Where no rule reading no query parameter is met, the service's price (20) may be what the origin's reading comes to.
    const queried = serviceOf({ name: "images", price_sats: 20, price_rules: [rules[2], rules[0]] });
    expect(matched("/v1/images/x?size=thumb", form, queried)).toEqual({ matchedMsat: 10_000n, unpriced: true });
    // The query alone, as sent, with a body no framework reads parameters from.
    expect(matched("/v1/images/hd/edit?size=thumb", { ...form, headers: { "Content-Type": "text/plain" } }, service)).toEqual({ matchedMsat: 25_000n, unpriced: false });
    expect(matched("/v1/images/x?size=thumb", { ...form, headers: { "Content-Type": "text/plain" } }, queried)).toEqual({ matchedMsat: 1_000n, unpriced: false });
  });

  it("a service whose origin takes no override is priced by the method sent", () => {
    const plain = serviceOf({ name: "img", price_sats: 1, method_override: false, price_rules: IMAGES });
    expect(matched("/v1/images/small", { method: "POST", headers: { "X-HTTP-Method-Override": "DELETE", "Content-Type": "application/json" }, body: "{}" }, plain)).toEqual({ matchedMsat: undefined, unpriced: true });
  });

  it("a HEAD costs what a GET costs", () => {
    const service = serviceOf({ name: "s", price_sats: 1, price_rules: [{ methods: ["GET"], price_sats: 4 }] });
    expect(matched("/x", { method: "HEAD" }, service)).toEqual({ matchedMsat: 4_000n, unpriced: true });
  });
});

describe("a request whose price its origin could read two ways is refused", () => {
  it.each([
    ["/v1/images/large?quality=hd&quality=sd", {}],
    ["/v1/images/large?quality=hd&QUALITY=sd", {}],
    ["/v1/images/large?quality=hd&quality=hd", {}],
    ["/v1/images/large", { headers: [["X-Model", "big"], ["X-Model", "small"]] as [string, string][] }],
  ])("%s %j", (url, init) => {
    expect(priceOf(url, init)).toMatchObject({ ok: false, reason: "ambiguous_price" });
  });

  it("a parameter PHP reads under another name (. for _, cut at NUL) is the same parameter", () => {
    const service = serviceOf({ name: "s", price_sats: 1, price_rules: [{ query: { image_size: "large" }, price_sats: 5 }] });
    expect(priceOf("/x?image_size=small&image.size=large", {}, service)).toMatchObject({ ok: false, reason: "ambiguous_price" });
    expect(priceOf("/x?image.size=large", {}, service)).toMatchObject({ ok: true, value: { matchedMsat: 5_000n } });
    expect(priceOf("/x?image_size%00=large", {}, service)).toMatchObject({ ok: true, value: { matchedMsat: 5_000n } });
    expect(priceOf("/x?image_size=small&image.size%00.x=large", {}, service)).toMatchObject({ ok: false, reason: "ambiguous_price" });
  });

  it("a name that Java or Python, ignoring case, reads as a priced parameter (ſ, ı, İ, fullwidth) is that parameter", () => {
    const service = serviceOf({ name: "s", price_sats: 1, price_rules: [{ query: { size: "large" }, price_sats: 5 }] });
    for (const url of ["/x?%C5%BFize=large&size=small", "/x?s%C4%B1ze=large&size=small", "/x?s%C4%B0ze=large&size=small", "/x?%EF%BD%93ize=large&size=small"]) {
      expect(priceOf(url, {}, service), url).toMatchObject({ ok: false, reason: "ambiguous_price" });
    }
    expect(priceOf("/x?%C5%BFize=large", {}, service)).toMatchObject({ ok: true, value: { matchedMsat: 5_000n } });
    // A service that matches case assumes an origin that does too.
    const exact = serviceOf({ name: "s", price_sats: 1, match_case: true, price_rules: [{ query: { size: "large" }, price_sats: 5 }] });
    expect(priceOf("/x?%C5%BFize=large&size=small", {}, exact)).toMatchObject({ ok: true, value: { matchedMsat: undefined } });
  });

  it("a name with brackets that Rack or PHP reads as a priced parameter is refused: which value would the origin read?", () => {
    const service = serviceOf({ name: "s", price_sats: 1, price_rules: [{ query: { size: "large" }, price_sats: 5 }, { query: { image_size: "large" }, price_sats: 5 }] });
    for (const url of ["/x?size=small&[size]=large", "/x?size=small&size]=large", "/x?[size]=large", "/x?size[]=large", "/x?size[a]=large", "/x?image_size=small&image[size=large", "/x?image.size=small&image[size=large", "/x?size=small&a=1;[size]=large"]) {
      expect(priceOf(url, {}, service), url).toMatchObject({ ok: false, reason: "ambiguous_price" });
    }
    // Brackets around another name are that name's business.
    expect(priceOf("/x?size=large&filter[kind]=a&[page]=2", {}, service)).toMatchObject({ ok: true, value: { matchedMsat: 5_000n } });
  });

  it("a parameter read otherwise by an origin that splits the query at `;` (Rack 2, Perl's CGI) is refused", () => {
    const service = serviceOf({ name: "s", price_sats: 1, price_rules: [{ query: { size: "large" }, price_sats: 5 }] });
    for (const url of ["/x?a=1;size=large", "/x?size=small;size=large", "/x?size=large;a=1"]) {
      expect(priceOf(url, {}, service), url).toMatchObject({ ok: false, reason: "ambiguous_price" });
    }
    expect(priceOf("/x?size=large&a=1;b=2", {}, service)).toMatchObject({ ok: true, value: { matchedMsat: 5_000n } });
    expect(priceOf("/x?size=large&a=b%3Bsize=small", {}, service)).toMatchObject({ ok: true, value: { matchedMsat: 5_000n } });
  });

  it("a query of more than 1,000 parameters, which origins stop reading at 1,000, is refused where a rule prices by one", () => {
    const service = serviceOf({ name: "s", price_sats: 9, price_rules: [{ query: { model: "mini" }, price_sats: 1 }] });
    const padding = (count: number, separator = "&") => Array.from({ length: count }, (_, i) => `a${i}=`).join(separator);
    expect(priceOf(`/x?${padding(999)}&model=mini`, {}, service)).toMatchObject({ ok: true, value: { matchedMsat: 1_000n } });
    expect(priceOf(`/x?${padding(1000)}&model=mini`, {}, service)).toMatchObject({ ok: false, reason: "ambiguous_price", detail: expect.stringContaining("the query has 1001 parts") });
    // Counted as an origin splitting at `;` counts them too, and empty ones as qs and Node's querystring count them.
    expect(priceOf(`/x?${padding(1000, ";")}&model=mini`, {}, service)).toMatchObject({ ok: false, reason: "ambiguous_price" });
    expect(priceOf(`/x?${"&".repeat(1000)}model=mini`, {}, service)).toMatchObject({ ok: false, reason: "ambiguous_price" });
    // A service whose rules read no query is not concerned.
    expect(priceOf(`/x?${padding(2000)}`, {}, serviceOf({ name: "s", price_sats: 9, price_rules: [{ methods: ["GET"], price_sats: 1 }] }))).toMatchObject({ ok: true });
  });

  it("a parameter or header no rule prices by may be given as often as the client likes", () => {
    expect(matched("/v1/images/large?tag=a&tag=b", { headers: [["X-Other", "1"], ["X-Other", "2"]] }).matchedMsat).toBe(20_000n);
  });
});
