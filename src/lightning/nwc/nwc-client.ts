import { randomBytes } from "@noble/hashes/utils.js";
import { toHex } from "../../bytes.ts";
import { LightningError, type LightningFailureReason } from "../backend.ts";
import { publicKeyOf, signEvent, verifyEvent, type NostrEvent } from "./event.ts";
import { entryOf, objectOf, textOf } from "../answer-fields.ts";
import { cipher, encryptionOf, NWC_INFO, NWC_REQUEST, NWC_RESPONSE, type Cipher, type Encryption } from "./messages.ts";
import { RelaySocket, type WebSocketFactory } from "./relay-socket.ts";
import type { NwcConnection } from "./uri.ts";

/**
 * NIP-47 requests to one wallet: each a signed, encrypted kind-23194 event
 * answered by a kind-23195 event tagged with its id. The subscription for the
 * answer is sent before the request, so it cannot be missed. The encryption is
 * learnt once from the wallet's info event, and its key derived once, and kept.
 *
 * Where the relay connection lives is the caller's: `perCallSockets` opens one
 * per request; a Durable Object may hold one (src/worker/nwc-relay.ts).
 */
export type NwcCall = (method: string, params: Record<string, unknown>) => Promise<Record<string, unknown>>;

/** How a call gets a connection, and gives it back (`timedOut`: the call waited in vain on it, which may be dead without a close). */
export interface SocketSource {
  acquire(): Promise<RelaySocket>;
  release(socket: RelaySocket, timedOut?: boolean): void;
}

/** A fresh connection per call, closed after it. */
export function perCallSockets(url: string, factory: WebSocketFactory, timeoutMs: number): SocketSource {
  return { acquire: () => RelaySocket.open(url, factory, timeoutMs), release: (socket) => socket.close() };
}

/** A held connection: `close` retires it (closed now, or when the calls on it end). */
export interface HeldSocket extends SocketSource {
  close(): void;
}

/**
 * How long a held connection stays open with no call on it. Held to save a
 * distant relay's set-up per challenge under steady traffic; kept open through a
 * quiet spell, it would keep its Durable Object awake (and billed) for nothing.
 */
export const HELD_SOCKET_IDLE_MS = 60_000;

/**
 * One connection kept open and shared by every call (reopened when it drops),
 * closed after `idleMs` without calls. One a call timed out on (a relay or a
 * NAT gone quiet without closing it) is given to no new call, and closed once
 * the calls on it end.
 */
export function heldSocket(url: string, factory: WebSocketFactory, timeoutMs: number, idleMs = HELD_SOCKET_IDLE_MS): HeldSocket {
  let current: Promise<RelaySocket> | undefined;
  /** Calls on each connection, by its opening: counted from when they ask, before it is open. */
  const calls = new Map<Promise<RelaySocket>, number>();
  const openingOf = new WeakMap<RelaySocket, Promise<RelaySocket>>();
  let retired = false;
  let idle: ReturnType<typeof setTimeout> | undefined;
  /** One call fewer on `opening`: true when it was the last. */
  const leave = (opening: Promise<RelaySocket>): boolean => {
    const left = (calls.get(opening) ?? 1) - 1;
    if (left > 0) calls.set(opening, left);
    else calls.delete(opening);
    return left <= 0;
  };
  const closeCurrent = () => {
    const held = current;
    current = undefined;
    held?.then((socket) => socket.close(), () => undefined);
  };
  return {
    acquire: () => {
      if (retired) return Promise.reject(new LightningError("unavailable", "the relay connection was retired"));
      if (idle !== undefined) clearTimeout(idle);
      if (current === undefined) {
        const opening = RelaySocket.open(url, factory, timeoutMs);
        current = opening;
        opening.then(
          (socket) => {
            openingOf.set(socket, opening);
            socket.onClose(() => current === opening && (current = undefined));
          },
          () => current === opening && (current = undefined),
        );
      }
      const opening = current;
      calls.set(opening, (calls.get(opening) ?? 0) + 1);
      // A failed opening is given back here: its caller has no socket to release.
      return opening.catch((error: unknown) => {
        leave(opening);
        throw error;
      });
    },
    release: (socket, timedOut = false) => {
      const opening = openingOf.get(socket);
      if (opening === undefined) return;
      if (timedOut && opening === current) current = undefined;
      if (!leave(opening)) return;
      if (opening !== current || retired) {
        socket.close();
        if (opening === current) current = undefined;
      } else idle = setTimeout(closeCurrent, idleMs);
    },
    close: () => {
      retired = true;
      if (idle !== undefined) clearTimeout(idle);
      if (current !== undefined && !calls.has(current)) closeCurrent();
    },
  };
}

