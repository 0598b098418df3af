import { randomBytes } from "@noble/hashes/utils.js";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import type { WebSocket as WsSocket, WebSocketServer as WebSocketServerType } from "ws";
import { describe, expect, it } from "vitest";
import { startRelay } from "../../dev/backend-sims/nostr-relay.ts";
import { startNwcWallet } from "../../dev/backend-sims/nwc-wallet.ts";
import { heldSocket, nwcCallBackend, nwcClient, parseNwcUri, perCallSockets, platformWebSocket, type SocketSource } from "../../src/lightning/index.ts";
import { publicKeyOf, signEvent } from "../../src/lightning/nwc/event.ts";
import { NWC_INFO, NWC_REQUEST, NWC_RESPONSE } from "../../src/lightning/nwc/messages.ts";
import { useBackendSims } from "../setup/backend-sims.ts";

/** The NWC client's own guarantees, beyond the backend contract: answers matched to requests, forged answers ignored. */
const running = useBackendSims();

function backendOver(uri: string, sockets: (relay: string) => SocketSource) {
  const connection = parseNwcUri(uri);
  if (!connection.ok) throw new Error(connection.detail);
  return nwcCallBackend(nwcClient(connection.value, sockets(connection.value.relay), 2000), "regtest");
}

describe("nwcClient", () => {
  it("matches each answer to its request when many share one held connection", async () => {
    const backend = backendOver(running.sims.nwc.uri, (relay) => heldSocket(relay, platformWebSocket, 2000));
    const amounts = Array.from({ length: 12 }, (_, i) => BigInt((i + 1) * 1000));
    const invoices = await Promise.all(amounts.map((amountMsat) => backend.createInvoice({ amountMsat, memo: `m${amountMsat}`, expirySeconds: 600 })));
    expect(invoices.map((invoice) => invoice.amountMsat)).toEqual(amounts);
    expect(new Set(invoices.map((invoice) => invoice.paymentRequest)).size).toBe(amounts.length);
  });

  it("closes a held connection after its idle time, reopens it for the next call, and closes it when retired", async () => {
    const connections = async () => ((await (await fetch(`${running.sims.relay.controlUrl}/_sim/stats`)).json()) as { connections: number }).connections;
    const settle = async (expected: number) => {
      for (let i = 0; i < 250 && (await connections()) !== expected; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      return connections();
    };
    const before = await connections();
    const connection = parseNwcUri(running.sims.nwc.uri);
    if (!connection.ok) throw new Error(connection.detail);
    // An idle time a loaded machine's pauses between a call and the next look at the relay do not reach.
    const socket = heldSocket(connection.value.relay, platformWebSocket, 2000, 1000);
    const backend = nwcCallBackend(nwcClient(connection.value, socket, 2000), "regtest");
    await backend.createInvoice({ amountMsat: 1000n, memo: "first", expirySeconds: 600 });
    expect(await connections()).toBe(before + 1);
    // Calls within the idle time keep it; one after it finds it closed and opens another.
    await backend.createInvoice({ amountMsat: 1000n, memo: "soon after", expirySeconds: 600 });
    expect(await settle(before)).toBe(before);
    await backend.createInvoice({ amountMsat: 1000n, memo: "after a quiet spell", expirySeconds: 600 });
    expect(await connections()).toBe(before + 1);
    // Retired with a call on it: the call ends, then the connection closes, and no call gets it again.
    const during = backend.createInvoice({ amountMsat: 1000n, memo: "during retirement", expirySeconds: 600 });
    socket.close();
    expect((await during).amountMsat).toBe(1000n);
    expect(await settle(before)).toBe(before);
    await expect(backend.createInvoice({ amountMsat: 1000n, memo: "retired", expirySeconds: 600 })).rejects.toThrow(/retired/);
  });

  it("ignores malformed frames from the relay (an EVENT of null, an event without tags, …): the wallet's answer still counts, per call and held", async () => {
    await fetch(`${running.sims.relay.controlUrl}/_sim/faults`, { method: "POST", body: JSON.stringify({ junkFrames: true }) });
    try {
      for (const sockets of [(relay: string) => perCallSockets(relay, platformWebSocket, 2000), (relay: string) => heldSocket(relay, platformWebSocket, 2000)]) {
        const backend = backendOver(running.sims.nwc.uri, sockets);
        expect((await backend.createInvoice({ amountMsat: 3000n, memo: "junk", expirySeconds: 600 })).amountMsat).toBe(3000n);
        expect(await backend.getInfo()).toMatchObject({ network: "regtest" });
      }
    } finally {
      await fetch(`${running.sims.relay.controlUrl}/_sim/faults`, { method: "DELETE" });
    }
  });

  it("a wallet's info event not found (a relay withholding it) is NIP-04 for that call only: once found, a NIP-44-only wallet is reached", async () => {
    const relay = await startRelay();
    try {
      let withheld: Parameters<typeof relay.publish>[0] | undefined;
      const wallet = startNwcWallet(running.sim.node, { ...relay, publish: (event) => (event.kind === NWC_INFO ? void (withheld = event) : relay.publish(event)) }, { encryptions: ["nip44_v2"] });
      const backend = backendOver(wallet.uri, (url) => perCallSockets(url, platformWebSocket, 2000));
      await expect(backend.createInvoice({ amountMsat: 2000n, memo: "first", expirySeconds: 600 })).rejects.toThrow(/UNSUPPORTED_ENCRYPTION/);
      relay.publish(withheld as Parameters<typeof relay.publish>[0]);
      expect((await backend.createInvoice({ amountMsat: 2000n, memo: "then", expirySeconds: 600 })).amountMsat).toBe(2000n);
    } finally {
      await relay.close();
    }
  });

  it("ignores an answer that is not signed by the wallet (a relay need not check signatures)", async () => {
    // A relay that passes anything on (publish() skips its checks), and an attacker who answers every request
    // before the wallet does (its listener comes first), as the wallet, with a bad signature.
    const relay = await startRelay();
    try {
      let forged = 0;
      let walletPubkey = "";
      relay.onEvent((event) => {
        if (event.kind !== NWC_REQUEST) return;
        forged++;
        relay.publish({ id: "00".repeat(32), pubkey: walletPubkey, created_at: event.created_at, kind: NWC_RESPONSE, tags: [["e", event.id], ["p", event.pubkey]], content: "forged", sig: "00".repeat(64) });
      });
      const wallet = startNwcWallet(running.sim.node, relay);
      walletPubkey = wallet.walletPubkey;
      const backend = backendOver(wallet.uri, (url) => perCallSockets(url, platformWebSocket, 2000));
      const invoice = await backend.createInvoice({ amountMsat: 5000n, memo: "real", expirySeconds: 600 });
      expect(forged).toBe(1);
      expect(invoice.amountMsat).toBe(5000n);
    } finally {
      await relay.close();
    }
  });
});

const { WebSocketServer } = createRequire(import.meta.url)("ws") as { WebSocketServer: typeof WebSocketServerType };

/**
 * A relay on a real socket that does what each test scripts: `onFrame` gets
 * each frame a client sends; the upgrade can be held `upgradeDelayMs`.
 */
async function scriptedRelay(onFrame: (frame: unknown[], send: (frame: unknown[]) => void) => void, upgradeDelayMs = 0) {
  const frames: unknown[][] = [];
  let opened = 0;
  let closed = 0;
  const sockets = new WebSocketServer({ noServer: true });
  const server = createServer((_request, response) => response.writeHead(404).end());
  server.on("upgrade", (request, socket, head) => {
    setTimeout(() => {
      if (socket.destroyed) return;
      sockets.handleUpgrade(request, socket, head, (ws: WsSocket) => {
        opened++;
        ws.on("close", () => closed++);
        ws.on("message", (data) => {
          const frame = JSON.parse(String(data)) as unknown[];
          frames.push(frame);
          onFrame(frame, (reply) => ws.send(JSON.stringify(reply)));
        });
      });
    }, upgradeDelayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}`,
    frames,
    open: () => opened - closed,
    opened: () => opened,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), sockets.close(), server.close(() => resolve()))),
  };
}

/** A wallet's keys and the connection a client has to it through `relay`. */
function walletAt(relay: string) {
  const walletSecret = randomBytes(32);
  const walletPubkey = publicKeyOf(walletSecret);
  const connection = parseNwcUri(`nostr+walletconnect://${walletPubkey}?relay=${encodeURIComponent(relay)}&secret=${"ab".repeat(32)}`);
  if (!connection.ok) throw new Error(connection.detail);
  return { walletSecret, walletPubkey, connection: connection.value };
}

const isInfoRequest = (frame: unknown[]) => frame[0] === "REQ" && (frame[2] as { kinds?: number[] }).kinds?.[0] === NWC_INFO;

describe("nwcClient and a relay that misbehaves", () => {
  it("takes only the wallet's info event (kind 13194) for its encryption: another event the wallet signed is none, and the next call asks again", async () => {
    let signer = new Uint8Array();
    const relay = await scriptedRelay((frame, send) => {
      if (isInfoRequest(frame)) {
        // The wallet's old answer, passed off as its info: it names no NIP-44.
        send(["EVENT", frame[1], signEvent({ kind: NWC_RESPONSE, created_at: Math.floor(Date.now() / 1000), tags: [], content: "old" }, signer)]);
        send(["EOSE", frame[1]]);
      } else if (frame[0] === "EVENT") send(["OK", (frame[1] as { id: string }).id, true, ""]);
    });
    try {
      const wallet = walletAt(relay.url);
      signer = wallet.walletSecret;
      const call = nwcClient(wallet.connection, perCallSockets(relay.url, platformWebSocket, 2000), 300);
      for (let i = 0; i < 2; i++) await expect(call("get_info", {})).rejects.toThrow(/no answer in time/);
      expect(relay.frames.filter(isInfoRequest)).toHaveLength(2);
    } finally {
      await relay.close();
    }
  });

  it("closes the info event's subscription when the relay never ends it, and a held connection a call timed out on goes to no new call", async () => {
    // Never an EOSE, never an answer: a relay gone quiet.
    const relay = await scriptedRelay(() => undefined);
    try {
      const { connection } = walletAt(relay.url);
      const call = nwcClient(connection, heldSocket(relay.url, platformWebSocket, 2000), 300);
      await expect(call("get_info", {})).rejects.toThrow(/info event: no answer in time/);
      await expect(call("get_info", {})).rejects.toThrow(/info event: no answer in time/);
      const subscribed = relay.frames.filter(isInfoRequest).map((frame) => frame[1]);
      expect(subscribed).toHaveLength(2);
      await expect.poll(() => relay.frames.filter((frame) => frame[0] === "CLOSE").map((frame) => frame[1]).sort(), { timeout: 5000 }).toEqual(subscribed.sort());
      // Each call on a connection of its own, the first closed once its call ended.
      expect(relay.opened()).toBe(2);
      await expect.poll(() => relay.open()).toBe(0);
    } finally {
      await relay.close();
    }
  });

  it("a relay closing the answer's subscription (CLOSED) ends the call with its reason, not a timeout", async () => {
    const relay = await scriptedRelay((frame, send) => {
      if (isInfoRequest(frame)) send(["EOSE", frame[1]]);
      else if (frame[0] === "REQ") send(["CLOSED", frame[1], "auth-required: sign in first"]);
      else if (frame[0] === "EVENT") send(["OK", (frame[1] as { id: string }).id, true, ""]);
    });
    try {
      const { connection } = walletAt(relay.url);
      const call = nwcClient(connection, perCallSockets(relay.url, platformWebSocket, 2000), 3000);
      await expect(call("make_invoice", { amount: 1000 })).rejects.toThrow("make_invoice: the relay closed the subscription for the answer: auth-required: sign in first");
    } finally {
      await relay.close();
    }
  });

  it("closes a connection that opens after its time was up", async () => {
    const relay = await scriptedRelay(() => undefined, 400);
    try {
      const { connection } = walletAt(relay.url);
      const call = nwcClient(connection, perCallSockets(relay.url, platformWebSocket, 100), 2000);
      await expect(call("get_info", {})).rejects.toThrow(/did not accept a connection within 100 ms/);
      // Past the relay's delay: whatever it opened late is closed.
      await new Promise((resolve) => setTimeout(resolve, 600));
      await expect.poll(() => relay.open()).toBe(0);
    } finally {
      await relay.close();
    }
  });
});
