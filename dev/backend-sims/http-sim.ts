import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { stampOffset } from "../lnd-sim/faults.ts";
import { invoiceQueue, paceSetting, pause } from "../lnd-sim/pace.ts";
import { listen } from "../listen.ts";

/**
 * The frame every HTTP simulator (LNbits, phoenixd, clnrest) shares: loopback
 * server, fault injection and call counting under `/_sim/`, bodies read with a
 * bound. Each simulator supplies its routes and how its real counterpart
 * answers a failure (text, or its JSON error shape).
 */
export interface Answer {
  readonly status: number;
  /** JSON (an object or array), or text. */
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface HttpFaults {
  /** Delay before answering, in ms, plus or minus up to `jitterMs` (lnd-sim/pace.ts). */
  latencyMs: number;
  jitterMs: number;
  /** Calls that make invoices are served at most this many a second, the rest queue (lnd-sim/pace.ts); 0: no limit. */
  invoicesPerSecond: number;
  /** `unavailable`: what a proxy says of a dead node; `internal`: the node's own error; `malformed`: 200 with broken JSON; `drop`: the socket closes. */
  failure: "unavailable" | "internal" | "malformed" | "drop" | null;
  /** Invoices made are stamped this many seconds off the node's clock (negative: in the past), as by a node whose clock is wrong. */
  stampOffsetSeconds: number;
}

const NO_FAULTS: HttpFaults = { latencyMs: 0, jitterMs: 0, invoicesPerSecond: 0, failure: null, stampOffsetSeconds: 0 };
const MAX_BODY_BYTES = 1 << 20;

export interface HttpSim {
  readonly url: string;
  setFaults(faults: Partial<HttpFaults>): void;
  /** Calls served (not counting /_sim/). */
  requests(): number;
  close(): Promise<void>;
}

export interface HttpSimOptions {
  readonly name: string;
  readonly host?: string;
  readonly port?: number;
  /** `stampOffsetSeconds`: the fault's, for the invoices this request makes. */
  handle(request: { method: string; path: string; query: URLSearchParams; headers: IncomingMessage["headers"]; body: string; stampOffsetSeconds: number }): Answer | Promise<Answer>;
  readonly failures: { readonly unavailable: Answer; readonly internal: Answer };
  /** The path whose POSTs make invoices (paced by `invoicesPerSecond`). */
  readonly invoicePath: string;
}

export async function startHttpSim(options: HttpSimOptions): Promise<HttpSim> {
  let faults = { ...NO_FAULTS };
  let served = 0;
  const invoiceTurn = invoiceQueue(() => faults.invoicesPerSecond);
  const setFaults = (partial: Partial<HttpFaults>) => {
    if (partial.latencyMs !== undefined && !(partial.latencyMs >= 0 && partial.latencyMs <= 600_000)) throw new Error("latencyMs must be 0..600000");
    if (partial.failure !== undefined && partial.failure !== null && !["unavailable", "internal", "malformed", "drop"].includes(partial.failure)) throw new Error("failure must be unavailable, internal, malformed, drop or null");
    if (partial.stampOffsetSeconds !== undefined) stampOffset(partial.stampOffsetSeconds);
    if (partial.jitterMs !== undefined) paceSetting("jitterMs", partial.jitterMs, 600_000);
    if (partial.invoicesPerSecond !== undefined) paceSetting("invoicesPerSecond", partial.invoicesPerSecond, 1_000_000);
    faults = { ...faults, ...partial };
  };
  const write = (response: ServerResponse, answer: Answer) => {
    const json = typeof answer.body !== "string";
    response.writeHead(answer.status, { "content-type": json ? "application/json" : "text/plain; charset=utf-8", ...(answer.headers ?? {}) });
    response.end(json ? JSON.stringify(answer.body) : answer.body);
  };
  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? "/", "http://sim");
    const body = await readBody(request);
    if (url.pathname === "/_sim/faults") {
      if (request.method === "DELETE") faults = { ...NO_FAULTS };
      else if (request.method === "POST") setFaults(JSON.parse(body || "{}") as Partial<HttpFaults>);
      return write(response, { status: 200, body: faults });
    }
    if (url.pathname === "/_sim/stats") return write(response, { status: 200, body: { requests: served } });
    served++;
    await pause(faults.latencyMs, faults.jitterMs);
    if (request.method === "POST" && url.pathname === options.invoicePath) await invoiceTurn();
    if (faults.failure === "drop") return void request.socket.destroy();
    if (faults.failure === "unavailable") return write(response, options.failures.unavailable);
    if (faults.failure === "internal") return write(response, options.failures.internal);
    if (faults.failure === "malformed") {
      response.writeHead(options.name === "clnrest" ? 201 : 200, { "content-type": "application/json" });
      return void response.end('{"payment_hash": "00", "bolt11": ');
    }
    write(response, await options.handle({ method: request.method ?? "GET", path: url.pathname, query: url.searchParams, headers: request.headers, body, stampOffsetSeconds: faults.stampOffsetSeconds }));
  };
  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) write(response, { status: 400, body: `${options.name} simulator: ${(error as Error).message}` });
      else response.destroy();
    });
  });
  const listening = await listen(server, options.port, options.host);
  return {
    url: `http://${listening.host}`,
    setFaults,
    requests: () => served,
    close: listening.close,
  };
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error("request body too large");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}
