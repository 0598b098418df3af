import { Hono } from "hono";
import { describe, expect, it, vi } from "vitest";
import { createKeyring } from "../../src/l402/index.ts";
import type { InvoiceBackend } from "../../src/lightning/index.ts";
import { l402Paywall, memoryPorts, type L402Variables } from "../../src/index.ts";

/**
 * Who l402Paywall() takes the client to be off Workers, by default: what the
 * runtime hands the app as its env (paywall/runtime-address.ts), as
 * withPaywall does. Free allowances, the mint limit and the challenge cache
 * count by it.
 */
const keyring = createKeyring(new Uint8Array(32).fill(5));
const unasked = () => Promise.reject(new Error("no invoice is asked for here"));
const backend: InvoiceBackend = { createInvoice: unasked, lookupInvoice: unasked, getInfo: unasked };

function shop() {
  const app = new Hono<{ Variables: L402Variables }>();
  app.use("/api/*", l402Paywall({ service: { name: "api", price_sats: 2, freebies: 1, freebies_period: 86_400 }, keyring, backend, ports: memoryPorts(), log: false }));
  let served = 0;
  app.get("/api/data", (c) => (served++, c.text("free sample")));
  const ask = async (env: unknown) => {
    const answer = await app.fetch(new Request("http://shop.example/api/data"), env);
    await answer.body?.cancel();
  };
  return { ask, served: () => served };
}

describe("l402Paywall's client address off Workers", () => {
  it.each([
    ["Bun (Bun.serve: the server, its requestIP)", (address: string) => ({ requestIP: () => ({ address, family: "IPv4", port: 1 }) })],
    ["Deno (Deno.serve: the info, its remoteAddr)", (address: string) => ({ remoteAddr: { hostname: address, port: 1, transport: "tcp" } })],
    ["Node (@hono/node-server: the socket)", (address: string) => ({ incoming: { socket: { remoteAddress: address } } })],
  ])("%s: each client its own free allowance", async (_runtime, envOf) => {
    const { ask, served } = shop();
    await ask(envOf("198.51.100.7"));
    await ask(envOf("198.51.100.7"));
    expect(served()).toBe(1);
    await ask(envOf("203.0.113.9"));
    expect(served()).toBe(2);
  });

  it("options made from the context are made once, though Deno.serve hands each request an info of its own (a memoryPorts() made in them counts across requests)", async () => {
    let made = 0;
    const app = new Hono<{ Variables: L402Variables }>();
    app.use("/api/*", l402Paywall(() => (made++, { service: { name: "api", price_sats: 2, freebies: 1, freebies_period: 86_400 }, keyring, backend, ports: memoryPorts(), log: false })));
    let served = 0;
    app.get("/api/data", (c) => (served++, c.text("free sample")));
    for (let i = 0; i < 3; i++) await (await app.fetch(new Request("http://shop.example/api/data"), { remoteAddr: { hostname: "198.51.100.7", port: 1, transport: "tcp" }, completed: Promise.resolve() })).body?.cancel();
    expect([made, served]).toEqual([1, 1]);
  });

  it("a runtime that says nothing: every client is one, and the middleware says so once", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    try {
      const app = new Hono();
      app.use("/api/*", l402Paywall({ service: { name: "api", price_sats: 2, freebies: 1, freebies_period: 86_400 }, keyring, backend, ports: memoryPorts() }));
      app.get("/api/data", (c) => c.text("free sample"));
      for (let i = 0; i < 2; i++) await (await app.fetch(new Request("http://shop.example/api/data"), {})).body?.cancel();
      expect(warn.mock.calls.map(([line]) => line)).toEqual(["l402Paywall: this runtime gave no client address, so every client shares one free allowance and one mint limit: pass clientAddress"]);
    } finally {
      warn.mockRestore();
    }
  });
});
