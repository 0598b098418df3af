import { fetchWithL402, fetchWithMpp } from "@getalby/lightning-tools/402";
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalWorker, type LocalWorker } from "../../dev/local-worker.ts";
import { payInvoice } from "../../dev/lnd-sim/payer.ts";
import { startSimulator, type Simulator } from "../../dev/lnd-sim/server.ts";
import { startTestOrigin, type TestOrigin } from "../setup/origin.ts";
import { useScratchDirs } from "../setup/scratch-dirs.ts";

const scratchDir = useScratchDirs();

/**
 * Clients that are not this project's, and its command line, against the
 * template Worker in workerd (its real Durable Objects) over sockets: Alby's
 * L402 client and its Payment-scheme client each pay the same paywall.
 */
const BIN = fileURLToPath(new URL("../../bin/l402-edge.js", import.meta.url));
let sim: Simulator;
let origin: TestOrigin;
let worker: LocalWorker;

beforeAll(async () => {
  sim = await startSimulator();
  origin = await startTestOrigin();
  worker = await startLocalWorker({
    vars: {
      LND_REST_URL: sim.url,
      L402_NETWORK: "regtest",
      L402_SERVICE_NAME: "Interop",
      L402_SERVICES: JSON.stringify([
        { name: "dual", match: ["/dual/*"], price_sats: 4, timeout: 3600, schemes: ["l402", "mpp"], origin: { url: origin.url } },
        { name: "charge", match: ["/charge/*"], price_sats: 2, schemes: ["mpp"], origin: { url: origin.url } },
      ]),
    },
    secrets: { L402_MASTER_KEYS: "5a".repeat(32), LND_MACAROON: sim.paywallMacaroonHex },
  });
}, 60_000);
afterAll(async () => {
  await worker?.close();
  await Promise.all([sim?.close(), origin?.close()]);
});

/** A host on a local socket answering each path as `answer` says. */
async function oneDocumentHost(answer: (path: string) => [number, Record<string, string>, string]): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((request, response) => {
    const [status, headers, body] = answer(new URL(request.url ?? "/", "http://host").pathname);
    response.writeHead(status, { "Content-Type": "application/json", ...headers }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Alby's wallet interface, paying through the simulator. */
const wallet = {
  payInvoice: async ({ invoice }: { invoice: string }) => {
    const paid = await payInvoice({ url: sim.url, macaroonHex: sim.adminMacaroonHex }, invoice);
    if (paid.status !== "SUCCEEDED") throw new Error(`not paid: ${paid.status}`);
    return { preimage: paid.preimageHex as string };
  },
};

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, LND_REST_URL: sim.url, LND_MACAROON: sim.adminMacaroonHex } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("independent clients against one paywall", () => {
  it("Alby's L402 client (fetchWithL402) pays the service that offers both schemes", async () => {
    const response = await fetchWithL402(`${worker.url}/dual/l402`, {}, { wallet });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { path: string }).path).toBe("/dual/l402");
  });

  it("Alby's Payment client (fetchWithMpp) pays a Payment-scheme charge, and gets a receipt", async () => {
    const response = await fetchWithMpp(`${worker.url}/charge/mpp`, {}, { wallet });
    expect(response.status).toBe(200);
    expect(response.headers.get("payment-receipt")).toMatch(/^[\w-]+$/);
    expect(((await response.json()) as { path: string }).path).toBe("/charge/mpp");
  });
});

describe("the command line and the Payment scheme", () => {
  it("get pays a Payment-only service's charge and says it bought one request", async () => {
    const tokens = scratchDir("l402-payment-");
    const result = await cli(["get", `${worker.url}/charge/cli`, "--json", "--token-dir", tokens]);
    expect(result.code, result.stderr).toBe(0);
    const answer = JSON.parse(result.stdout) as { status: number; paid: { sats: number; scheme: string } };
    expect(answer).toMatchObject({ status: 200, paid: { sats: 2, scheme: "payment" } });
    // Nothing kept to reuse: a charge buys one request.
    const list = await cli(["tokens", "list", "--token-dir", tokens]);
    expect(list.stdout).not.toContain(worker.url);
  });

  it("get --discover lists what the host sells; a host without the document exits 8", async () => {
    const listed = await cli(["get", "--discover", `${worker.url}/anything`]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout.split("\n")).toEqual(["dual\t/dual/*\t4 sats\tl402+mpp\tAccess for 1 hour.", "charge\t/charge/*\t2 sats\tmpp\tAccess without expiry.", ""]);
    const json = await cli(["get", "--discover", worker.url, "--json"]);
    expect(JSON.parse(json.stdout)).toMatchObject({ version: "1", service: { name: "Interop" } });
    const none = await cli(["get", "--discover", origin.url]);
    expect(none.code).toBe(8);
    expect(none.stderr).toMatch(/publishes no \/\.well-known\/l402-services, \/\.well-known\/l402\.json or \/openapi\.json/);
  });

  it("get --discover reads the L402 manifest, OpenAPI, and the manifest a 402 links, where a host publishes only one", async () => {
    const manifest = await (await fetch(`${worker.url}/.well-known/l402.json`)).text();
    const openapi = await (await fetch(`${worker.url}/openapi.json`)).text();
    const challenge = await fetch(`${worker.url}/dual/x`);
    const link = challenge.headers.get("link") ?? "";
    await challenge.body?.cancel();
    expect(link).toBe(`<${worker.url}/.well-known/l402.json>; rel="l402-manifest"`);
    // Three hosts, each with one of the shapes: the manifest, OpenAPI, or only a 402 linking the Worker's manifest.
    const hosts = await Promise.all([
      oneDocumentHost((path) => (path === "/.well-known/l402.json" ? [200, {}, manifest] : [404, {}, ""])),
      oneDocumentHost((path) => (path === "/openapi.json" ? [200, {}, openapi] : [404, {}, ""])),
      oneDocumentHost((path) => (path === "/paid" ? [402, { Link: `<${worker.url}/.well-known/l402.json>; rel="l402-manifest"` }, "{}"] : [404, {}, ""])),
    ]);
    try {
      const rows = ["dual\tGET /dual/{rest}\t4 sats\tl402+mpp\t", ""];
      const [fromManifest, fromOpenApi, fromLink] = await Promise.all(hosts.map((host, i) => cli(["get", "--discover", `${host.url}${i === 2 ? "/paid" : "/"}`])));
      expect(fromManifest?.stdout.split("\n")).toEqual(rows);
      expect(fromLink?.stdout.split("\n")).toEqual(rows);
      expect(fromOpenApi?.stdout.split("\n")).toEqual(["dual\tGET /dual/{rest}\t4 sats\tl402+mpp\tAccess for 1 hour.", "charge\tGET /charge/{rest}\t2 sats\tmpp\tAccess without expiry.", ""]);
      const json = await cli(["get", "--discover", `${hosts[2]?.url}/paid`, "--json"]);
      expect(JSON.parse(json.stdout)).toMatchObject({ version: "1.0", provider: { name: "Interop" } });
    } finally {
      await Promise.all(hosts.map((host) => host.close()));
    }
  });
});
