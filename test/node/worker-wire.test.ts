import { parseL402 } from "@getalby/lightning-tools";
import type { Miniflare } from "miniflare";
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../../dev/lnd-sim/server.ts";
import { bundleWorker, startWorkerd } from "../../dev/workerd.ts";
import { parseChallenge, toBase64 } from "../../src/l402/index.ts";
import { startTestOrigin, type TestOrigin } from "../setup/origin.ts";

/**
 * The Worker as the network sees it: bundled as for deployment, run in workerd on
 * a loopback port, spoken to over a raw socket, so the bytes on the wire are what
 * is checked (not what a fetch implementation makes of them).
 */
let sim: Simulator;
let origin: TestOrigin;
let worker: { mf: Miniflare; url: URL };

beforeAll(async () => {
  [sim, origin] = await Promise.all([startSimulator(), startTestOrigin()]);
  worker = await startWorkerd(await bundleWorker(new URL("../../src/worker/index.ts", import.meta.url)), {
    L402_MASTER_KEYS: "77".repeat(32),
    LND_REST_URL: sim.url,
    LND_MACAROON: sim.paywallMacaroonHex,
    L402_NETWORK: "regtest",
    L402_CHALLENGE_CACHE_SECONDS: "0",
    L402_UNMATCHED: "pass",
    L402_SERVICES: JSON.stringify([
      { name: "api", match: ["/api/*"], price_sats: 2, origin: { url: origin.url } },
      { name: "open", match: ["/open/*"], price_sats: 1, auth: false, origin: { url: origin.url } },
    ]),
  });
}, 60_000);

afterAll(async () => {
  await worker?.mf.dispose();
  await Promise.all([sim?.close(), origin?.close()]);
});

/** Sends raw bytes, returns the response head's lines and the body. */
function raw(request: string): Promise<{ status: number; lines: string[]; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(worker.url.port), "127.0.0.1", () => socket.write(request));
    let data = "";
    socket.on("data", (chunk) => (data += chunk.toString("latin1")));
    socket.on("error", reject);
    socket.on("end", () => {
      const [head = "", ...rest] = data.split("\r\n\r\n");
      const lines = head.split("\r\n");
      const body = rest.join("\r\n\r\n");
      const chunked = lines.some((line) => /^transfer-encoding:\s*chunked/i.test(line));
      resolve({ status: Number(lines[0]?.split(" ")[1]), lines: lines.slice(1), body: chunked ? dechunk(body) : body });
    });
  });
}
function dechunk(body: string): string {
  let out = "";
  for (let at = 0; ; ) {
    const end = body.indexOf("\r\n", at);
    const size = Number.parseInt(body.slice(at, end), 16);
    if (!(size > 0)) return out;
    out += body.slice(end + 2, end + 2 + size);
    at = end + 2 + size + 2;
  }
}
const get = (target: string, headers = "") => raw(`GET ${target} HTTP/1.1\r\nHost: paywall.test\r\n${headers}Connection: close\r\n\r\n`);

describe("the 402 on the wire", () => {
  it("carries both challenges on one WWW-Authenticate line, L402 first, joined by ', '", async () => {
    const response = await get("/api/wire");
    expect(response.status).toBe(402);
    const challenges = response.lines.filter((line) => /^www-authenticate:/i.test(line));
    // workerd joins repeated values of a known header when it writes the response.
    expect(challenges).toHaveLength(1);
    const value = (challenges[0] as string).replace(/^www-authenticate:\s*/i, "");
    expect(value).toMatch(/^L402 macaroon="[A-Za-z0-9+/]+={0,2}", invoice="lnbcrt20n1[a-z0-9]+", LSAT macaroon="[A-Za-z0-9+/]+={0,2}", invoice="lnbcrt20n1[a-z0-9]+"$/);

    const ours = parseChallenge(value);
    if (!ours.ok) throw new Error(ours.detail);
    const macaroon = toBase64(ours.value.macaroon);
    const invoice = ours.value.invoice;
    expect(ours.value.scheme).toBe("L402");
    // Aperture's Go interceptor (l402/client_interceptor.go): literal spaces, first match.
    expect(/(LSAT|L402) macaroon="(.*?)", invoice="(.*?)"/.exec(value)?.slice(1)).toEqual(["L402", macaroon, invoice]);
    // lnget (l402/header.go).
    expect(/(LSAT|L402)\s+macaroon="([^"]+)",\s*invoice="([^"]+)"/i.exec(value)?.slice(1)).toEqual(["L402", macaroon, invoice]);
    // Alby's lightning-tools, the parser behind fetchWithL402.
    expect(parseL402(value)).toMatchObject({ token: macaroon, invoice });
  });

  it("looks as the README's walkthrough shows it: one WWW-Authenticate line, L402 then LSAT", async () => {
    const readme = readFileSync(fileURLToPath(new URL("../../README.md", import.meta.url)), "utf8");
    const walkthrough = readme.slice(readme.indexOf("## Walkthrough"));
    const shown = /```sh\n([\s\S]*?)```/.exec(walkthrough)?.[1]?.split("\n").filter((line) => /^# WWW-Authenticate:/i.test(line)) ?? [];
    const onTheWire = (await get("/api/wire")).lines.filter((line) => /^www-authenticate:/i.test(line));
    expect(shown).toHaveLength(onTheWire.length);
    expect(shown[0]).toMatch(/^# WWW-Authenticate: L402 macaroon="[^"]+", invoice="[^"]+", LSAT macaroon="[^"]+", invoice="[^"]+"$/);
  });
});

describe("requests the paywall cannot pass on faithfully", () => {
  it("a GET with a body gets a 400 saying so, not an origin failure, and reaches nobody", async () => {
    const response = await raw(`GET /open/body HTTP/1.1\r\nHost: paywall.test\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello`);
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body)).toMatchObject({ reason: "body_not_allowed" });
    const hits = (await (await fetch(`${origin.url}/_origin/hits?prefix=/open/body`)).json()) as { count: number };
    expect(hits.count).toBe(0);
  });

  it("a GET with an empty body (Content-Length: 0) is an ordinary GET", async () => {
    const response = await get("/open/empty", "Content-Length: 0\r\n");
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ method: "GET", rawPath: "/open/empty", bodyBytes: 0 });
  });

  it.each([
    ["//api//x", 402],
    ["/%61pi/x", 402],
    ["/API/x", 402],
    ["/api/%2e%2e/api/x", 402],
    ["/api;/x", 400],
    ["/api%2Fx", 400],
    ["/%C0%AE%C0%AE/api/x", 400],
  ])("raw request target %s → %i", async (target, status) => {
    expect((await get(target)).status).toBe(status);
  });
});