/** NIP-47 error codes, as the paywall acts on them. */
const ERROR_KINDS: Record<string, LightningFailureReason> = {
  UNAUTHORIZED: "auth",
  RESTRICTED: "auth",
  RATE_LIMITED: "unavailable",
  QUOTA_EXCEEDED: "unavailable",
  NOT_FOUND: "not_found",
  NOT_IMPLEMENTED: "node_error",
  UNSUPPORTED_ENCRYPTION: "node_error",
  INSUFFICIENT_BALANCE: "node_error",
  PAYMENT_FAILED: "node_error",
  INTERNAL: "node_error",
  OTHER: "node_error",
};

export function nwcClient(connection: NwcConnection, sockets: SocketSource, timeoutMs: number): NwcCall {
  let session: Promise<{ readonly scheme: Encryption; readonly cipher: Cipher }> | undefined;
  const { walletPubkey, secret } = connection;
  const clientPubkey = publicKeyOf(secret);

  /**
   * The wallet's info event, if the relay has one (undefined: none), its
   * newest if it sends several; by `deadline`, its subscription closed however it ends.
   */
  const learnInfo = (socket: RelaySocket, deadline: number): Promise<NostrEvent | undefined> =>
    new Promise((resolve, reject) => {
      const id = toHex(randomBytes(8));
      let info: NostrEvent | undefined;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const end = (outcome: () => void) => {
        if (timer !== undefined) clearTimeout(timer);
        socket.unsubscribe(id);
        outcome();
      };
      socket.subscribe(id, { kinds: [NWC_INFO], authors: [walletPubkey], limit: 1 }, {
        onEvent: (event) => {
          // Another event of the wallet's (an old answer) is no info: it would say NIP-04 for every call.
          if (event.kind !== NWC_INFO || event.pubkey !== walletPubkey || (info !== undefined && event.created_at <= info.created_at)) return;
          // The key first: a signature check is the costly part, and anyone may send events.
          if (verifyEvent(event)) info = event;
        },
        onEnd: () => end(() => resolve(info)),
        onLost: () => end(() => reject(new LightningError("unavailable", "the relay connection closed before the wallet's info event"))),
      });
      // Set once subscribed: a subscription refused at once (the connection closed) leaves no timer behind.
      timer = setTimeout(() => end(() => reject(new LightningError("timeout", "the wallet's info event: no answer in time"))), Math.max(0, deadline - Date.now()));
    });

  return async (method, params) => {
    const deadline = Date.now() + timeoutMs;
    const socket = await sockets.acquire();
    let timedOut = false;
    try {
      const begins = session === undefined;
      const learning = (session ??= learnInfo(socket, deadline).then(
        (info) => {
          // None found (a wallet that publishes none, or a relay withholding it): NIP-04 for this call, and asked
          // again on the next, so that a NIP-44 wallet is not held for good to what it cannot read.
          if (info === undefined) session = undefined;
          const scheme = encryptionOf(info);
          return { scheme, cipher: cipher(secret, walletPubkey, scheme) };
        },
        (error: unknown) => {
          session = undefined;
          throw error;
        },
      ));
      // Within this call's own deadline: the call that began learning may have been cancelled (its request's
      // client gone, on Workers), and then its learning never ends; it is dropped, for the next call to begin anew.
      // (The call that begins it is held to its deadline by learnInfo, which closes its subscription first.)
      const { scheme, cipher: { encrypt, decrypt } } = await (begins ? learning : withTimeout(learning, deadline, "the wallet's info event")).catch((error: unknown) => {
        if (session === learning) session = undefined;
        throw error;
      });
      const request = signEvent(
        {
          kind: NWC_REQUEST,
          created_at: Math.floor(Date.now() / 1000),
          tags: [["p", walletPubkey], ...(scheme === "nip44_v2" ? [["encryption", "nip44_v2"]] : []), ["expiration", String(Math.ceil(deadline / 1000))]],
          content: encrypt(JSON.stringify({ method, params })),
        },
        secret,
        clientPubkey,
      );
      const id = toHex(randomBytes(8));
      const answered = new Promise<NostrEvent>((resolve, reject) => {
        socket.subscribe(id, { kinds: [NWC_RESPONSE], authors: [walletPubkey], "#e": [request.id] }, {
          onEvent: (event) => {
            // Anyone may publish an event that claims to answer; only the wallet's signature makes it one (a relay need not check).
            const answers = event.kind === NWC_RESPONSE && event.pubkey === walletPubkey && event.tags.some((tag) => tag[0] === "e" && tag[1] === request.id);
            if (answers && verifyEvent(event)) resolve(event);
          },
          // EOSE: no stored answer, the wallet's is still to come. CLOSED: the relay will send none (auth-required, rate-limited).
          onEnd: (closedBecause) => closedBecause !== undefined && reject(new LightningError("unavailable", `${method}: the relay closed the subscription for the answer: ${closedBecause.slice(0, 200) || "no reason given"}`)),
          onLost: () => reject(new LightningError("unavailable", `${method}: the relay connection closed before the wallet answered`)),
        });
      });
      // Awaited below unless publishing fails first; never an unhandled rejection.
      answered.catch(() => undefined);
      try {
        await withTimeout(socket.publish(request), deadline, `${method}: the relay's OK`);
        const response = await withTimeout(answered, deadline, `${method}: the wallet's answer`);
        return readNwcResponse(method, () => decrypt(response.content));
      } finally {
        socket.forget(request.id);
        socket.unsubscribe(id);
      }
    } catch (error) {
      timedOut = error instanceof LightningError && error.reason === "timeout";
      // The wallet cannot read what it was sent: the encryption is learnt again (its info may have been withheld, or changed).
      if (error instanceof LightningError && error.message.startsWith(`${method}: UNSUPPORTED_ENCRYPTION`)) session = undefined;
      throw error;
    } finally {
      sockets.release(socket, timedOut);
    }
  };
}

