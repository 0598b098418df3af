import { describe, expect, it } from "vitest";
import { inClear, isThisMachine } from "../../src/this-machine.ts";

describe("isThisMachine", () => {
  it.each([
    ["http://localhost:8787/", true],
    ["http://LOCALHOST./", true],
    ["http://127.0.0.1/", true],
    ["http://127.1/", true],
    ["http://127.255.255.254/", true],
    ["http://[::1]:8080/", true],
    ["http://[0:0::1]/", true],
    // A resolver without nss-myhostname asks the network for these: not trusted as this machine.
    ["http://node.localhost/", false],
    ["http://localhost.example.com/", false],
    ["http://127.0.0.1.nip.io/", false],
    // Reach this machine, but are not counted as it: the safe side.
    ["http://0.0.0.0/", false],
    ["http://[::ffff:127.0.0.1]/", false],
    ["http://10.0.0.1/", false],
  ])("%s → %s", (url, expected) => {
    expect(isThisMachine(new URL(url).hostname)).toBe(expected);
  });

  it("inClear: plain http:// to another host than this machine only", () => {
    expect(inClear(new URL("http://shop.example/"))).toBe(true);
    expect(inClear(new URL("https://shop.example/"))).toBe(false);
    expect(inClear(new URL("http://127.0.0.1:8787/"))).toBe(false);
  });
});
