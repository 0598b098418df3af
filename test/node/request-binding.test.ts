import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { claimedMethods, onlyMethod } from "../../src/paywall/claimed-methods.ts";
import { MAX_BOUND_BODY_BYTES, requestDigest } from "../../src/paywall/request-binding.ts";
import { readRequest } from "../../src/paywall/request.ts";
import { requestOf } from "./support/usage-services.ts";

/**
 * The digest a bound token carries (paywall/request-binding.ts): sha256 of
 * `METHODS \n host \n canonical path \n query as sent \n content-type \n
 * content-encoding \n hex sha256(body)`, checked here against node:crypto over
 * the documented text.
 */
const sha256Hex = (data: string | Uint8Array): string => createHash("sha256").update(data).digest("hex");
/** The documented text, before it is hashed. */
const withoutDigest = (method: string, path: string, query: string, body: string | Uint8Array, { host = "api.example", type = "", encoding = "" } = {}) =>
  `${method}\n${host}\n${path}\n${query}\n${type}\n${encoding}\n${sha256Hex(body)}`;
const documented = (...text: Parameters<typeof withoutDigest>) => sha256Hex(withoutDigest(...text));
const plain = { type: "text/plain" };

async function digestOf(url: string, init: RequestInit = {}, overridable = true): Promise<string> {
  const request = requestOf(url, init);
  const digest = await requestDigest(request, claimedMethods(request.method, request.headers, request.url, overridable));
  if (!digest.ok) throw new Error(digest.detail);
  return digest.value;
}

