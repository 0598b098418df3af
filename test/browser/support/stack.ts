import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
import { startSimulator, type Simulator } from "../../../dev/lnd-sim/server.ts";
import { startLocalWorker } from "../../../dev/local-worker.ts";
import { listen } from "../../../dev/listen.ts";

/**
 * The local stack the browser tests drive, over real sockets: the template
 * Worker in workerd (from wrangler.toml, with its real Durable Objects, D1,
 * Cache API and rate limiter), the LND simulator as its node, and an origin
 * serving HTML articles that records every request it receives.
 */
export interface OriginHit {
  readonly method: string;
  readonly path: string;
  readonly cookie: string | undefined;
}

export interface Stack {
  /** The Worker, e.g. http://127.0.0.1:PORT. */
  readonly url: string;
  readonly sim: Simulator;
  /** The origin: another origin of the same site (127.0.0.1, another port). */
  readonly originUrl: string;
  readonly hits: OriginHit[];
  /** Pays an invoice from the simulator's own wallet, as a phone would; the preimage. */
  pay(invoice: string): Promise<string>;
  advanceNodeClock(seconds: number): Promise<void>;
  close(): Promise<void>;
}

/** `vars`: more of the Worker's settings (e.g. L402_FIAT_RATE). */
export async function startStack(services: (originUrl: string) => object[], vars: Record<string, string> = {}): Promise<Stack> {
  const sim = await startSimulator();
  const hits: OriginHit[] = [];
  const origin = await startArticleOrigin(hits);
  const worker = await startLocalWorker({
    vars: { LND_REST_URL: sim.url, L402_NETWORK: "regtest", L402_SERVICES: JSON.stringify(services(origin.url)), L402_CHALLENGE_CACHE_SECONDS: "30", ...vars },
    secrets: { L402_MASTER_KEYS: randomBytes(32).toString("hex"), LND_MACAROON: sim.paywallMacaroonHex },
  });
  return {
    url: worker.url,
    sim,
    originUrl: origin.url,
    hits,
    pay: async (invoice) => {
      const response = await fetch(`${sim.url}/v2/router/send`, {
        method: "POST",
        headers: { "Grpc-Metadata-macaroon": sim.adminMacaroonHex },
        body: JSON.stringify({ payment_request: invoice, timeout_seconds: 30, no_inflight_updates: true }),
      });
      const line = JSON.parse((await response.text()).trim().split("\n").at(-1) ?? "{}") as { result?: { status: string; payment_preimage: string } };
      if (line.result?.status !== "SUCCEEDED") throw new Error(`the simulator did not pay: ${JSON.stringify(line)}`);
      return line.result.payment_preimage;
    },
    advanceNodeClock: async (seconds) => void (await fetch(`${sim.url}/_sim/clock`, { method: "POST", body: JSON.stringify({ advanceSeconds: seconds }) })),
    close: async () => {
      await worker.close();
      await Promise.all([sim.close(), origin.close()]);
    },
  };
}

/** Articles as HTML at any path; a page of its own at /elsewhere (another origin's page, for cross-origin requests). */
async function startArticleOrigin(hits: OriginHit[]): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((request: IncomingMessage, response) => {
    const path = new URL(request.url ?? "/", "http://origin").pathname;
    request.resume();
    if (path === "/elsewhere") {
      response.writeHead(200, { "content-type": "text/html" });
      return void response.end("<!doctype html><title>elsewhere</title><p>another origin of the same site</p>");
    }
    hits.push({ method: request.method ?? "", path, cookie: request.headers.cookie });
    response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    response.end(`<!doctype html><title>Article</title><h1 id="article">Members' article</h1><p>${path}</p>`);
  });
  const listening = await listen(server);
  return { url: `http://${listening.host}`, close: listening.close };
}
