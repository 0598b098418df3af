import { onWorkers } from "../../platform.ts";
import { LightningError } from "../backend.ts";
import { isNostrEvent, type NostrEvent } from "./event.ts";

/**
 * A client of one Nostr relay (NIP-01) over one WebSocket: subscriptions
 * (`REQ` → `EVENT`s, `EOSE`; `CLOSE`), publishing (`EVENT` → `OK`). Works with
 * the WebSocket of workerd, browsers, Node 22+, and `ws` on Node 20 (given as
 * the factory).
 */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number): void;
  // The event typed by `type` (which every platform's Event has): a type of `data` alone would have nothing in common with an open or error event, and `ws`'s socket would not fit.
  addEventListener(type: "open" | "message" | "close" | "error", listener: (event: { readonly type: string; readonly data?: unknown }) => void): void;
}

/** A socket still connecting (the `WebSocket` constructor), or one already open (a fetch upgrade). */
export type WebSocketFactory = (url: string) => WebSocketLike | Promise<WebSocketLike>;

/** The platform's WebSocket constructor, when it has one (browsers, Node 22+). */
export const platformWebSocket: WebSocketFactory = (url) => {
  const Socket = (globalThis as { WebSocket?: new (url: string) => WebSocketLike }).WebSocket;
  if (Socket === undefined) throw new LightningError("unavailable", "this runtime has no WebSocket (on Node 20, give the backend one: nwcBackend({ uri, webSocket: (url) => new WebSocket(url) }) with the ws package's WebSocket)");
  return new Socket(url);
};

/** A Worker reaches a relay by a fetch upgrade; other runtimes (Node 22+, Deno, Bun) by their WebSocket. */
export const runtimeWebSocket: WebSocketFactory = (url) => (onWorkers() ? fetchUpgradeWebSocket(url) : platformWebSocket(url));

/**
 * A Worker's way: `fetch` with `Upgrade: websocket`, then accept. A refused
 * upgrade is an answer to read (its status), where workerd's WebSocket
 * constructor reports a failed connection as an uncaught rejection.
 */
export const fetchUpgradeWebSocket: WebSocketFactory = async (url) => {
  let response: Response;
  try {
    response = await fetch(url.replace(/^ws/, "http"), { headers: { Upgrade: "websocket" } });
  } catch (error) {
    throw new LightningError("unavailable", `cannot connect to the relay (${(error as Error).message})`);
  }
  const socket = (response as Response & { webSocket?: (WebSocketLike & { accept(): void }) | null }).webSocket;
  if (socket === undefined || socket === null) {
    await response.body?.cancel();
    throw new LightningError("unavailable", `the relay refused the connection (HTTP ${response.status})`);
  }
  socket.accept();
  return socket;
};

type Filter = Record<string, unknown>;

/** What a relay says to a client (NIP-01), as far as this client listens: `EOSE` and `CLOSED` both end a subscription (`CLOSED` with the relay's reason). */
export type RelayMessage =
  | { readonly type: "EVENT"; readonly subscription: string; readonly event: NostrEvent }
  | { readonly type: "END"; readonly subscription: string; readonly closedBecause?: string }
  | { readonly type: "OK"; readonly eventId: string; readonly accepted: boolean; readonly message: string };

/**
 * Reads one frame; undefined for anything else (not JSON, not a message this
 * client knows, or one whose parts have the wrong shapes, such as an `EVENT`
 * that is not an event): a relay's garbage is ignored, never thrown.
 */
export function readRelayMessage(text: string): RelayMessage | undefined {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(message)) return undefined;
  const [type, first, second, third] = message as unknown[];
  if (typeof first !== "string") return undefined;
  if (type === "EVENT") return isNostrEvent(second) ? { type, subscription: first, event: second } : undefined;
  if (type === "EOSE") return { type: "END", subscription: first };
  if (type === "CLOSED") return { type: "END", subscription: first, closedBecause: typeof second === "string" ? second : "" };
  if (type === "OK" && typeof second === "boolean") return { type, eventId: first, accepted: second, message: typeof third === "string" ? third : "" };
  return undefined;
}

interface Subscription {
  readonly onEvent: (event: NostrEvent) => void;
  /** `EOSE` (no reason), or the relay closing the subscription (`CLOSED`, with its reason: `auth-required: …`, `rate-limited: …`). */
  readonly onEnd?: (closedBecause?: string) => void;
  /** The connection closed while subscribed. */
  readonly onLost?: () => void;
}

