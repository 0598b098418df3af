import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isPrivateAddress, publicFetch } from "../../src/cli/public-fetch.ts";

/** The MCP wallet's fetch (cli/public-fetch.ts): public addresses only, checked where each connection is made. */
describe("isPrivateAddress", () => {
  it.each([
    "127.0.0.1", "127.255.0.9", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "192.0.0.8", "198.18.0.1", "224.0.0.1", "255.255.255.255",
    "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1",
    // IPv4 inside IPv6: mapped (both spellings) and NAT64's prefix.
    "::ffff:127.0.0.1", "::ffff:7f00:1", "::ffff:a9fe:a9fe", "64:ff9b::169.254.169.254", "64:ff9b::a00:1",
    // IPv4-compatible (deprecated), 6to4, Teredo, local-use NAT64.
    "::7f00:1", "::a9fe:a9fe", "2002:7f00:1::1", "2001:0:4136:e378::1", "64:ff9b:1::a00:1",
    "not an address",
  ])("%s is not reached", (address) => {
    expect(isPrivateAddress(address)).toBe(true);
  });

  it.each(["8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "169.255.0.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"])("%s is public", (address) => {
    expect(isPrivateAddress(address)).toBe(false);
  });
});

describe("publicFetch", () => {
  let requests = 0;
  const server = createServer((_request, response) => (requests++, response.end("private")));
  let port = 0;
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it.each([["an address on this machine", "127.0.0.1"], ["a name resolving to this machine", "localhost"]])("refuses %s, sending nothing", async (_what, host) => {
    requests = 0;
    const failure = await publicFetch(`http://${host}:${port}/secret`).then(() => undefined, (error: unknown) => error);
    expect(failure).toBeInstanceOf(TypeError);
    expect(((failure as TypeError).cause as Error).message).toMatch(/is at (127\.0\.0\.1|::1), on this machine or a private network: the wallet fetches only public addresses \(--allow-private-network\)$/);
    expect(requests).toBe(0);
    // The same URL through an ordinary fetch is answered: it was the address that was refused.
    expect(await (await fetch(`http://127.0.0.1:${port}/secret`)).text()).toBe("private");
  });
});
