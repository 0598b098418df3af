import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createRequire } from "node:module";
import type { WebSocket as WsSocket, WebSocketServer as WebSocketServerType } from "ws";
import { verifyEvent, type NostrEvent } from "../../src/lightning/nwc/event.ts";
import { stampOffset } from "../lnd-sim/faults.ts";
import { callDelayMs, paceSetting } from "../lnd-sim/pace.ts";
import { listen } from "../listen.ts";

// Node's own require: a bundler resolving browser conditions would pick ws's stub.
const { WebSocketServer } = createRequire(import.meta.url)("ws") as { WebSocketServer: typeof WebSocketServerType };

/**
 * A minimal Nostr relay (NIP-01): `EVENT` (checked: id and signature) answered
 * with `OK`; `REQ` answered with stored matches, `EOSE`, then live ones;
 * `CLOSE`. Replaceable kinds (10000–19999) keep the latest per author and kind,
 * ephemeral ones (20000–29999, where NWC's requests and responses live) are
 * only passed to live subscriptions, others are kept. In-process listeners
 * (the NWC wallet service) see every accepted event.
 *
 * Faults (`POST /_sim/faults`, shared with the wallet service behind it):
 * latency before relaying, `unavailable` (open connections closed, upgrades
 * refused with 503),
 * `drop` (the socket closes on a client's event), `junkFrames` (malformed
 * frames before each event relayed), and the wallet's own (`internal`,
 * `malformed`, `silent`, `lost_answer`, `stampOffsetSeconds`, `invoiceExpirySeconds`: see
 * nwc-wallet.ts).
 */
export interface NwcFaults {
  /** Delay before relaying each event, in ms, plus or minus up to `jitterMs` (lnd-sim/pace.ts). */
  latencyMs: number;
  jitterMs: number;
  failure: "unavailable" | "internal" | "malformed" | "drop" | "silent" | "lost_answer" | null;
  /** Each event sent to a subscription (stored or live) comes after malformed frames for the same subscription (junkFrames below). */
  junkFrames: boolean;
  /** The wallet stamps its invoices this many seconds off the node's clock (negative: in the past). */
  stampOffsetSeconds: number;
  /** The wallet ignores the expiry asked and gives its invoices this one, as NIP-47 lets it. */
  invoiceExpirySeconds: number | null;
}

const NO_FAULTS: NwcFaults = { latencyMs: 0, jitterMs: 0, failure: null, junkFrames: false, stampOffsetSeconds: 0, invoiceExpirySeconds: null };

/**
 * What a broken (or hostile) relay might send a subscription: frames that are
 * not JSON, not arrays, events that are not events (null, no tags, tags that
 * are not lists of strings, fields of the wrong types), and messages missing
 * their parts. A client ignores them all.
 */
function junkFrames(subscription: string): string[] {
  // No tags: the first of the shapes below that a client reading `event.tags` trips on.
  const event = { id: "00".repeat(32), pubkey: "11".repeat(32), created_at: 1_700_000_000, kind: 23195, content: "", sig: "22".repeat(64) };
  return [
    "{",
    "null",
    JSON.stringify({ EVENT: subscription }),
    ...[
      ["EVENT", subscription, null],
      ["EVENT", subscription, event],
      ["EVENT", subscription, { ...event, tags: null }],
      ["EVENT", subscription, { ...event, tags: [null] }],
      ["EVENT", subscription, { ...event, tags: [["e", 5]] }],
      ["EVENT", subscription, { ...event, tags: "e" }],
      ["EVENT", subscription, { ...event, kind: "23195", tags: [] }],
      ["EVENT", subscription, { ...event, content: { toString: 1 }, tags: [] }],
      ["EVENT", subscription, "event"],
      ["EVENT", subscription],
      ["EVENT"],
      ["EVENT", null, event],
      ["EOSE"],
      ["EOSE", { toString: 1 }],
      ["OK", { toString: 1 }, true],
      ["OK"],
      ["NOTICE", { toString: 1 }],
      [],
    ].map((frame) => JSON.stringify(frame)),
  ];
}

type Filter = { ids?: string[]; authors?: string[]; kinds?: number[]; since?: number; until?: number; limit?: number; [tag: `#${string}`]: string[] | undefined };

export interface Relay {
  /** ws://host:port */
  readonly url: string;
  /** The HTTP base of the same port, for /_sim/. */
  readonly controlUrl: string;
  faults(): NwcFaults;
  setFaults(faults: Partial<NwcFaults>): void;
  /** Publishes an event as if a client had (for the wallet service behind it). */
  publish(event: NostrEvent): void;
  onEvent(listener: (event: NostrEvent) => void): void;
  /** Client events accepted. */
  events(): number;
  close(): Promise<void>;
}

const FAILURES = ["unavailable", "internal", "malformed", "drop", "silent", "lost_answer"];