describe("the request digest", () => {
  it("is the documented text's sha256, over the canonical path and the query as sent", async () => {
    expect(await digestOf("https://api.example/pay/./to//alice?z=1&a=b%20c&a=a", { method: "POST", body: "amount=5", headers: { "Content-Type": "text/plain" } })).toBe(
      documented("POST", "/pay/to/alice", "z=1&a=b%20c&a=a", "amount=5", plain),
    );
    expect(await digestOf("https://api.example/x")).toBe(documented("GET", "/x", "", ""));
  });

  it("another spelling of the query is another digest: origins read each its own way", async () => {
    for (const [a, b] of [["?to=alice&to=bob", "?to=bob&to=alice"], ["?a=1&b=2", "?b=2&a=1"], ["?to=%FF", "?to=%FE"], ["?to=a%3Bb=c", "?to=a;b=c"], ["?to", "?to="], ["?q=a+b", "?q=a%20b"], ["?a=1", "?a=1&a=1"]] as const) {
      expect(await digestOf(`https://api.example/q${a}`), `${a} ${b}`).not.toBe(await digestOf(`https://api.example/q${b}`));
    }
    expect(await digestOf("https://api.example/q?to=alice&to=bob")).toBe(documented("GET", "/q", "to=alice&to=bob", ""));
  });

  it("another method, host, path or body is another digest", async () => {
    const post = { method: "POST", body: "x", headers: { "Content-Type": "text/plain" } };
    const base = await digestOf("https://api.example/a", post);
    expect(await digestOf("https://other.example/a", post)).toBe(documented("POST", "/a", "", "x", { ...plain, host: "other.example" }));
    expect(await digestOf("https://api.example:8443/a", post)).toBe(documented("POST", "/a", "", "x", { ...plain, host: "api.example:8443" }));
    expect(await digestOf("https://api.example/a", { ...post, method: "PUT" })).not.toBe(base);
    expect(await digestOf("https://api.example/b", post)).not.toBe(base);
    expect(await digestOf("https://api.example/a", { ...post, body: "y" })).not.toBe(base);
    expect(await digestOf("https://api.example/a/", post)).not.toBe(base);
  });

  it("another Content-Type or Content-Encoding is another digest: the same bytes mean another body to the origin", async () => {
    const post = { method: "POST", body: "a=1" };
    const json = await digestOf("https://api.example/a", { ...post, headers: { "Content-Type": "application/json" } });
    expect(json).toBe(documented("POST", "/a", "", "a=1", { type: "application/json" }));
    expect(await digestOf("https://api.example/a", { ...post, headers: { "Content-Type": "application/x-www-form-urlencoded" } })).not.toBe(json);
    const gzipped = await digestOf("https://api.example/a", { ...post, headers: { "Content-Type": "application/json", "Content-Encoding": "gzip" } });
    expect(gzipped).toBe(documented("POST", "/a", "", "a=1", { type: "application/json", encoding: "gzip" }));
    expect(gzipped).not.toBe(json);
  });

  it("covers each method the origin may carry the request out as: one an override header or `_method` claims, a HEAD's GET", async () => {
    const post = { method: "POST", body: "x", headers: { "Content-Type": "text/plain" } };
    const overridden = { ...post, headers: { ...post.headers, "X-HTTP-Method-Override": "delete", "X-Method-Override": "PUT" } };
    // Then the override headers as sent, a line each in the order Headers lists them.
    expect(await digestOf("https://api.example/a", overridden)).toBe(sha256Hex(`${withoutDigest("POST,DELETE,PUT", "/a", "", "x", plain)}\nx-http-method-override: delete\nx-method-override: PUT`));
    expect(await digestOf("https://api.example/a?_method=PATCH", post)).toBe(documented("POST,PATCH", "/a", "_method=PATCH", "x", plain));
    expect(await digestOf("https://api.example/a", { method: "HEAD" })).toBe(documented("HEAD,GET", "/a", "", ""));
    // An origin that honours no override (`method_override = false`): the headers claim nothing.
    expect(await digestOf("https://api.example/a", overridden, false)).toBe(documented("POST", "/a", "", "x", plain));
  });

  it("the same methods claimed by another override header, or in another order, are another digest: frameworks read different headers, and a list's first or last", async () => {
    const post = { method: "POST", body: "x", headers: { "Content-Type": "text/plain" } };
    const claiming = (headers: Record<string, string>) => digestOf("https://api.example/a", { ...post, headers: { ...post.headers, ...headers } });
    // Express's method-override reads X-HTTP-Method-Override alone, and its list's first method: a PUT here, a DELETE there.
    expect(await claiming({ "X-HTTP-Method-Override": "PUT, DELETE" })).not.toBe(await claiming({ "X-HTTP-Method-Override": "DELETE, PUT" }));
    // Express does a POST with X-HTTP-Method (it reads only the other), Symfony a DELETE.
    expect(await claiming({ "X-HTTP-Method": "DELETE" })).not.toBe(await claiming({ "X-HTTP-Method-Override": "DELETE" }));
    // A CGI-style spelling is another header to an origin that reads only the dashed one.
    expect(await claiming({ X_HTTP_Method_Override: "DELETE" })).not.toBe(await claiming({ "X-HTTP-Method-Override": "DELETE" }));
  });

  it("reads the body from a copy: the request keeps its own for the origin", async () => {
    const original = new Request("https://api.example/a", { method: "POST", body: "the body" });
    const read = readRequest(original, { address: null, userAgent: null }, 0, []);
    if (!read.ok) throw new Error(read.detail);
    expect(await requestDigest(read.value, claimedMethods("POST", read.value.headers, read.value.url))).toEqual({ ok: true, value: documented("POST", "/a", "", "the body", { type: "text/plain;charset=UTF-8" }) });
    expect(await original.text()).toBe("the body");
  });
});

describe("bodies are bound up to 1 MiB", () => {
  it("exactly 1 MiB is bound; a byte more is body_too_large", async () => {
    const limit = new Uint8Array(MAX_BOUND_BODY_BYTES).fill(97);
    expect(await digestOf("https://api.example/up", { method: "POST", body: limit })).toBe(documented("POST", "/up", "", limit));
    const over = await requestDigest(requestOf("https://api.example/up", { method: "POST", body: new Uint8Array(MAX_BOUND_BODY_BYTES + 1) }), onlyMethod("POST"));
    expect(over).toMatchObject({ ok: false, reason: "body_too_large" });
  });

  it("a streamed body without a length, over the limit in small chunks, is refused without reading it all", async () => {
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new Uint8Array(64 * 1024));
        if (pulled === 1000) controller.close();
      },
    });
    const over = await requestDigest(requestOf("https://api.example/up", { method: "POST", body, duplex: "half" } as RequestInit), onlyMethod("POST"));
    expect(over).toMatchObject({ ok: false, reason: "body_too_large" });
    expect(pulled).toBeLessThan(1000);
  });
});
