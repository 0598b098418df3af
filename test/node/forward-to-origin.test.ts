import { Agent, createServer, request as httpRequest, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { brotliCompressSync, gzipSync } from "node:zlib";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { forwardToOrigin, l402Paywall, memoryPorts, type L402Variables } from "../../src/index.ts";
import type { InvoiceBackend } from "../../src/lightning/index.ts";
import { keyring } from "../fixtures/tokens.ts";

/**
 * forwardToOrigin on Node, as a package user mounts it behind @hono/node-server
 * (its fetch is undici's); in workerd: test/workerd/worker-*.test.ts.
 */
const COMPRESSED_TEXT = "a compressible answer. ".repeat(2000);
const seen: { method: string; headers: IncomingHttpHeaders; body: string }[] = [];
const origin = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on("data", (chunk: Buffer) => chunks.push(chunk));
  request.on("end", () => {
    seen.push({ method: request.method ?? "", headers: request.headers, body: Buffer.concat(chunks).toString() });
    // Fields about the origin's own connection, and one its Connection names.
    if (request.url === "/hop") {
      response.writeHead(200, { "Content-Type": "text/plain", "Keep-Alive": "timeout=60, max=1000", Upgrade: "h2c", Connection: "Upgrade, X-Hop, Content-Type", "X-Hop": "1", Trailer: "X-Sum", "X-Kept": "yes" }).end("hop");
      return;
    }
    // A range of a text: as asked for (no coding but identity accepted; Node's fetch adds its own `identity` to a range's), or of its gzip whatever was asked (a stored object's encoding).
    if (request.url?.startsWith("/ranged")) {
      const stored = request.url.endsWith("/stored") || !/^identity(?:, identity)*$/.test(request.headers["accept-encoding"] ?? "");
      const whole = stored ? gzipSync(COMPRESSED_TEXT) : Buffer.from(COMPRESSED_TEXT);
      const part = whole.subarray(0, 100);
      response.writeHead(206, { "Content-Type": "text/plain", ...(stored ? { "Content-Encoding": "gzip" } : {}), "Content-Range": `bytes 0-99/${whole.length}`, "Content-Length": "100" }).end(part);
      return;
    }
    // An origin compressing its answer (nginx's gzip, S3's stored encodings): gzip, or gzip then brotli.
    if (request.url?.startsWith("/compressed")) {
      const brotli = request.url.endsWith("/twice");
      const gzipped = gzipSync(COMPRESSED_TEXT);
      const body = brotli ? brotliCompressSync(gzipped) : gzipped;
      response.writeHead(200, { "Content-Type": "text/plain", "Content-Encoding": brotli ? "gzip, br" : "gzip", "Content-Length": String(body.length) }).end(body);
      return;
    }
    response.end("from the origin");
  });
});
const unusedNode = {} as InvoiceBackend;
let edge: ReturnType<typeof serve>;
let edgeUrl = "";

