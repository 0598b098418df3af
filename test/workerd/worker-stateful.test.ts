import { describe, expect, it } from "vitest";
import { attenuate, decodeMacaroon, encodeMacaroon } from "../../src/macaroon/index.ts";
import { toBase64 } from "../../src/l402/index.ts";
import { addressPrefix, CLIENT_NETWORK, CUSTOMER_NETWORK } from "../../src/paywall/client-network.ts";
import { utf8 } from "../fixtures/vectors.ts";
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import fc from "fast-check";
import { toHex } from "../../src/l402/index.ts";
import { buyToken, call, callWith, callWithEnv, originHits, uniquePath, type PaidToken } from "./support/paywall-client.ts";

/** The real meter binding, counting the Durable Object calls made through it. */
function countingMeter() {
  const namespace = env.L402_METER as NonNullable<typeof env.L402_METER>;
  let calls = 0;
  const counting = {
    idFromName: (name: string) => namespace.idFromName(name),
    get: (id: DurableObjectId) => {
      calls++;
      return namespace.get(id);
    },
  };
  return { counting, calls: () => calls };
}

const reasonOf = async (response: Response) => ((await response.json()) as { reason: string }).reason;

describe("metered services (uses: N), counted in a Durable Object", () => {
  it("exactly N successes with X-L402-Remaining counting down, then a fresh 402", async () => {
    const token = await buyToken(uniquePath("/metered/a"));
    const caveats = decodeMacaroon(token.macaroon).caveats.map((c) => new TextDecoder().decode(c.id));
    expect(caveats).toContain("metered_uses=3");
    const remaining: (string | null)[] = [];
    for (let i = 0; i < 3; i++) {
      const response = await call("/metered/x", { headers: { Authorization: token.authorization } });
      expect(response.status).toBe(200);
      remaining.push(response.headers.get("x-l402-remaining"));
    }
    expect(remaining).toEqual(["2", "1", "0"]);
    const spent = await call("/metered/x", { headers: { Authorization: token.authorization } });
    expect(spent.status).toBe(402);
    expect(await reasonOf(spent)).toBe("exhausted");
  });

  it("an origin's 5xx gives its use back (charge_on's default), and says so; a 4xx keeps it", async () => {
    const token = await buyToken(uniquePath("/metered/a"));
    const meters = env.L402_METER as NonNullable<typeof env.L402_METER>;
    const meter = meters.get(meters.idFromName(toHex(decodeMacaroon(token.macaroon).identifier.slice(34))));
    const statuses = [503, 500, 404, 200, 200];
    const remaining: (string | null)[] = [];
    for (const status of statuses) {
      const response = await call(`/metered/x?answer_status=${status}`, { headers: { Authorization: token.authorization } });
      expect(response.status).toBe(status);
      remaining.push(response.headers.get("x-l402-remaining"));
      await response.body?.cancel();
      // The use is back before the answer leaves: a client retrying at once is not refused as exhausted.
      if (status >= 500) expect(await meter.usesTaken()).toBe(0);
    }
    // Each 5xx took a use and gave it back; the 404 and the two 200s are the token's three uses.
    expect(remaining).toEqual(["3", "3", "2", "1", "0"]);
    const spent = await call("/metered/x", { headers: { Authorization: token.authorization } });
    expect(spent.status).toBe(402);
    expect(await reasonOf(spent)).toBe("exhausted");
  });

  it("50 concurrent requests on a 10-use token: exactly 10 succeed, no overspend, no lost count", async () => {
    const token = await buyToken(uniquePath("/burst/a"));
    const path = uniquePath("/burst/race");
    const responses = await Promise.all(Array.from({ length: 50 }, () => call(path, { headers: { Authorization: token.authorization } })));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.filter((s) => s === 402)).toHaveLength(40);
    expect(responses.filter((r) => r.status === 200).map((r) => Number(r.headers.get("x-l402-remaining"))).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(await originHits(path)).toBe(10);
    await Promise.all(responses.map((r) => r.body?.cancel()));
  });

  it("uses: 1 is strict pay-per-request: of many concurrent replays, exactly one succeeds", async () => {
    const token = await buyToken(uniquePath("/single/a"));
    const path = uniquePath("/single/replay");
    const responses = await Promise.all(Array.from({ length: 20 }, () => call(path, { headers: { Authorization: token.authorization } })));
    expect(responses.filter((r) => r.status === 200)).toHaveLength(1);
    expect(await originHits(path)).toBe(1);
    await Promise.all(responses.map((r) => r.body?.cancel()));
  });

  it("the paid-for count travels in the token: a holder may narrow it, never widen it", async () => {
    const token = await buyToken(uniquePath("/metered/b"));
    const narrowed = `L402 ${toBase64(encodeMacaroon(attenuate(decodeMacaroon(token.macaroon), utf8("metered_uses=1"))))}:${token.preimageHex}`;
    expect((await call("/metered/n", { headers: { Authorization: narrowed } })).status).toBe(200);
    const again = await call("/metered/n", { headers: { Authorization: narrowed } });
    expect(await reasonOf(again)).toBe("exhausted");
    const widened = `L402 ${toBase64(encodeMacaroon(attenuate(decodeMacaroon(token.macaroon), utf8("metered_uses=99"))))}:${token.preimageHex}`;
    expect(await reasonOf(await call("/metered/w", { headers: { Authorization: widened } }))).toBe("caveat_widened");
  });

  it("a reusable token on a service with no metering makes no Durable Object call", async () => {
    const { counting, calls } = countingMeter();
    const plain = await buyToken(uniquePath("/api/plain"));
    const metered = await buyToken(uniquePath("/metered/counted"));
    const response = await callWithEnv({ ...env, L402_METER: counting }, "/api/plain", { headers: { Authorization: plain.authorization } });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-l402-remaining")).toBeNull();
    expect(calls()).toBe(0);
    expect((await callWithEnv({ ...env, L402_METER: counting }, "/metered/counted", { headers: { Authorization: metered.authorization } })).status).toBe(200);
    expect(calls()).toBe(1);
  });
});

