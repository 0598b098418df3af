import { fetch402, fetchWithL402, fetchWithMpp } from "@getalby/lightning-tools/402";
import { fetchWithX402 } from "@getalby/lightning-tools/402/x402";
import { decodePaymentResponseHeader, decodePaymentSignatureHeader } from "@x402/core/http";
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
 * L402 client, its Payment-scheme client and its x402 client each pay the
 * same paywall.
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
        { name: "xdual", match: ["/xdual/*"], price_sats: 3, schemes: ["l402", "x402"], origin: { url: origin.url } },
        { name: "xonly", match: ["/xonly/*"], price_msat: 2500, schemes: ["x402"], origin: { url: origin.url } },
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

const originHits = async (prefix: string): Promise<number> => ((await (await fetch(`${origin.url}/_origin/hits?prefix=${encodeURIComponent(prefix)}`)).json()) as { count: number }).count;

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

  it("Alby's fetch402 pays an x402-only service's Lightning entry (the invoice, no preimage: the node is asked); the payment buys one request", async () => {
    const path = `/xonly/${crypto.randomUUID()}`;
    const response = await fetch402(`${worker.url}${path}`, {}, { wallet });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { path: string }).path).toBe(path);
    const credentials = response.payment?.credentials;
    expect(credentials?.header).toBe("payment-signature");
    // What Alby sent: the entry it accepted and the invoice, not the preimage.
    const sent = decodePaymentSignatureHeader(credentials?.value ?? "");
    expect(sent.payload).toEqual({ invoice: sent.accepted.extra["invoice"] });
    expect(decodePaymentResponseHeader(response.headers.get("payment-response") ?? "")).toEqual({ success: true, transaction: sent.accepted.extra["paymentHash"], network: "bip122:0f9188f13cb7b2c71f2a335e3a4fc328" });
    // 2500 msat: the entry's amount and the invoice's, which Alby checks before paying.
    expect(response.payment).toMatchObject({ paid: true, amountSat: 2.5 });
    // Presented again (Alby's `credentials` option never pays twice): refused, with the reason.
    const again = await fetch402(`${worker.url}${path}`, {}, { wallet, ...(credentials === undefined ? {} : { credentials }) });
    expect(again.status).toBe(402);
    expect(await again.json()).toMatchObject({ reason: "spent" });
    expect(await originHits(path)).toBe(1);
  });

  it("on a service that offers L402 too, Alby's fetch402 pays L402 (its first choice) and fetchWithX402 the x402 entry", async () => {
    const viaL402 = await fetch402(`${worker.url}/xdual/${crypto.randomUUID()}`, {}, { wallet });
    expect(viaL402.status).toBe(200);
    expect(viaL402.payment?.credentials.value).toMatch(/^L402 /);
    const response = await fetchWithX402(`${worker.url}/xdual/${crypto.randomUUID()}`, {}, { wallet });
    expect(response.status).toBe(200);
    expect(response.headers.get("payment-response")).not.toBeNull();
    expect(response.payment?.credentials.header).toBe("payment-signature");
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
    expect(listed.stdout.split("\n")).toEqual([
      "dual\t/dual/*\t4 sats\tl402+mpp\tAccess for 1 hour.",
      "charge\t/charge/*\t2 sats\tmpp\tAccess without expiry.",
      "xdual\t/xdual/*\t3 sats\tl402+x402\tAccess without expiry.",
      "xonly\t/xonly/*\t2.5 sats\tx402\tAccess without expiry.",
      "",
    ]);
    const json = await cli(["get", "--discover", worker.url, "--json"]);
    expect(JSON.parse(json.stdout)).toMatchObject({ version: "1", service: { name: "Interop" } });
    const none = await cli(["get", "--discover", origin.url]);
    expect(none.code).toBe(8);
    expect(none.stderr).toMatch(/publishes no \/\.well-known\/l402-services, \/\.well-known\/l402\.json or \/openapi\.json/);
  });

  it("get --discover --json prints a deeply nested document compact, as long as it came (indented, these 40 KB would print 40 MB)", async () => {
    const nested = `{"routes":[],"x":[${Array.from({ length: 20 }, () => `${"[".repeat(1000)}${"]".repeat(1000)}`).join(",")}]}`;
    const deep = createServer((_request, response) => response.writeHead(200, { "Content-Type": "application/json" }).end(nested));
    await new Promise<void>((resolve) => deep.listen(0, "127.0.0.1", resolve));
    try {
      const printed = await cli(["get", "--discover", `http://127.0.0.1:${(deep.address() as AddressInfo).port}/`, "--json"]);
      expect(printed.code, printed.stderr).toBe(0);
      expect(printed.stdout).toBe(`${nested}\n`);
    } finally {
      await new Promise((resolve) => deep.close(resolve));
    }
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
      // The manifest lists what L402 pays for; OpenAPI, every service.
      const rows = ["dual\tGET /dual/{rest}\t4 sats\tl402+mpp\t", "xdual\tGET /xdual/{rest}\t3 sats\tl402+x402\t", ""];
      const [fromManifest, fromOpenApi, fromLink] = await Promise.all(hosts.map((host, i) => cli(["get", "--discover", `${host.url}${i === 2 ? "/paid" : "/"}`])));
      expect(fromManifest?.stdout.split("\n")).toEqual(rows);
      expect(fromLink?.stdout.split("\n")).toEqual(rows);
      expect(fromOpenApi?.stdout.split("\n")).toEqual(["dual\tGET /dual/{rest}\t4 sats\tl402+mpp\tAccess for 1 hour.", "charge\tGET /charge/{rest}\t2 sats\tmpp\tAccess without expiry.", "xdual\tGET /xdual/{rest}\t3 sats\tl402+x402\tAccess without expiry.", "xonly\tGET /xonly/{rest}\t2.5 sats\tx402\tAccess without expiry.", ""]);
      const json = await cli(["get", "--discover", `${hosts[2]?.url}/paid`, "--json"]);
      expect(JSON.parse(json.stdout)).toMatchObject({ version: "1.0", provider: { name: "Interop" } });
    } finally {
      await Promise.all(hosts.map((host) => host.close()));
    }
  });

  it("get --discover shows a price that is not a whole msat amount (1.5, -1) as none, and lists the rest: a host's document is its word, not an error of the connection", async () => {
    const manifest = JSON.parse(await (await fetch(`${worker.url}/.well-known/l402.json`)).text()) as { services: { resources: { pricing: { price_msat?: unknown } }[] }[] };
    const odd = [1.5, -1];
    manifest.services.forEach((service, i) => {
      for (const resource of service.resources) resource.pricing.price_msat = odd[i % odd.length];
    });
    const host = await oneDocumentHost((path) => (path === "/.well-known/l402.json" ? [200, {}, JSON.stringify(manifest)] : [404, {}, ""]));
    try {
      const listed = await cli(["get", "--discover", `${host.url}/`]);
      expect(listed.code).toBe(0);
      expect(listed.stdout.split("\n")).toEqual(["dual\tGET /dual/{rest}\t\tl402+mpp\t", "xdual\tGET /xdual/{rest}\t\tl402+x402\t", ""]);
    } finally {
      await host.close();
    }
  });

  it("get --discover gives up on a host that trickles its document (--max-time; 30 s unless given): exit 5, saying so", async () => {
    const server = createServer((_request, response) => {
      response.writeHead(200, { "Content-Type": "application/json" }).write("{");
      const drip = setInterval(() => response.write(" "), 200);
      response.on("close", () => clearInterval(drip));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      const result = await cli(["get", "--discover", url, "--max-time", "1"]);
      expect(result.code).toBe(5);
      expect(result.stderr).toContain("no answer within 1 s (--max-time)");
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it("get --discover prints a host's control characters as U+FFFD: no forged cell or row, no escape sequence reaching the terminal", async () => {
    const manifest = JSON.parse(await (await fetch(`${worker.url}/.well-known/l402.json`)).text()) as { services: { name: string }[] };
    manifest.services = manifest.services.slice(0, 1);
    const [service] = manifest.services;
    if (service === undefined) throw new Error("the Worker's manifest lists no service");
    service.name = "a\tb\nfree\u001b]52;c;cGF5\u0007\u009b2J\u202ecba\u2028";
    const host = await oneDocumentHost((path) => (path === "/.well-known/l402.json" ? [200, {}, JSON.stringify(manifest)] : [404, {}, ""]));
    try {
      const listed = await cli(["get", "--discover", `${host.url}/`]);
      expect(listed.code).toBe(0);
      const rows = listed.stdout.split("\n");
      expect(rows).toHaveLength(2);
      expect(rows[0]?.split("\t")[0]).toBe("a\ufffdb\ufffdfree\ufffd]52;c;cGF5\ufffd\ufffd2J\ufffdcba\ufffd");
      expect(listed.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    } finally {
      await host.close();
    }
  });
});
