import { afterEach, describe, expect, it, vi } from "vitest";
import { LightningError, type InvoiceBackend } from "../../src/lightning/index.ts";
import { withPaywall } from "../../src/paywall/fetch-adapter.ts";
import { memoryPorts } from "../../src/paywall/memory-ports.ts";
import { runtimeAddress } from "../../src/paywall/runtime-address.ts";
import { keyring } from "../fixtures/tokens.ts";

/** The client's address as Deno and Bun hand it to a fetch handler, and withPaywall reading it (on Node, where no header is trusted). */
const request = () => new Request("https://api.example/trial/x");
const down = { createInvoice: () => Promise.reject(new LightningError("unavailable", "the test has no node")), lookupInvoice: () => Promise.reject(new LightningError("unavailable", "none")) } as unknown as InvoiceBackend;

afterEach(() => vi.restoreAllMocks());

describe("runtimeAddress", () => {
  it("Deno's info.remoteAddr, Bun's server.requestIP; nothing from a header off Workers, nor from anything else", () => {
    expect(runtimeAddress(request(), { remoteAddr: { hostname: "203.0.113.9", port: 1234, transport: "tcp" } })).toBe("203.0.113.9");
    const server = { requestIP(this: { ip: string }, _request: Request) { return { address: this.ip, port: 1, family: "IPv4" }; }, ip: "198.51.100.4" };
    expect(runtimeAddress(request(), server)).toBe("198.51.100.4");
    // @hono/node-server's env: the request's socket.
    expect(runtimeAddress(request(), { incoming: { socket: { remoteAddress: "::ffff:192.0.2.8" } } })).toBe("::ffff:192.0.2.8");
    const spoofed = new Request("https://api.example/", { headers: { "CF-Connecting-IP": "192.0.2.1" } });
    for (const second of [undefined, null, {}, { L402_NETWORK: "regtest" }, { requestIP: () => null }, { remoteAddr: {} }]) expect(runtimeAddress(spoofed, second)).toBeNull();
  });
});

describe("withPaywall, the client's address", () => {
  it("free allowances are per address as Deno gives it (one client no longer takes everyone's); without one, a warning, once", async () => {
    const warnings = vi.spyOn(console, "warn").mockImplementation(() => {});
    // A log of its own (its refusal lines go nowhere): `log: false` would silence the warning too.
    const handle = withPaywall({ service: { name: "trial", price_sats: 1, freebies: 1 }, keyring, backend: down, ports: memoryPorts(), log: () => {} }, () => new Response("free"));
    const from = (hostname: string) => ({ remoteAddr: { hostname, port: 1, transport: "tcp" } });
    expect((await handle(request(), from("203.0.113.9"))).status).toBe(200);
    expect((await handle(request(), from("203.0.113.9"))).status).toBe(503);
    expect((await handle(request(), from("198.51.100.4"))).status).toBe(200);
    expect(warnings).not.toHaveBeenCalled();
    await handle(request());
    await handle(request());
    expect(warnings).toHaveBeenCalledTimes(1);
    expect(String(warnings.mock.calls[0]?.[0])).toMatch(/no client address.*pass clientAddress/);
  });

  it("a Bun handler that upgraded a WebSocket's handshake answers nothing: let be; a handler answering nothing otherwise is an error, not a success", async () => {
    const handle = withPaywall({ service: { name: "trial", price_sats: 1, freebies: 5 }, keyring, backend: down, ports: memoryPorts(), log: false }, () => undefined);
    const bun = { requestIP: () => ({ address: "203.0.113.7" }) };
    const handshake = new Request("https://api.example/trial/ws", { headers: { Upgrade: "websocket", Connection: "Upgrade" } });
    expect(await handle(handshake, bun)).toBeUndefined();
    await expect(handle(request(), bun)).rejects.toThrow(/answered nothing: return a Response/);
  });
});