describe("a metered token's count cannot be reset by its holder", () => {
  const now = () => Math.floor(Date.now() / 1000);
  const narrowed = (token: PaidToken, ...caveats: string[]) => {
    let macaroon = decodeMacaroon(token.macaroon);
    for (const caveat of caveats) macaroon = attenuate(macaroon, utf8(caveat));
    return `L402 ${toBase64(encodeMacaroon(macaroon))}:${token.preimageHex}`;
  };
  const meterOf = (token: PaidToken) => {
    const namespace = env.L402_METER as NonNullable<typeof env.L402_METER>;
    return namespace.get(namespace.idFromName(toHex(decodeMacaroon(token.macaroon).identifier.slice(34))));
  };

  it("narrowing the expiry, using the token once and letting the narrowed expiry pass buys no new uses", async () => {
    const token = await buyToken(uniquePath("/metered/reset"));
    const path = uniquePath("/metered/reset-hits");
    const shortLived = narrowed(token, `metered_valid_until=${now() + 2}`);
    expect((await call(path, { headers: { Authorization: shortLived } })).status).toBe(200);
    // The meter's alarm is the paywall's own expiry (an hour away), not the holder's.
    expect(await runInDurableObject(meterOf(token), (_meter, state) => state.storage.getAlarm())).toBeGreaterThan(Date.now() + 3_000_000);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect((await call(path, { headers: { Authorization: shortLived } })).status).toBe(402);
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await call(path, { headers: { Authorization: token.authorization } })).status);
    expect(statuses).toEqual([200, 200, 402]);
    expect(await originHits(path)).toBe(3);
  });

  it("an alarm run before the paywall's expiry forgets nothing", async () => {
    const token = await buyToken(uniquePath("/metered/early"));
    expect((await call("/metered/x", { headers: { Authorization: token.authorization } })).headers.get("x-l402-remaining")).toBe("2");
    expect(await runDurableObjectAlarm(meterOf(token))).toBe(true);
    expect((await call("/metered/x", { headers: { Authorization: token.authorization } })).headers.get("x-l402-remaining")).toBe("1");
  });

  it("property: whatever a holder appends and however alarms run, never more origin hits than the minted uses", { timeout: 120_000 }, async () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant("uses" as const), variant: fc.nat(), value: fc.integer({ min: 1, max: 5 }) }),
      fc.record({ kind: fc.constant("valid_until" as const), variant: fc.nat(), value: fc.integer({ min: -5, max: 7200 }) }),
      fc.record({ kind: fc.constant("use" as const), variant: fc.nat(), value: fc.constant(0) }),
      fc.record({ kind: fc.constant("alarm" as const), variant: fc.constant(0), value: fc.constant(0) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 12 }), async (ops) => {
        const token = await buyToken(uniquePath("/metered/prop"));
        const path = uniquePath("/metered/prop-hits");
        const variants: string[][] = [[]];
        for (const { kind, variant, value } of ops) {
          const base = variants[variant % variants.length] as string[];
          if (kind === "uses") variants.push([...base, `metered_uses=${value}`]);
          else if (kind === "valid_until") variants.push([...base, `metered_valid_until=${now() + value}`]);
          else if (kind === "alarm") await runDurableObjectAlarm(meterOf(token));
          else await (await call(path, { headers: { Authorization: narrowed(token, ...base) } })).body?.cancel();
        }
        // Finally spend whatever is left with the unattenuated token: what the copies left is served (a Worker refusing everything would pass the bound alone).
        for (let i = 0; i < 4; i++) await (await call(path, { headers: { Authorization: token.authorization } })).body?.cancel();
        const hits = await originHits(path);
        expect(hits).toBeLessThanOrEqual(3);
        expect(hits).toBeGreaterThanOrEqual(1);
      }),
      { numRuns: 25 },
    );
  });

  it("a holder's uses caveat on a service that does not meter costs no Durable Object call", async () => {
    const { counting, calls } = countingMeter();
    const token = await buyToken(uniquePath("/api/uses"));
    const withUses = narrowed(token, "api_uses=1");
    for (let i = 0; i < 2; i++) expect((await callWithEnv({ ...env, L402_METER: counting }, "/api/uses", { headers: { Authorization: withUses } })).status).toBe(200);
    expect(calls()).toBe(0);
  });
});

