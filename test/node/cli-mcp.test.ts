import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { Hono } from "hono";
import type { Miniflare } from "miniflare";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../../dev/lnd-sim/server.ts";
import { bundleWorker, startWorkerd } from "../../dev/workerd.ts";
import { l402Paywall, memoryPorts } from "../../src/index.ts";
import { createKeyring } from "../../src/l402/index.ts";
import { lndRestBackend } from "../../src/lightning/index.ts";
import { startTestOrigin, type TestOrigin } from "../setup/origin.ts";
import { useScratchDirs } from "../setup/scratch-dirs.ts";

/**
 * `l402-edge mcp` driven by the MCP SDK's own client over stdio, as an agent
 * host starts it: the bundled Worker in workerd in front of a test origin, the
 * LND simulator as both the paywall's node and the wallet.
 */
const scratchDir = useScratchDirs();
const BIN = fileURLToPath(new URL("../../bin/l402-edge.js", import.meta.url));
const MEMO = "cli-mcp";

let sim: Simulator;
let origin: TestOrigin;
let worker: { mf: Miniflare; url: URL };
const clients: Client[] = [];

beforeAll(async () => {
  [sim, origin] = await Promise.all([startSimulator(), startTestOrigin()]);
  worker = await startWorkerd(await bundleWorker(new URL("../../src/worker/index.ts", import.meta.url)), {
    L402_MASTER_KEYS: "7a".repeat(32),
    LND_REST_URL: sim.url,
    LND_MACAROON: sim.paywallMacaroonHex,
    L402_NETWORK: "regtest",
    L402_CHALLENGE_CACHE_SECONDS: "0",
    L402_MEMO: `${MEMO} {service}`,
    L402_SERVICES: JSON.stringify([
      { name: "alpha", match: ["/alpha/*"], price_sats: 10, origin: { url: origin.url } },
      { name: "beta", match: ["/beta/*"], price_sats: 10, origin: { url: origin.url } },
      // The Payment scheme only: each charge buys one request (its use counted by the meter).
      { name: "charge", match: ["/charge/*"], price_sats: 3, uses: 1, schemes: ["mpp"], origin: { url: origin.url } },
      // x402's Lightning entry only: each payment buys one request (single use through L402_SPENT; a payment naming its invoice only is checked through L402_LOOKUPS).
      { name: "xpay", match: ["/xpay/*"], price_sats: 4, schemes: ["x402"], origin: { url: origin.url } },
      // A balance whose default credit (1 sat) is short of a request (2 sats): the token bought is answered balance_short, a top-up offered.
      { name: "short", match: ["/short/*"], price_sats: 2, balance: { amounts_sats: [1, 10] }, origin: { url: origin.url } },
      // Short even after a top-up (3 sats a request, 1 sat of credit a payment).
      { name: "shorter", match: ["/shorter/*"], price_sats: 3, balance: { amounts_sats: [1] }, origin: { url: origin.url } },
    ]),
  }, { durableObjects: { L402_METER: "TokenMeter", L402_LOOKUPS: { className: "InvoiceLookupGate", useSQLite: true }, L402_SPENT: { className: "SpentChargeShard", useSQLite: true }, L402_BALANCES: "TokenBalance" } });
}, 60_000);

afterAll(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await worker?.mf.dispose();
  await Promise.all([sim?.close(), origin?.close()]);
});

/** The wallet as a host would start it: `node bin/l402-edge.js mcp`, its settings in the environment; the Worker is on this machine (--allow-private-network). */
async function wallet(dir: string, env: Record<string, string>, args: readonly string[] = ["--allow-private-network"]): Promise<Client> {
  const client = new Client({ name: "test-host", version: "1.0.0" });
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [BIN, "mcp", ...args],
      env: { PATH: process.env["PATH"] ?? "", LND_REST_URL: sim.url, LND_MACAROON: sim.adminMacaroonHex, L402_TOKEN_DIR: dir, ...env },
      stderr: "pipe",
    }),
  );
  clients.push(client);
  return client;
}

type ToolResult = { isError?: boolean; content: { type: string; text: string }[] };
const call = async (client: Client, name: string, args: Record<string, unknown> = {}) => (await client.callTool({ name, arguments: args })) as ToolResult;
const json = (result: ToolResult) => JSON.parse(result.content[0]?.text ?? "null") as Record<string, unknown>;

