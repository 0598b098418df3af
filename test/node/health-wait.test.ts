import { createServer as createHttpServer } from "node:http";
import { describe, expect, it } from "vitest";
import { UnhealthyError, waitForHealth } from "../../dev/health-wait.ts";
import { listen } from "../../dev/listen.ts";
import { freePort } from "../../dev/ports.ts";

/** How `npm run dev` waits for its Worker (dev/health-wait.ts): what it says when the Worker never becomes healthy, against stand-in health endpoints. */
describe("waiting for the Worker's health", () => {
  /** A stand-in Worker whose health endpoint answers `body` with `status`. */
  async function healthServer(status: number, body: unknown) {
    const server = createHttpServer((request, response) => {
      if (request.url !== "/.well-known/l402/health") return void response.writeHead(404).end();
      response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    });
    const listening = await listen(server);
    return { url: `http://${listening.host}`, close: () => listening.close() };
  }
  const failure = async (wait: Promise<void>) => {
    const error = await wait.then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(UnhealthyError);
    return (error as Error).message;
  };

  it.each([
    [{ backend: "lnd", reachable: false, ok: false, error: "unavailable" }, "its node (lnd) could not be reached: unavailable"],
    [{ backend: "cln", reachable: true, ok: false, error: "auth" }, "its node (cln) refused: auth"],
    [{ backend: "lnd", reachable: true, ok: false, network: "mainnet", networkMatches: false, syncedToChain: true }, "its node (lnd) is on mainnet, but L402_NETWORK is regtest"],
    [{ backend: "phoenixd", reachable: true, ok: false, network: "regtest", networkMatches: true, syncedToChain: false }, "its node (phoenixd) is not synced to the chain"],
  ])("a node that stays unready: after the wait, what health says of it (%j)", async (node, says) => {
    const worker = await healthServer(503, { ok: false, config: { valid: true, services: ["a"], network: "regtest" }, node });
    try {
      expect(await failure(waitForHealth(worker.url, 600))).toBe(`the Worker did not become healthy within 0.6 s; its /.well-known/l402/health: ${says}`);
    } finally {
      await worker.close();
    }
  });

  it("an invalid configuration ends the wait at once; a healthy Worker ends it well; a silent port says so", async () => {
    const invalid = await healthServer(503, { ok: false, config: { valid: false, errors: ["LND_MACAROON: is required", 'L402_SERVICES "a".uses: needs the L402_METER Durable Object binding (see wrangler.toml)'] } });
    const healthy = await healthServer(200, { ok: true });
    try {
      expect(await failure(waitForHealth(invalid.url, 600_000))).toBe(
        `the Worker's configuration is invalid (its /.well-known/l402/health says):\n  LND_MACAROON: is required\n  L402_SERVICES "a".uses: needs the L402_METER Durable Object binding (see wrangler.toml)\n`,
      );
      await waitForHealth(healthy.url, 600_000);
      expect(await failure(waitForHealth(`http://127.0.0.1:${await freePort()}`, 600))).toBe("the Worker did not become healthy within 0.6 s; its /.well-known/l402/health: it never answered");
    } finally {
      await Promise.all([invalid.close(), healthy.close()]);
    }
  });
});