beforeAll(async () => {
  await new Promise<void>((resolve) => origin.listen(0, "127.0.0.1", resolve));
  const originUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
  const app = new Hono<{ Variables: L402Variables }>();
  app.use("/*", l402Paywall({ service: { name: "open", price_sats: 1, auth: false, origin: { url: originUrl, headers_timeout_seconds: 1 } }, keyring, backend: unusedNode, ports: memoryPorts(), log: false }));
  app.all("/*", forwardToOrigin({ unmatched: "404" }));
  edge = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" });
  await new Promise<void>((resolve) => edge.once("listening", () => resolve()));
  edgeUrl = `http://127.0.0.1:${(edge.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => edge.close(() => resolve()));
  origin.close();
});

/** A GET to the edge as a client on a kept-alive connection (`agent`) sees it: the raw headers and the body as sent, nothing decoded. */
function rawGet(agent: Agent, path: string, headers: Record<string, string> = {}): Promise<{ headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    httpRequest(`${edgeUrl}${path}`, { agent, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => resolve({ headers: response.headers, body: Buffer.concat(chunks).toString() }));
    })
      .on("error", reject)
      .end();
  });
}

describe("forwardToOrigin on Node", () => {
  it("a headersTimeoutMs a timer cannot wait (past 2^31 - 1 ms it fires at once), or that is not a whole number from 1, is refused when it is made", () => {
    const options = { unmatched: "404" as const, withholdCookie: () => false };
    for (const bad of [3e9, 3_600_001, 0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => forwardToOrigin({ ...options, headersTimeoutMs: bad }), String(bad)).toThrow(/headersTimeoutMs must be a whole number of milliseconds from 1 to 3600000/);
    }
    for (const good of [1, 30_000, 3_600_000]) expect(() => forwardToOrigin({ ...options, headersTimeoutMs: good })).not.toThrow();
  });

  it("forwards a request with a body, sized or chunked, as it came; the client's connection's own headers stay with their hop", async () => {
    const sized = await fetch(`${edgeUrl}/upload`, { method: "POST", body: "a sized body", headers: { "Content-Type": "text/plain" } });
    expect([sized.status, await sized.text()]).toEqual([200, "from the origin"]);
    const chunked = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const part of ["a ", "chunked ", "body"]) controller.enqueue(new TextEncoder().encode(part));
        controller.close();
      },
    });
    const streamed = await fetch(`${edgeUrl}/upload`, { method: "PUT", body: chunked, duplex: "half" } as RequestInit);
    expect([streamed.status, await streamed.text()]).toEqual([200, "from the origin"]);
    expect(seen.map(({ method, body }) => [method, body])).toEqual([
      ["POST", "a sized body"],
      ["PUT", "a chunked body"],
    ]);
    expect(seen[0]?.headers["content-type"]).toBe("text/plain");
    // curl's way with a body over 1 KiB: Expect: 100-continue, answered here; the origin gets the body, not the expectation.
    const large = "x".repeat(4096);
    const expecting = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const sent = httpRequest(`${edgeUrl}/upload`, { method: "POST", headers: { "Content-Length": String(large.length), Expect: "100-continue" } }, (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      });
      sent.on("error", reject);
      sent.on("continue", () => sent.end(large));
    });
    expect(expecting).toEqual({ status: 200, body: "from the origin" });
    expect(seen[2]).toMatchObject({ method: "POST", body: large });
    expect(seen[2]?.headers["expect"]).toBeUndefined();
    // TE names the codings this hop's client takes: the origin is never asked to code its answer for the meter to read coded; `trailers` (gRPC's) goes on.
    for (const [te, seenTe, connection] of [["gzip, trailers;q=0.5", "trailers", undefined], ["gzip", undefined, undefined], ["TRAILERS", "trailers", undefined], ["", undefined, undefined], ["trailers", "trailers", "TE"], ["gzip", undefined, "TE"]] as const) {
      const before = seen.length;
      const answer = await new Promise<number>((resolve, reject) => {
        const sent = httpRequest(`${edgeUrl}/upload`, { method: "POST", headers: { TE: te, "Content-Length": "2", ...(connection === undefined ? {} : { Connection: connection }) } }, (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        });
        sent.on("error", reject);
        sent.end("te");
      });
      expect([te, connection, answer, seen[before]?.headers["te"]]).toEqual([te, connection, 200, seenTe]);
    }
    // An upgrade to HTTP/2 (curl --http2 over http://) is this hop's to refuse or ignore: the origin gets the request, plain.
    const upgrade = await new Promise<number>((resolve, reject) => {
      const sent = httpRequest(`${edgeUrl}/h2c`, { headers: { Connection: "Upgrade, HTTP2-Settings", Upgrade: "h2c", "HTTP2-Settings": "AAMAAABkAAQCAAAAAAIAAAAA" } }, (response) => {
        response.resume();
        response.on("end", () => resolve(response.statusCode ?? 0));
      });
      sent.on("error", reject);
      sent.end();
    });
    expect(upgrade).toBe(200);
    expect([seen[3]?.headers["upgrade"], seen[3]?.headers["http2-settings"]]).toEqual([undefined, undefined]);
  });

  it("an origin's compressed answer, which Node's fetch decodes, goes on as what it now is: no Content-Encoding, no Content-Length, the whole text, the connection kept", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const raw = (path: string) => rawGet(agent, path, { "Accept-Encoding": "gzip, br" });
    try {
      for (const path of ["/compressed", "/compressed/twice"]) {
        const answer = await raw(path);
        expect([answer.headers["content-encoding"], answer.headers["content-length"], answer.body === COMPRESSED_TEXT]).toEqual([undefined, undefined, true]);
        // Asked for the codings Node's fetch decodes and this code knows, whatever the client takes.
        expect(seen.at(-1)?.headers["accept-encoding"]).toBe("gzip, deflate, br");
      }
      // A HEAD's answer says what a GET gets.
      const head = await fetch(`${edgeUrl}/compressed`, { method: "HEAD" });
      expect([head.status, head.headers.get("content-encoding"), head.headers.get("content-length")]).toEqual([200, null, null]);
      // The same connection answers the next request: nothing of the last one was left on it.
      expect((await raw("/after")).body).toBe("from the origin");
    } finally {
      agent.destroy();
    }
  });

  it("the origin's own connection's fields stay with it: no Upgrade offer, no Trailer, nothing its Connection names, not its Keep-Alive; the client's connection kept", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const get = (path: string) => rawGet(agent, path);
    try {
      const { headers, body } = await get("/hop");
      expect([body, headers["x-kept"], headers["upgrade"], headers["x-hop"], headers["trailer"]]).toEqual(["hop", "yes", undefined, undefined, undefined]);
      // What a Connection may name that describes the body stays.
      expect(headers["content-type"]).toBe("text/plain");
      expect(headers["keep-alive"]).not.toContain("timeout=60");
      expect((await get("/after")).body).toBe("from the origin");
    } finally {
      agent.destroy();
    }
  });

  it("the origin's 1 s starts once the request is sent: an upload that takes longer is answered", async () => {
    let push!: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({ start: (controller) => void (push = controller) });
    const pending = fetch(`${edgeUrl}/upload/slow`, { method: "POST", body, duplex: "half" } as RequestInit);
    for (let part = 0; part < 3; part++) {
      push.enqueue(new TextEncoder().encode(`part ${part};`));
      await new Promise((resolve) => setTimeout(resolve, 700));
    }
    push.close();
    const answered = await pending;
    expect([answered.status, await answered.text()]).toEqual([200, "from the origin"]);
    expect(seen.at(-1)?.body).toBe("part 0;part 1;part 2;");
  });

  it("a range goes to the origin asking for no coding, and comes back as sent; a range the origin compressed all the same is a 502, never other bytes", async () => {
    // A client that takes a compressed answer (curl --compressed -r 0-99): the range it gets is of the text all the same.
    const asked = await fetch(`${edgeUrl}/ranged`, { headers: { Range: "bytes=0-99", "Accept-Encoding": "gzip, br" } });
    expect([asked.status, asked.headers.get("content-range"), asked.headers.get("content-encoding"), await asked.text()]).toEqual([206, `bytes 0-99/${COMPRESSED_TEXT.length}`, null, COMPRESSED_TEXT.slice(0, 100)]);
    expect(seen.at(-1)?.headers["accept-encoding"]).toMatch(/^identity(?:, identity)*$/);
    const stored = await fetch(`${edgeUrl}/ranged/stored`, { headers: { Range: "bytes=0-99" } });
    expect(stored.status).toBe(502);
    expect(await stored.json()).toMatchObject({ reason: "origin_range_decoded" });
  });
});