/** The invoices the Worker issued, in order, as the node sees them. */
async function invoices(): Promise<{ memo: string; state: string }[]> {
  const response = await fetch(`${sim.url}/v1/invoices?num_max_invoices=100000`, { headers: { "Grpc-Metadata-macaroon": sim.adminMacaroonHex } });
  const { invoices: all } = (await response.json()) as { invoices: { memo: string; state: string }[] };
  return all.filter((invoice) => invoice.memo.startsWith(MEMO)).map(({ memo, state }) => ({ memo, state }));
}

describe("l402-edge mcp", () => {
  it("lists its tools; fetch_paid pays an L402 service within budget and reuses the token; refuses beyond a window, naming it; balance and spent", async () => {
    const dir = scratchDir("l402-mcp-");
    const client = await wallet(dir, { L402_MAX_PER_HOUR: "15" });
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(["fetch_paid", "discover", "balance", "spent"]);
    // An agent picks the tool by its description: it names every scheme paid.
    expect(tools[0]?.description).toMatch(/L402 token.*Payment-scheme charge.*x402 payment over Lightning/);

    const first = await call(client, "fetch_paid", { url: `${worker.url.origin}/alpha/1`, max_sats: 12 });
    expect(first.isError).toBeFalsy();
    expect(json(first)).toMatchObject({ status: 200, paid: [{ sats: 10, fee_sats: 0, scheme: "l402", services: ["alpha"] }] });
    expect(JSON.parse(json(first)["body"] as string)).toMatchObject({ path: "/alpha/1" });
    const again = await call(client, "fetch_paid", { url: `${worker.url.origin}/alpha/2` });
    expect(json(again)).toMatchObject({ status: 200, paid: [] });

    const before = (await invoices()).length;
    const refused = await call(client, "fetch_paid", { url: `${worker.url.origin}/beta/1` });
    expect(refused).toMatchObject({ isError: true, content: [{ type: "text", text: "over_window: paying 10 sats would exceed the per-hour window (the last 60 minutes) limit of 15 sats (10 spent); nothing was paid" }] });
    expect((await invoices()).slice(before)).toEqual([{ memo: `${MEMO} beta`, state: "OPEN" }]);
    // max_sats below the price: refused by the per-call budget before any window.
    expect((await call(client, "fetch_paid", { url: `${worker.url.origin}/beta/1`, max_sats: 5 })).content[0]?.text).toBe("over_budget: the price is 10 sats, above the limit of 5");

    const [held] = json(await call(client, "balance")) as unknown as { origin: string; tokens: Record<string, unknown>[] }[];
    expect(held).toEqual({ origin: worker.url.origin, tokens: [{ services: ["alpha"], paidMsat: "10000", createdAt: expect.any(String) }] });
    expect(JSON.stringify(held)).not.toMatch(/preimage|macaroon/);
    expect(json(await call(client, "spent"))).toEqual([
      { window: "per-hour", spent_sats: 10, limit_sats: 15 },
      { window: "per-day", spent_sats: 10, limit_sats: null },
      { window: "per-host", host: worker.url.host, spent_sats: 10, limit_sats: null },
    ]);
  });

  it("paid and still answered 402: an error saying what was paid and not to call again, whether the 402 has a challenge (a server taking payment for nothing) or not (the origin's own)", async () => {
    // A server that sells a real token, then answers its paid request with a new challenge: every call the agent makes would pay again.
    const app = new Hono();
    app.use("/*", l402Paywall({ service: { name: "nothing", price_sats: 7 }, keyring: createKeyring(new Uint8Array(32).fill(9)), backend: lndRestBackend({ url: sim.url, macaroonHex: sim.paywallMacaroonHex, network: "regtest", timeoutMs: 2000 }), ports: memoryPorts(), log: false }));
    const hostile = createServer((request, response) => {
      void Promise.resolve(app.request(request.url ?? "/")).then(async (unpaid: Response) => {
        response.writeHead(unpaid.status, Object.fromEntries(unpaid.headers)).end(await unpaid.text());
      });
    });
    await new Promise<void>((resolve) => hostile.listen(0, "127.0.0.1", resolve));
    try {
      const client = await wallet(scratchDir("l402-mcp-"), {});
      const taken = await call(client, "fetch_paid", { url: `http://127.0.0.1:${(hostile.address() as AddressInfo).port}/x` });
      expect(taken.isError).toBe(true);
      expect(taken.content[0]?.text).toMatch(/^paid_but_refused: 7 sats paid to http:\/\/127\.0\.0\.1:\d+ \(routing fees included\), and it still answers 402 \(missing\): do not call it again for this request; what was paid stays paid$/);
      expect((taken as { structuredContent?: Record<string, unknown> }).structuredContent).toMatchObject({ error: "paid_but_refused", status: 402, reason: "missing", paid: [{ sats: 7, scheme: "l402", services: ["nothing"] }] });
      // The origin's own 402 to the paid request reaches the client without a challenge: the error it is says what was paid.
      const own = await call(client, "fetch_paid", { url: `${worker.url.origin}/alpha/refuse?answer_status=402` });
      expect(own.isError).toBe(true);
      expect(own.content[0]?.text).toMatch(/; 10 sats were paid in this call \(routing fees included\) and stay paid: do not call it again for this request$/);
      expect((own as { structuredContent?: Record<string, unknown> }).structuredContent).toMatchObject({ paid: [{ sats: 10, services: ["alpha"] }] });
      // A new token whose default credit is short of the request: its 402 offers a top-up of it, which the next call pays (a call pays once), so it is an answer, not that error.
      const short = await call(client, "fetch_paid", { url: `${worker.url.origin}/short/a` });
      expect(short.isError).toBeFalsy();
      expect(json(short)).toMatchObject({ status: 402, paid: [{ sats: 1, services: ["short"] }] });
      expect(JSON.parse(json(short)["body"] as string)).toMatchObject({ reason: "balance_short" });
      expect(json(await call(client, "fetch_paid", { url: `${worker.url.origin}/short/a` }))).toMatchObject({ status: 200, paid: [{ sats: 1, services: ["short"], top_up: true }] });
      // Only a new token's: a top-up paid and still short is that error (a server can say balance_short as often as it likes).
      expect((await call(client, "fetch_paid", { url: `${worker.url.origin}/shorter/a` })).isError).toBeFalsy();
      const topped = await call(client, "fetch_paid", { url: `${worker.url.origin}/shorter/a` });
      expect(topped.isError).toBe(true);
      expect((topped as { structuredContent?: Record<string, unknown> }).structuredContent).toMatchObject({ error: "paid_but_refused", reason: "balance_short", paid: [{ sats: 1, top_up: true }] });
      // The tools say what they do to the agent's host: fetch_paid spends and may change things (neither read-only nor idempotent); the others only read.
      const { tools } = await client.listTools();
      expect(tools.map((tool) => [tool.name, tool.annotations?.readOnlyHint, tool.annotations?.idempotentHint])).toEqual([
        ["fetch_paid", false, false],
        ["discover", true, undefined],
        ["balance", true, undefined],
        ["spent", true, undefined],
      ]);
    } finally {
      hostile.close();
    }
  });

  it("pays a Payment-scheme-only service, one charge per call; max_sats cannot raise the wallet's --max-cost", async () => {
    const dir = scratchDir("l402-mcp-");
    const client = await wallet(dir, { L402_MAX_COST: "4" });
    const url = `${worker.url.origin}/charge/x`;
    for (let i = 0; i < 2; i++) {
      const result = await call(client, "fetch_paid", { url, method: "POST", body: "hello", max_sats: 1000 });
      expect(json(result)).toMatchObject({ status: 200, paid: [{ sats: 3, scheme: "payment", services: [] }] });
      expect(JSON.parse(json(result)["body"] as string)).toMatchObject({ method: "POST", path: "/charge/x" });
    }
    expect((await invoices()).filter((invoice) => invoice.memo === `${MEMO} charge` && invoice.state === "SETTLED")).toHaveLength(2);
    // No window named: a day's is ten calls at --max-cost (an agent looping on a paid tool stops there).
    expect(json(await call(client, "spent"))).toMatchObject([
      { window: "per-hour", spent_sats: 6, limit_sats: null },
      { window: "per-day", spent_sats: 6, limit_sats: 40 },
      { window: "per-host", spent_sats: 6 },
    ]);
    expect((await call(client, "fetch_paid", { url: `${worker.url.origin}/alpha/1`, max_sats: 1000 })).content[0]?.text).toBe("over_budget: the price is 10 sats, above the limit of 4");
  });

  it("pays an x402-only service within budget, one payment per call, and refuses beyond a window, naming it", async () => {
    const dir = scratchDir("l402-mcp-");
    const client = await wallet(dir, { L402_MAX_PER_HOUR: "10" });
    const settledX402 = async () => (await invoices()).filter((invoice) => invoice.memo === `${MEMO} xpay` && invoice.state === "SETTLED").length;
    const before = await settledX402();
    for (const n of [1, 2]) {
      const result = await call(client, "fetch_paid", { url: `${worker.url.origin}/xpay/${n}`, max_sats: 5 });
      expect(json(result)).toMatchObject({ status: 200, paid: [{ sats: 4, fee_sats: 0, scheme: "x402", services: [] }] });
      expect(JSON.parse(json(result)["body"] as string)).toMatchObject({ path: `/xpay/${n}` });
      const receipt = JSON.parse(atob((json(result)["headers"] as Record<string, string>)["payment-response"] ?? "")) as Record<string, unknown>;
      expect(receipt).toMatchObject({ success: true, transaction: expect.stringMatching(/^[0-9a-f]{64}$/) });
    }
    expect(await settledX402()).toBe(before + 2);
    // 8 sats spent in the hour: a third payment of 4 would exceed 10.
    const refused = await call(client, "fetch_paid", { url: `${worker.url.origin}/xpay/3` });
    expect(refused).toMatchObject({ isError: true, content: [{ type: "text", text: "over_window: paying 4 sats would exceed the per-hour window (the last 60 minutes) limit of 10 sats (8 spent); nothing was paid" }] });
    expect(await settledX402()).toBe(before + 2);
    expect(await (await fetch(`${origin.url}/_origin/hits?prefix=/xpay/3`)).json()).toEqual({ count: 0 });
    // max_sats below the price: refused by the per-call budget.
    expect((await call(client, "fetch_paid", { url: `${worker.url.origin}/xpay/4`, max_sats: 3 })).content[0]?.text).toBe("over_budget: the price is 4 sats, above the limit of 3");
  });

  it("discover says what the host sells; bad arguments are a tool error, not a crash", async () => {
    const client = await wallet(scratchDir("l402-mcp-"), {});
    const found = json(await call(client, "discover", { url: `${worker.url.origin}/anything` }));
    expect((found["routes"] as { service: string }[]).map((route) => route.service)).toEqual(["alpha", "beta", "charge", "xpay", "short", "shorter"]);
    const bad = await call(client, "fetch_paid", { url: "file:///etc/passwd" });
    expect(bad).toMatchObject({ isError: true });
    expect(bad.content[0]?.text).toMatch(/^invalid arguments: url /);
    expect(await call(client, "fetch_paid", { url: `${worker.url.origin}/alpha/1`, max_sats: -1 })).toMatchObject({ isError: true });
  });

  it("without --allow-private-network, neither tool reaches this machine: refused unsent, nothing paid", async () => {
    const client = await wallet(scratchDir("l402-mcp-"), {}, []);
    const before = (await invoices()).length;
    for (const [tool, url] of [["fetch_paid", `${worker.url.origin}/alpha/1`], ["discover", `${worker.url.origin}/`], ["fetch_paid", `http://localhost:${worker.url.port}/alpha/1`]] as const) {
      const refused = await call(client, tool, { url });
      expect(refused.isError, `${tool} ${url}`).toBe(true);
      expect(refused.content[0]?.text).toMatch(/^network: (127\.0\.0\.1|localhost) is at (127\.0\.0\.1|::1), on this machine or a private network: the wallet fetches only public addresses \(--allow-private-network\)$/);
    }
    // Nothing reached the Worker: no 402, so no invoice.
    expect((await invoices()).length).toBe(before);
  });

  it("calls racing to one service share one purchase: one payment, reported by the call that made it", async () => {
    const client = await wallet(scratchDir("l402-mcp-"), {});
    const settled = async () => (await invoices()).filter((invoice) => invoice.memo === `${MEMO} beta` && invoice.state === "SETTLED").length;
    const before = await settled();
    const results = await Promise.all([1, 2, 3].map((n) => call(client, "fetch_paid", { url: `${worker.url.origin}/beta/race-${n}` })));
    expect(results.map((result) => json(result)["status"])).toEqual([200, 200, 200]);
    expect(await settled()).toBe(before + 1);
    expect(results.map((result) => (json(result)["paid"] as unknown[]).length).sort()).toEqual([0, 0, 1]);
  });

  it("two wallets at once share the windows: against one that fits one payment, exactly one pays", async () => {
    const dir = scratchDir("l402-mcp-");
    const [a, b] = await Promise.all([wallet(dir, { L402_MAX_PER_DAY: "15" }), wallet(dir, { L402_MAX_PER_DAY: "15" })]);
    const before = (await invoices()).length;
    const results = await Promise.all([call(a as Client, "fetch_paid", { url: `${worker.url.origin}/alpha/1` }), call(b as Client, "fetch_paid", { url: `${worker.url.origin}/beta/1` })]);
    expect(results.map((result) => result.isError === true).sort()).toEqual([false, true]);
    expect(results.find((result) => result.isError)?.content[0]?.text).toMatch(/^over_window: .* per-day window/);
    expect((await invoices()).slice(before).filter((invoice) => invoice.state === "SETTLED")).toHaveLength(1);
  });
});