describe("free allowance (freebies: N per client network)", () => {
  const from = (ip: string) => ({ headers: { "CF-Connecting-IP": ip } });

  it("N free requests per /24, then a 402; another network has its own", async () => {
    const net = `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;
    const path = uniquePath("/trial/x");
    const first = await call(path, from(`${net}.1`));
    expect(first.status).toBe(200);
    expect(first.headers.get("x-l402-freebies-remaining")).toBe("1");
    const second = await call(path, from(`${net}.77`));
    expect(second.status).toBe(200);
    expect(second.headers.get("x-l402-freebies-remaining")).toBe("0");
    const third = await call(path, from(`${net}.200`));
    expect(third.status).toBe(402);
    expect(await originHits(path.slice(0))).toBe(2);
    expect((await call(uniquePath("/trial/y"), from(`${net.replace(/^10\./, "11.")}.1`))).status).toBe(200);
  });

  it("a client presenting a credential does not spend freebies", async () => {
    const response = await call(uniquePath("/trial/z"), { headers: { "CF-Connecting-IP": "192.0.2.10", Authorization: "L402 AgE=:00" } });
    expect(response.status).toBe(402);
  });

  it("counts IPv6 clients per /48 and IPv4 per /24", () => {
    const prefix = (address: string | null) => addressPrefix(address, CUSTOMER_NETWORK);
    expect(prefix("203.0.113.9")).toBe("203.0.113.0/24");
    expect(prefix("::ffff:203.0.113.9")).toBe("203.0.113.0/24");
    expect(prefix("2001:db8:abcd:12::1")).toBe("2001:db8:abcd::/48");
    expect(prefix("2001:0db8:abcd:0012:0000:0000:0000:0001")).toBe("2001:db8:abcd::/48");
    expect(prefix("2001:db8::1")).toBe("2001:db8:0::/48");
    expect(prefix("not an address")).toBe("unknown");
    expect(prefix(null)).toBe("unknown");
  });

  it("keys the mint limit and the challenge cache per IPv4 address and IPv6 /64", () => {
    const prefix = (address: string) => addressPrefix(address, CLIENT_NETWORK);
    expect(prefix("203.0.113.9")).toBe("203.0.113.9/32");
    expect(prefix("2001:db8:abcd:12::1")).toBe("2001:db8:abcd:12::/64");
    expect(prefix("2001:db8:abcd:12:ffff:1:2:3")).toBe(prefix("2001:db8:abcd:12::9"));
    expect(prefix("2001:db8:abcd:13::1")).not.toBe(prefix("2001:db8:abcd:12::1"));
  });
});

describe("configuration of the stateful modes", () => {
  it("a metered or freebie service without its Durable Object binding is a config error", async () => {
    const services = JSON.stringify([{ name: "m", match: ["/m"], price_sats: 1, uses: 2 }, { name: "f", match: ["/f"], price_sats: 1, freebies: 1 }]);
    const response = await callWith({ L402_SERVICES: services, L402_METER: undefined, L402_FREEBIES: undefined } as never, "/m");
    expect(response.status).toBe(500);
  });
});
