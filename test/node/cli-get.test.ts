import { spawn } from "node:child_process";
import { mkdtempSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../../dev/lnd-sim/server.ts";
import { fileStore } from "../../src/cli/file-store.ts";
import { encodeMacaroon } from "../../src/macaroon/index.ts";
import { createKeyring, formatChallenge, mint, parseAuthorization, serviceCaveats, verify } from "../../src/l402/index.ts";
import { lndRestBackend } from "../../src/lightning/index.ts";

const BIN = fileURLToPath(new URL("../../bin/l402-edge.js", import.meta.url));

/**
 * A minimal L402 server for the command line's exit codes, made of the project's
 * own core and the simulator (the full Worker is exercised by the dev-stack test).
 * It charges `price` sats and accepts any token it minted.
 */
let sim: Simulator;
let server: Server;
let base: string;
const keyring = createKeyring(new Uint8Array(32).fill(8));
let price = 3;

beforeAll(async () => {
  sim = await startSimulator();
  const backend = lndRestBackend({ url: sim.url, macaroonHex: sim.invoiceMacaroonHex, network: "regtest", timeoutMs: 2000 });
  server = createServer(async (request, response) => {
    const parsed = parseAuthorization(request.headers.authorization ?? "");
    if (parsed.ok && verify(parsed.credential, { keyring, service: "cli", now: Math.floor(Date.now() / 1000) }).ok) {
      response.writeHead(200, { "content-type": "text/plain" });
      return void response.end("paid content\n");
    }
    const invoice = await backend.createInvoice({ amountMsat: BigInt(price) * 1000n, memo: "cli", expirySeconds: 600 });
    const token = mint({ keyring, paymentHash: invoice.paymentHash, caveats: serviceCaveats({ service: "cli" }) });
    response.writeHead(402, { "www-authenticate": formatChallenge(encodeMacaroon(token.macaroon), invoice.paymentRequest) });
    response.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.close();
  await sim.close();
});

function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, LND_REST_URL: "", LND_MACAROON: "", ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}
const wallet = () => ({ LND_REST_URL: sim.url, LND_MACAROON: sim.adminMacaroonHex });

describe("l402-edge get", () => {
  it("pays, prints the body, shows progress on stderr, keeps the token 0600, reuses it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "l402-cli-"));
    const first = await cli(["get", `${base}/x`, "--token-dir", dir], wallet());
    expect(first).toMatchObject({ code: 0, stdout: "paid content\n" });
    expect(first.stderr).toMatch(/paying 3 sats for cli…\nl402-edge: paid; token saved for http:\/\/127\.0\.0\.1:\d+/);
    const file = join(dir, `${encodeURIComponent(base)}.json`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const second = await cli(["get", `${base}/y`, "--token-dir", dir]);
    expect(second).toMatchObject({ code: 0, stdout: "paid content\n", stderr: "" });
  });

  it("--no-pay shows the price and the invoice", async () => {
    const result = await cli(["get", `${base}/z`, "--no-pay", "--json"]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ status: 402, price_sats: 3, services: ["cli"], invoice: expect.stringMatching(/^lnbcrt30n1/) });
  });

  it.each([
    ["over budget", ["--max-cost", "2"], wallet, 3, /price is 3 sats, above the limit of 2/],
    ["payment failed", [], () => ({ LND_REST_URL: sim.url, LND_MACAROON: sim.invoiceMacaroonHex }), 4, /permission denied/],
    ["wallet unreachable", [], () => ({ LND_REST_URL: "http://127.0.0.1:1", LND_MACAROON: "0201" }), 5, /cannot reach the wallet's node/],
    ["no wallet configured", [], () => ({}), 2, /no wallet is set/],
  ] as const)("%s → exit %i", async (_name, flags, env, code, message) => {
    const result = await cli(["get", `${base}/w`, "--token-dir", mkdtempSync(join(tmpdir(), "l402-cli-")), ...flags], env());
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(message);
  });

  it("an unreachable server → exit 5; bad arguments → exit 2", async () => {
    expect((await cli(["get", "http://127.0.0.1:1/x"])).code).toBe(5);
    for (const args of [["get"], ["get", "ftp://x"], ["get", `${base}/x`, "--max-cost", "lots"], ["get", `${base}/x`, "-H", "nocolon"]]) {
      const result = await cli(args);
      expect(result.code).toBe(2);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
    }
  });
});

describe("l402-edge tokens", () => {
  it("lists, shows and removes what get keeps", async () => {
    const dir = mkdtempSync(join(tmpdir(), "l402-tokens-"));
    await fileStore(dir).put("https://api.example", { macaroon: "AgE=", preimage: "ab".repeat(32), services: ["svc"], paidMsat: "1000", createdAt: 1_800_000_000 });
    const list = await cli(["tokens", "list", "--token-dir", dir]);
    expect(JSON.parse(list.stdout)).toEqual([{ origin: "https://api.example", tokens: [{ services: ["svc"], paidMsat: "1000", createdAt: "2027-01-15T08:00:00.000Z" }] }]);
    const show = await cli(["tokens", "show", "https://api.example/any/path", "--token-dir", dir]);
    expect(JSON.parse(show.stdout)).toMatchObject({ origin: "https://api.example", tokens: [{ preimage: "ab".repeat(32) }] });
    expect((await cli(["tokens", "rm", "https://api.example", "--token-dir", dir])).code).toBe(0);
    expect(JSON.parse((await cli(["tokens", "list", "--token-dir", dir])).stdout)).toEqual([]);
    expect((await cli(["tokens", "show", "https://api.example", "--token-dir", dir])).code).toBe(2);
  });
});