/**
 * A NIP-47 response's result, from its content (`plaintext` decrypts it): the
 * wallet's error as the LightningError its code means, or `invalid_response`.
 * Pure, so any content can be tried on it (test/workerd/fuzz-nwc.test.ts).
 */
export function readNwcResponse(method: string, plaintext: () => string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(plaintext());
  } catch {
    throw new LightningError("invalid_response", `${method}: the wallet's answer does not decrypt to JSON`);
  }
  const response = objectOf(parsed);
  if (response === undefined) throw new LightningError("invalid_response", `${method}: the wallet's answer is not a NIP-47 response`);
  const { error } = response;
  if (error !== null && error !== undefined) {
    // `{code, message}`, both strings; a wallet's error of any other shape is still its refusal.
    const code = textOf(objectOf(error)?.["code"]) ?? "OTHER";
    const message = textOf(objectOf(error)?.["message"]) ?? "";
    throw new LightningError(entryOf(ERROR_KINDS, code) ?? "node_error", `${method}: ${code}${message ? `: ${message.slice(0, 200)}` : ""}`);
  }
  const result = objectOf(response["result"]);
  if (result === undefined) throw new LightningError("invalid_response", `${method}: the wallet's answer has no result`);
  return result;
}

function withTimeout<T>(promise: Promise<T>, deadline: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new LightningError("timeout", `${what}: no answer in time`)), Math.max(0, deadline - Date.now()));
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