describe("l402-edge mcp against a hostile host", () => {
  /** A host that sends without end (a body, its discovery document) or never answers (/hang), and records what was asked and which connections closed. */
  const server = createServer((request, response) => {
    asked.push(request.url ?? "");
    request.socket.on("close", () => closed.push(request.url ?? ""));
    if (request.url === "/hang") return;
    response.writeHead(200, { "Content-Type": "application/json" });
    const chunk = Buffer.alloc(64 * 1024, "[");
    const send = () => {
      while (response.write(chunk));
      response.once("drain", send);
    };
    send();
  });
  const asked: string[] = [];
  const closed: string[] = [];
  /** A host that never answers anything, its discovery document included. */
  const silent = createServer((request) => request.socket.on("close", () => silentClosed.push(request.url ?? "")));
  const silentClosed: string[] = [];
  let host: string;
  let silentHost: string;
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    host = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    silentHost = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const each of [server, silent]) each.closeAllConnections();
    await Promise.all([server, silent].map((each) => new Promise((resolve) => each.close(resolve))));
  });

  it("a body without end: fetch_paid returns its first 256 KiB, marked truncated, and stops reading; a discovery document without end is no document", async () => {
    const client = await wallet(scratchDir("l402-mcp-"), {});
    const result = await call(client, "fetch_paid", { url: `${host}/endless` });
    expect(result.isError).toBeFalsy();
    expect(json(result)).toMatchObject({ status: 200, truncated: true, paid: [] });
    expect(json(result)["body"]).toBe("[".repeat(256 * 1024));
    await expect.poll(() => closed.includes("/endless")).toBe(true);
    expect(await call(client, "discover", { url: host })).toMatchObject({ isError: true, content: [{ text: `${host} publishes no /.well-known/l402-services (HTTP 200)` }] });
    await expect.poll(() => closed.includes("/.well-known/l402-services")).toBe(true);
  });

  it("a deeply nested discovery document is answered as compact JSON, no longer than it came (indented, these 40 KB would make 40 MB)", async () => {
    const nested = `{"routes":[],"x":[${Array.from({ length: 20 }, () => `${"[".repeat(1000)}${"]".repeat(1000)}`).join(",")}]}`;
    const deep = createServer((_request, response) => response.writeHead(200, { "Content-Type": "application/json" }).end(nested));
    await new Promise<void>((resolve) => deep.listen(0, "127.0.0.1", resolve));
    try {
      const client = await wallet(scratchDir("l402-mcp-"), {});
      const result = await call(client, "discover", { url: `http://127.0.0.1:${(deep.address() as AddressInfo).port}/` });
      expect(result.isError).toBeFalsy();
      expect((result.content as { text: string }[])[0]?.text).toBe(nested);
    } finally {
      deep.closeAllConnections();
      await new Promise((resolve) => deep.close(resolve));
    }
  });

  it("a call the agent's host cancels stops its request: the connection to a host that never answers is closed", async () => {
    const client = await wallet(scratchDir("l402-mcp-"), {});
    const cancel = new AbortController();
    const calling = client.callTool({ name: "fetch_paid", arguments: { url: `${host}/hang` } }, undefined, { signal: cancel.signal });
    await expect.poll(() => asked.includes("/hang")).toBe(true);
    cancel.abort();
    await expect(calling).rejects.toThrow();
    await expect.poll(() => closed.includes("/hang")).toBe(true);
    // The wallet still answers.
    expect((await call(client, "spent")).isError).toBeFalsy();
  });

  it("--max-time bounds each call: a host that never answers is refused as a timeout, for fetch_paid and for discover", async () => {
    const client = await wallet(scratchDir("l402-mcp-"), {}, ["--allow-private-network", "--max-time", "1"]);
    const hangsClosed = closed.filter((url) => url === "/hang").length;
    expect(await call(client, "fetch_paid", { url: `${host}/hang` })).toMatchObject({ isError: true, content: [{ text: `no complete answer from ${host} within 1 s (--max-time)` }] });
    expect(await call(client, "discover", { url: `${silentHost}/anything` })).toMatchObject({ isError: true, content: [{ text: `${silentHost} sent no /.well-known/l402-services within 1 s` }] });
    // Both requests were given up: their connections closed.
    await expect.poll(() => closed.filter((url) => url === "/hang").length).toBe(hangsClosed + 1);
    await expect.poll(() => silentClosed).toEqual(["/.well-known/l402-services"]);
  });

  /**
   * A wallet whose calls give up after 2 s, its node 4 s slow to make a
   * payment: `timeOut` runs calls that time out; then the token bought is used
   * once paid, never paid again (one invoice settled).
   */
  async function slowPaymentOutlived(timeOut: (client: Awaited<ReturnType<typeof wallet>>) => Promise<void>): Promise<void> {
    const client = await wallet(scratchDir("l402-mcp-"), {}, ["--allow-private-network", "--max-time", "2", "--pay-timeout", "120"]);
    const settled = async () => (await invoices()).filter((invoice) => invoice.state === "SETTLED").length;
    const before = await settled();
    const faults = `${sim.url}/_sim/faults`;
    await fetch(faults, { method: "POST", body: JSON.stringify({ latencyMs: 4000, paths: ["/v2/router/send"] }) });
    try {
      await timeOut(client);
      // The payment goes on in the wallet (the process serves on); once made, its token is kept whole and used.
      await expect.poll(async () => json(await call(client, "fetch_paid", { url: `${worker.url}alpha/after` })), { timeout: 15_000, interval: 500 }).toMatchObject({ status: 200, paid: [] });
      expect(await settled()).toBe(before + 1);
    } finally {
      await fetch(faults, { method: "DELETE" });
    }
  }
  const mayComplete = "and may still complete: a token it buys is kept when the wallet answers; check the wallet before paying again";

  it("--max-time ends a call whose payment the node is slow to make: the refusal says it may still complete, and the token is used once it is paid, never paid again", async () => {
    await slowPaymentOutlived(async (client) => {
      expect(await call(client, "fetch_paid", { url: `${worker.url}alpha/slow` })).toMatchObject({
        isError: true,
        content: [{ text: `no complete answer from ${worker.url.origin} within 2 s (--max-time); a payment was under way ${mayComplete}` }],
      });
    });
  });

  it("a call that times out behind another call's payment at the same origin is told that payment was under way; one payment is made", async () => {
    await slowPaymentOutlived(async (client) => {
      const answers = await Promise.all(["one", "two"].map((path) => call(client, "fetch_paid", { url: `${worker.url}alpha/${path}` })));
      expect(answers.map((answer) => answer.content[0]?.text).sort()).toEqual([
        `no complete answer from ${worker.url.origin} within 2 s (--max-time); a payment was under way ${mayComplete}`,
        `no complete answer from ${worker.url.origin} within 2 s (--max-time); another call's payment to this origin was under way ${mayComplete}`,
      ]);
    });
  });
});