export class RelaySocket {
  readonly #socket: WebSocketLike;
  readonly #subscriptions = new Map<string, Subscription>();
  readonly #published = new Map<string, { resolve: () => void; reject: (error: LightningError) => void }>();
  readonly #onClose: (() => void)[] = [];
  #closed = false;

  private constructor(socket: WebSocketLike) {
    this.#socket = socket;
    socket.addEventListener("message", (event) => this.#receive(String(event.data)));
    socket.addEventListener("close", () => this.#lost());
    socket.addEventListener("error", () => this.#lost());
  }

  /** Connects, within `timeoutMs`. */
  static open(url: string, factory: WebSocketFactory, timeoutMs: number): Promise<RelaySocket> {
    return new Promise((resolve, reject) => {
      let late = false;
      let connecting: WebSocketLike | undefined;
      const timer = setTimeout(() => {
        // Given up on: a connection that opens after all is closed, not left open with nobody to use or close it.
        late = true;
        reject(new LightningError("timeout", `the relay did not accept a connection within ${timeoutMs} ms`));
        connecting?.close(1000);
      }, timeoutMs);
      const failed = (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof LightningError ? error : new LightningError("unavailable", `cannot connect to the relay (${(error as Error).message})`));
      };
      const opened = (socket: WebSocketLike) => {
        clearTimeout(timer);
        if (late) socket.close(1000);
        else resolve(new RelaySocket(socket));
      };
      let created: WebSocketLike | Promise<WebSocketLike>;
      try {
        created = factory(url);
      } catch (error) {
        return failed(error);
      }
      if (created instanceof Promise) {
        created.then(opened, failed);
        return;
      }
      const socket = created;
      connecting = socket;
      socket.addEventListener("open", () => opened(socket));
      const refused = () => failed(new LightningError("unavailable", "the relay refused or dropped the connection"));
      socket.addEventListener("error", refused);
      socket.addEventListener("close", refused);
    });
  }

  get isOpen(): boolean {
    return !this.#closed;
  }

  onClose(listener: () => void): void {
    this.#onClose.push(listener);
  }

  subscribe(id: string, filter: Filter, subscription: Subscription): void {
    this.#subscriptions.set(id, subscription);
    this.#send(["REQ", id, filter]);
  }

  unsubscribe(id: string): void {
    if (this.#subscriptions.delete(id) && !this.#closed) this.#send(["CLOSE", id]);
  }

  /** Resolves once the relay has accepted the event (`OK` true). */
  publish(event: NostrEvent): Promise<void> {
    return new Promise((resolve, reject) => {
      // Sent first: a send that throws (the connection closed) leaves no wait behind; no OK can come before the next line.
      this.#send(["EVENT", event]);
      this.#published.set(event.id, { resolve, reject });
    });
  }

  /** Stops waiting for the relay's `OK` to an event (its caller gave up): a held connection keeps no wait for an answer that never came. */
  forget(eventId: string): void {
    this.#published.delete(eventId);
  }

  close(): void {
    if (this.#closed) return;
    this.#socket.close(1000);
    this.#lost();
  }

  #send(message: unknown[]): void {
    if (this.#closed) throw new LightningError("unavailable", "the relay connection is closed");
    this.#socket.send(JSON.stringify(message));
  }

  #receive(text: string): void {
    const message = readRelayMessage(text);
    if (message?.type === "EVENT") this.#subscriptions.get(message.subscription)?.onEvent(message.event);
    else if (message?.type === "END") this.#subscriptions.get(message.subscription)?.onEnd?.(message.closedBecause);
    else if (message?.type === "OK") {
      const waiting = this.#published.get(message.eventId);
      this.#published.delete(message.eventId);
      if (message.accepted) waiting?.resolve();
      else waiting?.reject(new LightningError("unavailable", `the relay refused the request: ${message.message.slice(0, 200)}`));
    }
  }

  #lost(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const waiting of this.#published.values()) waiting.reject(new LightningError("unavailable", "the relay connection closed"));
    this.#published.clear();
    for (const subscription of this.#subscriptions.values()) subscription.onLost?.();
    this.#subscriptions.clear();
    for (const listener of this.#onClose) listener();
  }
}
