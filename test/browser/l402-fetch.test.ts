import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import { build } from "esbuild";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listen } from "../../dev/listen.ts";
import { payInvoice } from "../../dev/lnd-sim/payer.ts";
import { startSimulator, type Simulator } from "../../dev/lnd-sim/server.ts";
import { createKeyring, lndRestBackend, memoryPorts, withPaywall } from "../../src/fetch.ts";
import { BROWSER_REQUIRED, CHROMIUM, launchChromium } from "./support/chromium.ts";

/**
 * The client (`createL402Fetch`) running in a page of a real Chromium, paying
 * the paywall (its fetch adapter, on node:http) through the LND simulator. A
 * browser's fetch hides where a redirect leads (an `opaqueredirect` answer),
 * which Node's and the Workers' do not. (Not the template Worker: wrangler's
 * local proxy in front of it follows an origin's redirects itself.)
 */
let sim: Simulator;
let site: { url: string; close(): Promise<void> };
let browser: Browser;
let client: string;
const hits: string[] = [];
/** Another origin, which records the Authorization each request brought it. */
let elsewhere: { url: string; close(): Promise<void> };
const seenElsewhere: (string | undefined)[] = [];

/**
 * A paywall selling 3 requests under /comics/ (L402), and one under /prints/
 * (x402 only), whose app redirects a path ending in /hop to /landed and one
 * ending in /away to another origin; any other path is a page.
 */
function startSite(elsewhere: string): Promise<{ url: string; close(): Promise<void> }> {
  const handle = withPaywall(
    {
      services: [
        { name: "comics", match: ["/comics/*"], price_sats: 2, uses: 3, timeout: 3600 },
        { name: "prints", match: ["/prints/*"], price_sats: 2, schemes: ["x402"] },
      ],
      keyring: createKeyring(randomBytes(32)),
      backend: lndRestBackend({ url: sim.url, macaroonHex: sim.paywallMacaroonHex, network: "regtest", timeoutMs: 5000 }),
      ports: memoryPorts(),
      log: false,
    },
    (request) => {
      const { pathname } = new URL(request.url);
      if (!/^\/(comics|prints)\//.test(pathname)) return new Response("<!doctype html><title>page</title>", { headers: { "content-type": "text/html" } });
      hits.push(pathname);
      if (pathname.endsWith("/hop")) return new Response(null, { status: 302, headers: { location: pathname.replace(/hop$/, "landed") } });
      if (pathname.endsWith("/away")) return new Response(null, { status: 302, headers: { location: `${elsewhere}/landed` } });
      return new Response(`comic at ${pathname}`);
    },
  );
  const server: Server = createServer(async (incoming, outgoing) => {
    const request = new Request(new URL(incoming.url ?? "/", `http://${incoming.headers.host}`), { method: incoming.method ?? "GET", headers: incoming.headers as Record<string, string> });
    const response = await handle(request);
    outgoing.writeHead(response.status, Object.fromEntries(response.headers));
    outgoing.end(Buffer.from(await response.arrayBuffer()));
  });
  return listen(server).then(({ host, close }) => ({ url: `http://${host}`, close }));
}

describe.skipIf(CHROMIUM === undefined && !BROWSER_REQUIRED)("l402Fetch in Chromium", () => {
  beforeAll(async () => {
    sim = await startSimulator();
    elsewhere = await listen(
      createServer((incoming, outgoing) => {
        seenElsewhere.push(incoming.headers.authorization);
        outgoing.writeHead(200, { "access-control-allow-origin": "*" }).end("elsewhere");
      }),
    ).then(({ host, close }) => ({ url: `http://${host}`, close }));
    site = await startSite(elsewhere.url);
    const bundled = await build({ entryPoints: ["src/client/index.ts"], bundle: true, format: "iife", globalName: "L402Client", platform: "browser", write: false });
    client = bundled.outputFiles[0]?.text ?? "";
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await site?.close();
    await elsewhere?.close();
    await sim?.close();
  });

  /** `l402Fetch(url)` in a fresh page of the site, paying through the simulator: the answer's status, type and text. */
  async function fetchInPage(path: string): Promise<{ status: number; type: string; text: string }> {
    const page = await browser.newPage();
    await page.exposeFunction("payThroughSimulator", async (invoice: string) => (await payInvoice({ url: sim.url, macaroonHex: sim.adminMacaroonHex }, invoice)).preimageHex ?? "");
    await page.goto(`${site.url}/page`);
    await page.addScriptTag({ content: client });
    const answer = await page.evaluate(async (url) => {
      const { createL402Fetch } = (window as unknown as { L402Client: typeof import("../../src/client/index.ts") }).L402Client;
      const pay = (window as unknown as { payThroughSimulator(invoice: string): Promise<string> }).payThroughSimulator;
      const wallet = {
        pay: async (invoice: string) => ({ preimage: Uint8Array.from((await pay(invoice)).match(/../g) ?? [], (byte) => parseInt(byte, 16)), feeMsat: 0n }),
      };
      const response = await createL402Fetch({ wallet, maxCostSats: 10 })(url);
      return { status: response.status, type: response.type, text: await response.text() };
    }, `${site.url}${path}`);
    await page.close();
    return answer;
  }

  it("a paid request the origin redirects is sent once: the browser follows the redirect, and the request is not made again", async () => {
    hits.length = 0;
    expect(await fetchInPage("/comics/hop")).toEqual({ status: 200, type: "basic", text: "comic at /comics/landed" });
    expect(hits).toEqual(["/comics/hop", "/comics/landed"]);
  });

  it("a redirect to another origin: the browser follows it without the token", async () => {
    hits.length = 0;
    seenElsewhere.length = 0;
    expect(await fetchInPage("/comics/away")).toEqual({ status: 200, type: "cors", text: "elsewhere" });
    expect(hits).toEqual(["/comics/away"]);
    expect(seenElsewhere).toEqual([undefined]);
  });

  it("an x402 payment, whose header a browser would carry to another origin: the redirect is the answer, and the request is not made again", async () => {
    hits.length = 0;
    expect(await fetchInPage("/prints/hop")).toEqual({ status: 0, type: "opaqueredirect", text: "" });
    expect(hits).toEqual(["/prints/hop"]);
  });
});
