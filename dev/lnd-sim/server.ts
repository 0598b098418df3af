import { randomBytes } from "@noble/hashes/utils.js";
import { hex } from "@scure/base";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createMacaroon, encodeMacaroon } from "../../src/macaroon/index.ts";
import { affects, NO_FAULTS, parseFaults, type Faults } from "./faults.ts";
import { payInvoice } from "./payer.ts";
import { GRPC, LndError } from "./lnd-json.ts";
import { createSimNode, type NETWORKS, type SimNode } from "./node.ts";
import { invoiceQueue, pause } from "./pace.ts";
import { routes, type Permission, type RouteContext } from "./routes.ts";
import { walletPage } from "./wallet-page.ts";
import { listen } from "../listen.ts";

export { NETWORKS } from "./node.ts";

interface SimulatorOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** The node to front; a new one by default (see node.ts). */
  node?: SimNode;
  network?: keyof typeof NETWORKS;
  nodeKey?: Uint8Array;
  adminMacaroon?: Uint8Array;
  invoiceMacaroon?: Uint8Array;
  faults?: Faults;
}

export interface Simulator {
  readonly url: string;
  /** The node behind it, for other front ends to share. */
  readonly node: SimNode;
  readonly adminMacaroonHex: string;
  readonly invoiceMacaroonHex: string;
  /** invoices + info, what an operator bakes for the paywall. */
  readonly paywallMacaroonHex: string;
  readonly nodePublicKeyHex: string;
  setFaults(faults: Partial<Faults>): void;
  close(): Promise<void>;
}

/** A macaroon-shaped secret, as LND's macaroon files are. */
const newMacaroon = (name: string): Uint8Array =>
  encodeMacaroon(createMacaroon({ rootKey: randomBytes(32), identifier: randomBytes(32), location: "lnd", caveats: [new TextEncoder().encode(`sim=${name}`)] }));

const MAX_BODY_BYTES = 1 << 20;