export async function startRelay(host = "127.0.0.1", port = 0): Promise<Relay> {
  let faults: NwcFaults = { ...NO_FAULTS };
  let accepted = 0;
  let upgrades = 0;
  const stored: NostrEvent[] = [];
  const subscriptions = new Map<WsSocket, Map<string, Filter[]>>();
  const listeners: ((event: NostrEvent) => void)[] = [];

  const setFaults = (partial: Partial<NwcFaults>) => {
    if (partial.failure !== undefined && partial.failure !== null && !FAILURES.includes(partial.failure)) throw new Error(`failure must be one of ${FAILURES.join(", ")} or null`);
    if (partial.latencyMs !== undefined && !(partial.latencyMs >= 0 && partial.latencyMs <= 600_000)) throw new Error("latencyMs must be 0..600000");
    if (partial.jitterMs !== undefined) paceSetting("jitterMs", partial.jitterMs, 600_000);
    if (partial.junkFrames !== undefined && typeof partial.junkFrames !== "boolean") throw new Error("junkFrames must be true or false");
    if (partial.stampOffsetSeconds !== undefined) stampOffset(partial.stampOffsetSeconds);
    const expiry = partial.invoiceExpirySeconds;
    if (expiry !== undefined && expiry !== null && !(Number.isSafeInteger(expiry) && expiry > 0)) throw new Error("invoiceExpirySeconds must be whole seconds, or null");
    faults = { ...faults, ...partial };
    // A relay that goes down takes its open connections with it.
    if (faults.failure === "unavailable") for (const socket of subscriptions.keys()) socket.terminate();
  };

  const matches = (event: NostrEvent, filter: Filter): boolean =>
    (filter.ids === undefined || filter.ids.includes(event.id)) &&
    (filter.authors === undefined || filter.authors.includes(event.pubkey)) &&
    (filter.kinds === undefined || filter.kinds.includes(event.kind)) &&
    (filter.since === undefined || event.created_at >= filter.since) &&
    (filter.until === undefined || event.created_at <= filter.until) &&
    Object.entries(filter).every(([key, values]) => !key.startsWith("#") || (values as string[]).some((value) => event.tags.some((tag) => tag[0] === key.slice(1) && tag[1] === value)));

  const deliver = (event: NostrEvent) => {
    for (const [socket, subs] of subscriptions) {
      for (const [id, filters] of subs) {
        if (!filters.some((filter) => matches(event, filter))) continue;
        if (faults.junkFrames) for (const frame of junkFrames(id)) socket.send(frame);
        socket.send(JSON.stringify(["EVENT", id, event]));
      }
    }
  };

  const accept = (event: NostrEvent) => {
    if (event.kind >= 10_000 && event.kind < 20_000) {
      const older = stored.findIndex((e) => e.kind === event.kind && e.pubkey === event.pubkey);
      if (older !== -1) stored.splice(older, 1);
      stored.push(event);
    } else if (event.kind < 20_000 || event.kind >= 30_000) {
      stored.push(event);
    }
    const relay = () => {
      deliver(event);
      for (const listener of listeners) listener(event);
    };
    const delay = callDelayMs(faults.latencyMs, faults.jitterMs);
    if (delay > 0) setTimeout(relay, delay);
    else relay();
  };

  const onMessage = (socket: WsSocket, data: string) => {
    let message: unknown;
    try {
      message = JSON.parse(data);
    } catch {
      return socket.send(JSON.stringify(["NOTICE", "invalid: not JSON"]));
    }
    if (!Array.isArray(message)) return socket.send(JSON.stringify(["NOTICE", "invalid: not an array"]));
    const [type, ...rest] = message as [string, ...unknown[]];
    if (type === "EVENT") {
      const event = rest[0] as NostrEvent;
      if (faults.failure === "drop") return socket.terminate();
      if (!verifyEvent(event)) return socket.send(JSON.stringify(["OK", event?.id ?? "", false, "invalid: bad id or signature"]));
      accepted++;
      socket.send(JSON.stringify(["OK", event.id, true, ""]));
      return accept(event);
    }
    if (type === "REQ") {
      const [id, ...filters] = rest as [string, ...Filter[]];
      const subs = subscriptions.get(socket) ?? new Map<string, Filter[]>();
      subs.set(id, filters);
      subscriptions.set(socket, subs);
      for (const filter of filters) {
        const found = stored.filter((event) => matches(event, filter)).slice(-(filter.limit ?? stored.length));
        for (const event of found) {
          if (faults.junkFrames) for (const frame of junkFrames(id)) socket.send(frame);
          socket.send(JSON.stringify(["EVENT", id, event]));
        }
      }
      return socket.send(JSON.stringify(["EOSE", id]));
    }
    if (type === "CLOSE") return void subscriptions.get(socket)?.delete(rest[0] as string);
    socket.send(JSON.stringify(["NOTICE", `unknown message type ${String(type)}`]));
  };

  const control = (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? "/", "http://relay");
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString()));
    request.on("end", () => {
      try {
        if (url.pathname === "/_sim/faults" && request.method === "POST") setFaults(JSON.parse(body || "{}") as Partial<NwcFaults>);
        if (url.pathname === "/_sim/faults" && request.method === "DELETE") faults = { ...NO_FAULTS };
        const answer = url.pathname === "/_sim/stats" ? { events: accepted, upgrades, connections: subscriptions.size } : faults;
        response.writeHead(200, { "content-type": "application/json" });
        response.end(JSON.stringify(answer));
      } catch (error) {
        response.writeHead(400, { "content-type": "application/json" });
        response.end(JSON.stringify({ error: (error as Error).message }));
      }
    });
  };

  const server = createServer(control);
  const sockets = new WebSocketServer({ noServer: true });
  server.on("upgrade", (request, socket, head) => {
    upgrades++;
    if (faults.failure === "unavailable") {
      socket.end("HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    sockets.handleUpgrade(request, socket, head, (ws) => {
      subscriptions.set(ws, new Map());
      ws.on("message", (data) => onMessage(ws, String(data)));
      ws.on("close", () => subscriptions.delete(ws));
    });
  });
  const listening = await listen(server, port, host);
  return {
    url: `ws://${listening.host}`,
    controlUrl: `http://${listening.host}`,
    faults: () => faults,
    setFaults,
    publish: (event) => accept(event),
    onEvent: (listener) => void listeners.push(listener),
    events: () => accepted,
    close: () => {
      for (const socket of sockets.clients) socket.terminate();
      sockets.close();
      return listening.close();
    },
  };
}
