import { afterEach, describe, expect, it, vi } from "vitest";
import { buyToken, call, callWith, originUrl, uniquePath } from "./support/paywall-client.ts";

afterEach(() => vi.restoreAllMocks());

describe("the hot path", () => {
  it("a request with a valid credential makes no subrequest besides the origin fetch", async () => {
    const token = await buyToken(uniquePath("/api/hot"));
    const fetches = vi.spyOn(globalThis, "fetch");
    const response = await callWith({}, "/api/hot/path", { headers: { Authorization: token.authorization } });
    expect(response.status).toBe(200);
    expect(fetches).toHaveBeenCalledTimes(1);
    expect(String(fetches.mock.calls[0]?.[0])).toBe(`${originUrl()}/hot/path`);
  });

  it("the log line says what happened and carries no macaroon, preimage or secret", async () => {
    const token = await buyToken(uniquePath("/api/log"));
    const logs = vi.spyOn(console, "log");
    await callWith({}, "/api/log/x", { headers: { Authorization: token.authorization } });
    const line = JSON.parse(String(logs.mock.calls.at(-1)?.[0])) as Record<string, unknown>;
    expect(line).toMatchObject({ method: "GET", path: "/api/log/x", service: "api", outcome: "paid", status: 200, tokenId: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(typeof line["latencyMs"]).toBe("number");
    const text = JSON.stringify(logs.mock.calls);
    expect(text).not.toContain(token.preimageHex);
    expect(text).not.toContain(token.macaroonBase64.slice(0, 40));
    expect(text).not.toContain("origin-shared-secret");
    // Another spelling of the path is logged as the paywall matched it, the path the origin got.
    await callWith({}, "//api/%6Cog//y", { headers: { Authorization: token.authorization } });
    expect(JSON.parse(String(logs.mock.calls.at(-1)?.[0]))).toMatchObject({ path: "/api/log/y", outcome: "paid" });
    // And one the paywall answers itself.
    await callWith({}, "//api/%6Cog//z");
    expect(JSON.parse(String(logs.mock.calls.at(-1)?.[0]))).toMatchObject({ path: "/api/log/z", outcome: "challenged" });
  });
});

const MiB = 1 << 20;

async function waitFor<T>(probe: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  for (let attempt = 0; attempt < 800; attempt++) {
    const value = await probe();
    if (done(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

// Tens of MiB through two proxies on a busy 2-core machine: more than vitest's 5 s default.
describe("bodies stream through without being held", { timeout: 60_000 }, () => {
  it("download: the first chunk reaches the client while the origin still holds the rest back", async () => {
    const id = crypto.randomUUID();
    const token = await buyToken(`/stream/x-${id}`);
    const chunks = 32;
    const response = await call(`/stream/download?id=${id}&chunks=${chunks}&size=${MiB}`, { headers: { Authorization: token.authorization } });
    expect(response.status).toBe(200);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    let received = 0;
    while (received < MiB) received += ((await reader.read()).value?.length ?? 0);
    // The origin has sent one chunk and is waiting: a buffering proxy would still be waiting too.
    await fetch(`${originUrl()}/_origin/release?id=${id}`, { method: "POST" });
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      received += value.length;
    }
    expect(received).toBe(chunks * MiB);
  });

  it("upload: the origin receives the first chunk before the client has sent the rest", async () => {
    const id = crypto.randomUUID();
    const token = await buyToken(`/stream/y-${id}`);
    const chunk = new Uint8Array(MiB).fill(7);
    const chunks = 24;
    let push!: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({ start: (controller) => void (push = controller) });
    const pending = call(`/stream/upload?id=${id}`, { method: "POST", body, headers: { Authorization: token.authorization } });
    push.enqueue(chunk);
    await waitFor(async () => ((await (await fetch(`${originUrl()}/_origin/progress?id=${id}`)).json()) as { bytes: number }).bytes, (bytes) => bytes >= MiB, "the first chunk at the origin");
    for (let i = 1; i < chunks; i++) push.enqueue(chunk);
    push.close();
    const response = await pending;
    expect(response.status).toBe(200);
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new Uint8Array(chunks * MiB).fill(7)));
    expect(await response.json()).toEqual({ bytes: chunks * MiB, sha256: [...digest].map((b) => b.toString(16).padStart(2, "0")).join("") });
  });
});

/** The echo the origin's socket sends back for `text`, through the upgrade's answer. */
async function echoOf(response: Response, text: string): Promise<string> {
  const socket = response.webSocket as WebSocket;
  socket.accept();
  const reply = new Promise<string>((resolve) => socket.addEventListener("message", (event) => resolve(String(event.data))));
  socket.send(text);
  const echoed = await reply;
  socket.close();
  return echoed;
}

describe("WebSocket upgrades", () => {
  it("pass through once paid, and are refused with 402 before", async () => {
    expect((await call("/ws", { headers: { Upgrade: "websocket" } })).status).toBe(402);
    const token = await buyToken("/ws");
    const response = await call("/ws", { headers: { Upgrade: "websocket", Authorization: token.authorization } });
    expect(response.status).toBe(101);
    expect(await echoOf(response, "hello")).toBe("echo:hello");
  });

  it("an upgrade's answer cannot set the paywall's cookies (a planted pending or token cookie); the origin's own pass, and the socket works", async () => {
    const token = await buyToken("/ws");
    const response = await call("/ws?plant=1", { headers: { Upgrade: "websocket", Authorization: token.authorization } });
    expect(response.status).toBe(101);
    expect(response.headers.getSetCookie()).toEqual(["theme=dark; Path=/"]);
    expect(await echoOf(response, "hello")).toBe("echo:hello");
  });

  it("a browser's upgrade, which carries Origin, passes once paid too", async () => {
    const token = await buyToken("/ws");
    const response = await call("/ws", { headers: { Upgrade: "websocket", Origin: "https://app.example", Authorization: token.authorization } });
    expect(response.status).toBe(101);
    expect(await echoOf(response, "from a page")).toBe("echo:from a page");
  });
});