/** Starts an LND REST simulator on loopback. See dev/lnd-sim/README.md. */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const node = options.node ?? createSimNode({ ...(options.network === undefined ? {} : { network: options.network }), ...(options.nodeKey === undefined ? {} : { nodeKey: options.nodeKey }) });
  const admin = hex.encode(options.adminMacaroon ?? newMacaroon("admin"));
  const invoice = hex.encode(options.invoiceMacaroon ?? newMacaroon("invoice"));
  const paywall = hex.encode(newMacaroon("paywall"));
  const grants: Record<string, readonly Permission[]> = {
    [admin]: ["info", "invoices", "offchain"],
    [invoice]: ["invoices"],
    [paywall]: ["info", "invoices"],
  };
  let requestCount = 0;
  let faults = options.faults ?? NO_FAULTS;
  const invoiceTurn = invoiceQueue(() => faults.invoicesPerSecond);
  const context: RouteContext = {
    node,
    store: node.store,
    network: node.network,
    nodePublicKey: node.nodePublicKey,
    now: node.now,
    mismatch: () => faults.mismatch,
    routeFeeMsat: () => BigInt(faults.routeFeeMsat),
    stampedAt: () => node.now() + faults.stampOffsetSeconds,
    lostPaymentAnswer: () => faults.lostPaymentAnswer,
  };

  const control = async (request: IncomingMessage, response: ServerResponse, path: string): Promise<void> => {
    if (path === "/_sim/stats" && request.method === "GET") {
      const hash = new URL(request.url ?? "/", "http://sim").searchParams.get("payment_hash");
      const lookups = hash === null ? {} : { lookups: context.store.peek(hash)?.lookups ?? 0 };
      return send(response, 200, { requests: requestCount, invoices: context.store.size, ...lookups });
    }
    if (path === "/_sim/faults" && request.method === "GET") return send(response, 200, faults);
    if (path === "/_sim/faults" && request.method === "DELETE") return send(response, 200, (faults = NO_FAULTS));
    if (path === "/_sim/faults" && request.method === "POST") return send(response, 200, (faults = parseFaults(await readJson(request), faults)));
    if (path === "/_sim/wallet") return wallet(request, response);
    if (path === "/_sim/held" && request.method === "POST") {
      const { end } = (await readJson(request)) as { end?: unknown };
      if (end !== "settle" && end !== "fail") throw new Error('end must be "settle" or "fail"');
      return send(response, 200, { ended: node.endHeld(end) });
    }
    if (path === "/_sim/clock" && request.method === "POST") {
      const { advanceSeconds } = (await readJson(request)) as { advanceSeconds?: unknown };
      if (typeof advanceSeconds !== "number" || !Number.isInteger(advanceSeconds)) throw new Error("advanceSeconds must be an integer");
      return send(response, 200, { now: node.advanceClock(advanceSeconds) });
    }
    send(response, 404, { error: "unknown control endpoint" });
  };

  const wallet = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const page = (status: number, body: string) => {
      response.writeHead(status, { "content-type": "text/html; charset=utf-8" });
      response.end(body);
    };
    if (request.method !== "POST") return page(200, walletPage({ invoice: new URL(request.url ?? "/", "http://sim").searchParams.get("invoice") ?? "" }));
    const invoice = (new URLSearchParams(await readText(request)).get("invoice") ?? "").trim().replace(/^lightning:/i, "");
    const paid = await payInvoice({ url: `http://${listening.host}`, macaroonHex: admin }, invoice);
    const outcome = paid.status === "SUCCEEDED" ? { ok: true, text: "Paid. A page waiting for this payment moves on by itself." } : { ok: false, text: `Not paid: ${paid.error?.message ?? paid.failureReason ?? paid.status}` };
    page(paid.status === "SUCCEEDED" ? 200 : 400, walletPage({ outcome }));
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? "/", "http://sim");
    if (url.pathname.startsWith("/_sim/")) {
      try {
        return await control(request, response, url.pathname);
      } catch (error) {
        return send(response, 400, { error: (error as Error).message });
      }
    }
    requestCount++;
    if (affects(faults, url.pathname)) {
      await pause(faults.latencyMs, faults.jitterMs);
      if (faults.failure === "drop") {
        // Read the request first, as a node that dies mid-call would have.
        for await (const _chunk of request);
        return void request.socket.destroy();
      }
      if (faults.failure === "unavailable") return sendError(response, new LndError(GRPC.unavailable, "connection error: desc = \"transport: Error while dialing\""));
      if (faults.failure === "internal") return sendError(response, new LndError(GRPC.unknown, "sim: injected internal error"));
      if (faults.failure === "malformed") {
        response.writeHead(200, { "content-type": "application/json" });
        return void response.end('{"r_hash": "AAEC", "payment_request": ');
      }
    }
    const route = routes.find((r) => r.method === request.method && r.pattern.test(url.pathname));
    // AddInvoice waits its turn (pace.ts), after the latency: the node is far, then busy.
    if (request.method === "POST" && url.pathname === "/v1/invoices") await invoiceTurn();
    try {
      if (route === undefined) throw new LndError(GRPC.unknown, "Not Implemented");
      const granted = grants[(request.headers["grpc-metadata-macaroon"] as string | undefined)?.toLowerCase() ?? ""];
      if (request.headers["grpc-metadata-macaroon"] === undefined) throw new LndError(GRPC.unknown, "expected 1 macaroon, got 0");
      if (granted === undefined) throw new LndError(GRPC.unknown, "verification failed: signature mismatch after caveat verification");
      if (!granted.includes(route.permission)) throw new LndError(GRPC.unknown, "permission denied");
      const body = request.method === "POST" ? await readJson(request) : {};
      const params = route.pattern.exec(url.pathname)?.slice(1) ?? [];
      const result = await route.handle({ context, body, params, query: url.searchParams });
      if (typeof result === "function") {
        response.writeHead(200, { "content-type": "application/json", "transfer-encoding": "chunked" });
        let open = true;
        response.on("close", () => (open = false));
        const ending = await result((line) => response.write(`${JSON.stringify(line)}\n`), () => open);
        // A connection lost mid-stream: what was written goes out first, then the socket closes without the stream's end.
        if (ending === "drop") return void response.socket?.end(() => response.socket?.destroy());
        return void response.end();
      }
      send(response, 200, result);
    } catch (error) {
      const lndError = error instanceof LndError ? error : new LndError(GRPC.unknown, (error as Error).message);
      if (route?.streaming) send(response, lndError.httpStatus, { error: lndError });
      else sendError(response, lndError);
    }
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) sendError(response, new LndError(GRPC.unknown, String(error)));
      else response.destroy();
    });
  });
  const listening = await listen(server, options.port, options.host);
  return {
    url: `http://${listening.host}`,
    node,
    adminMacaroonHex: admin,
    invoiceMacaroonHex: invoice,
    paywallMacaroonHex: paywall,
    nodePublicKeyHex: hex.encode(context.nodePublicKey),
    setFaults: (partial) => void (faults = parseFaults(partial, faults)),
    close: listening.close,
  };
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify(body));
}

const sendError = (response: ServerResponse, error: LndError): void => send(response, error.httpStatus, error);

async function readText(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new LndError(GRPC.invalidArgument, "request body too large");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

async function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  const text = await readText(request);
  if (text.trim() === "") return {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("not an object");
    return parsed as Record<string, unknown>;
  } catch (error) {
    throw new LndError(GRPC.invalidArgument, `invalid character in request body: ${(error as Error).message}`);
  }
}

