import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { Miniflare } from "miniflare";
import { unstable_readConfig } from "wrangler";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBackendSims, type BackendSims } from "../../dev/backend-sims/index.ts";
import { startSimulator, type Simulator } from "../../dev/lnd-sim/server.ts";
import { startWorkerd } from "../../dev/workerd.ts";
import { readWranglerEnv } from "../../dev/wrangler-env.ts";
import * as v from "valibot";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { contextKeysSetting, importContextKeys, signPaymentContext } from "../../src/context/index.ts";
import { contextKey, withPayload } from "../fixtures/context-keys.ts";
import { useScratchDirs } from "../setup/scratch-dirs.ts";

const scratchDir = useScratchDirs();

/**
 * The package as a user gets it: `npm pack`, installed by plain Node 20's npm
 * into a scratch Hono Worker project of its own, made of the README's own text
 * ("Protect routes of your own Worker": its src/index.ts, wrangler.toml and
 * .dev.vars), bundled by `wrangler deploy --dry-run` and run in workerd on that
 * wrangler.toml's compatibility date; paid as the README says, against
 * `npm run lnd-sim` as it prints itself. Then its middleware, client and
 * command line under the machine's plain Node 20, and its types compiled by a
 * TypeScript consumer without skipLibCheck.
 */
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const WRANGLER = join(ROOT, "node_modules", ".bin", "wrangler");
const TSC = join(ROOT, "node_modules", ".bin", "tsc");

let scratch: string;
let sim: Simulator;
/** An NWC wallet paying on the simulator's node: a payer whose wallet is on another backend than the paywall's LND. */
let walletSims: BackendSims;
/** The README's Worker against the in-process simulator (whose node the NWC wallet shares). */
let worker: { mf: Miniflare; url: URL };
let installLog: string;

/** The machine's own Node (20), not the project's Node 22 that npm scripts put first on PATH. */
function plainNode(): string {
  for (const dir of (process.env["PATH"] ?? "").split(delimiter)) {
    const candidate = join(dir, "node");
    if (dir.includes("node_modules") || !existsSync(candidate)) continue;
    if (execFileSync(candidate, ["--version"], { encoding: "utf8" }).startsWith("v20.")) return candidate;
  }
  throw new Error("no Node 20 on PATH outside node_modules");
}
/** PATH as a user with Node 20 has it: its node (and npm) first, none of the project's. */
const node20Path = () => [dirname(plainNode()), ...(process.env["PATH"] ?? "").split(delimiter).filter((dir) => !dir.includes("node_modules"))].join(delimiter);

/** The README's section on the middleware, and its code blocks of one language, in order. */
function readmeBlocks(language: string): string[] {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const start = readme.indexOf("### Protect routes of your own Worker");
  const section = readme.slice(start, readme.indexOf("\n### ", start + 1));
  return [...section.matchAll(new RegExp("```" + language + "\\n([\\s\\S]*?)```", "g"))].map((match) => match[1] as string);
}
function readmeBlock(language: string): string {
  const block = readmeBlocks(language)[0];
  if (block === undefined) throw new Error(`the README's "Protect routes of your own Worker" has no ${language} block`);
  return block;
}

/** `<… "name" …>` placeholders filled from `values` by the quoted name; `<npx l402-edge keygen>` by running it. */
function fill(text: string, values: Record<string, string>): string {
  return text.replace(/<([^<>\n]*)>/g, (placeholder, inside: string) => {
    if (inside === "npx l402-edge keygen") return execFileSync(plainNode(), [join(scratch, "node_modules", ".bin", "l402-edge"), "keygen"], { encoding: "utf8" }).trim();
    const name = /"(\w+)"/.exec(inside)?.[1];
    const value = name === undefined ? undefined : values[name];
    if (value === undefined) throw new Error(`the README's placeholder ${placeholder} names nothing the simulator prints`);
    return value;
  });
}

beforeAll(async () => {
  scratch = scratchDir("l402-user-");
  const tarball = execFileSync("npm", ["pack", "--silent", "--pack-destination", scratch], { cwd: ROOT, encoding: "utf8" }).trim().split("\n").at(-1) as string;
  const hono = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { devDependencies: Record<string, string> }).devDependencies["hono"];
  writeFileSync(join(scratch, "package.json"), JSON.stringify({ name: "my-api", private: true, type: "module", dependencies: { "l402-edge": `file:./${tarball}`, hono } }, null, 2));
  writeFileSync(join(scratch, "wrangler.toml"), readmeBlock("toml"));
  mkdirSync(join(scratch, "src"));
  writeFileSync(join(scratch, "src", "index.ts"), readmeBlock("ts"));
  // npm as a Node 20 user runs it, warnings and all.
  const install = spawnSync("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=warn"], { cwd: scratch, encoding: "utf8", env: { ...process.env, PATH: node20Path() } });
  installLog = `${install.stdout}${install.stderr}`;
  if (install.status !== 0) throw new Error(`npm install failed:\n${installLog}`);
  execFileSync(WRANGLER, ["deploy", "--dry-run", "--outdir", "out"], { cwd: scratch, stdio: "pipe", env: { ...process.env, WRANGLER_SEND_METRICS: "false" } });

  sim = await startSimulator();
  walletSims = await startBackendSims(sim.node);
  worker = await startReadmeWorker({ L402_MASTER_KEYS: "99".repeat(32), LND_REST_URL: sim.url, LND_MACAROON: sim.paywallMacaroonHex });
}, 180_000);

afterAll(async () => {
  await worker?.mf.dispose();
  await walletSims?.close();
  await sim?.close();
});

/** The bundled README Worker in workerd, on the compatibility date and flags of the README's wrangler.toml. */
function startReadmeWorker(bindings: Record<string, string>) {
  const config = unstable_readConfig({ config: join(scratch, "wrangler.toml") }, { hideWarnings: true });
  return startWorkerd(readFileSync(join(scratch, "out", "index.js"), "utf8"), bindings, {
    ...(config.compatibility_date === undefined ? {} : { compatibilityDate: config.compatibility_date }),
    compatibilityFlags: config.compatibility_flags,
  });
}

/** Runs plain Node 20 in the scratch project (asynchronously: the simulator answers from this process). */
function node20(args: string[], env: Record<string, string> = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(plainNode(), args, { cwd: scratch, env: { ...process.env, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("exit", (status) => resolve({ status, stdout, stderr }));
  });
}

/** A script run under plain Node 20 in the scratch project, so `l402-edge/...` resolves to the installed package. */
function underNode20(script: string, env: Record<string, string> = {}) {
  const file = join(scratch, `script-${crypto.randomUUID()}.mjs`);
  writeFileSync(file, script);
  return node20([file], env);
}

/** `npm run lnd-sim` in this checkout, and the line it prints. */
async function startLndSim(): Promise<{ child: ChildProcess; printed: Record<string, string> }> {
  const child = spawn("npm", ["run", "--silent", "lnd-sim"], { cwd: ROOT, detached: true, stdio: ["ignore", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout as NonNullable<typeof child.stdout> });
  const [line] = (await once(lines, "line")) as [string];
  return { child, printed: JSON.parse(line) as Record<string, string> };
}

describe("the README's own Worker, as written", () => {
  it("runs against npm run lnd-sim as printed: .dev.vars from the README, 402, paid with the README's command, answered by the app's handler", async () => {
    const lndSim = await startLndSim();
    try {
      writeFileSync(join(scratch, ".dev.vars"), fill(readmeBlock("ini"), lndSim.printed));
      // What `wrangler dev` would give the Worker: wrangler's own reader of wrangler.toml and .dev.vars.
      const { env } = readWranglerEnv({ config: join(scratch, "wrangler.toml") });
      const readme = await startReadmeWorker(env as Record<string, string>);
      try {
        const unpaid = await fetch(new URL("/premium/report", readme.url));
        expect(unpaid.status).toBe(402);
        expect(unpaid.headers.get("www-authenticate")).toMatch(/^L402 macaroon="[^"]+", invoice="lnbcrt30n1/);
        const command = readmeBlocks("sh").flatMap((block) => block.split("\n")).find((line) => line.includes("npx l402-edge get"));
        const match = /^((?:\w+=\S+ )*)npx l402-edge (get .*)$/.exec(fill(command ?? "", lndSim.printed));
        if (match === null) throw new Error("the README names no l402-edge get command to pay with");
        const assignments = Object.fromEntries([...(match[1] as string).matchAll(/(\w+)=(\S+)/g)].map(([, name, value]) => [name as string, value as string]));
        const args = (match[2] as string).replace("http://127.0.0.1:8787", readme.url.origin).split(" ");
        const paid = await node20([join(scratch, "node_modules", ".bin", "l402-edge"), ...args], { ...assignments, L402_TOKEN_DIR: scratchDir("l402-readme-tokens-") });
        expect(paid.status, paid.stderr).toBe(0);
        expect(JSON.parse(paid.stdout)).toEqual({ report: "the good stuff", paidBy: expect.stringMatching(/^[0-9a-f]{64}$/), service: "premium" });
      } finally {
        await readme.mf.dispose();
      }
    } finally {
      process.kill(-(lndSim.child.pid as number), "SIGTERM");
    }
  });
});

describe("the published package in someone else's Worker", () => {
  it("ships compiled JavaScript and types, no TypeScript sources, and its MIT licence", () => {
    const installed = join(scratch, "node_modules", "l402-edge");
    expect(existsSync(join(installed, "dist", "index.js"))).toBe(true);
    expect(existsSync(join(installed, "dist", "index.d.ts"))).toBe(true);
    expect(existsSync(join(installed, "src"))).toBe(false);
    expect(existsSync(join(installed, "node_modules", "hono"))).toBe(false);
    expect((JSON.parse(readFileSync(join(installed, "package.json"), "utf8")) as { license: string }).license).toBe("MIT");
    expect(readFileSync(join(installed, "LICENSE"), "utf8")).toMatch(/^MIT License\n\nCopyright \(c\) \d{4} /);
  });

  it("bundled into a Worker by wrangler, brings no URLPattern polyfill: workerd has its own", () => {
    const bundle = readFileSync(join(scratch, "out", "index.js"), "utf8");
    // wrangler's bundle is not minified here: esbuild names each module it took.
    expect(bundle).toContain("node_modules/l402-edge/platform/url-pattern.workerd.js");
    expect(bundle).not.toContain("urlpattern-polyfill");
  });

  it("installs on Node 20 without an engine warning", () => {
    expect(installLog).not.toMatch(/EBADENGINE/);
  });

  // Review of issue 18 (item 20): the machine's Node 20 is a late one; npm warns EBADENGINE on any Node 20 that engines admits and a dependency refuses.
  it("every Node 20 that package.json's engines admits is one its dependencies accept too", () => {
    const lowest = (range: string): number[] => {
      const found = /^>=\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(range.trim());
      if (found === null) throw new Error(`a range this test does not read: ${range}`);
      return [Number(found[1]), Number(found[2] ?? 0), Number(found[3] ?? 0)];
    };
    const below = (a: number[], b: number[]) => a[0] !== b[0] ? (a[0] ?? 0) < (b[0] ?? 0) : a[1] !== b[1] ? (a[1] ?? 0) < (b[1] ?? 0) : (a[2] ?? 0) < (b[2] ?? 0);
    const manifest = (dir: string) => JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { engines?: { node?: string }; dependencies?: Record<string, string> };
    const ours = lowest(manifest(ROOT).engines?.node ?? ">=0");
    const refusing = Object.keys(manifest(ROOT).dependencies ?? {}).flatMap((name) => {
      const range = manifest(join(ROOT, "node_modules", name)).engines?.node;
      return range !== undefined && below(ours, lowest(range)) ? [`${name} (node ${range})`] : [];
    });
    expect(refusing).toEqual([]);
  });

  it("its middleware runs on plain Node 20 with no URLPattern polyfill loaded by the user, the settings in process.env", async () => {
    const result = await underNode20(
      `
import { Hono } from "hono";
import { l402Paywall } from "l402-edge";
import { createL402Fetch, lndWallet, memoryStore } from "l402-edge/client";
const app = new Hono();
app.use("/premium/*", l402Paywall({ service: { name: "premium", price_sats: 3 } }));
app.get("/premium/report", (c) => c.json({ paidBy: c.var.l402?.tokenId }));
const l402Fetch = createL402Fetch({
  wallet: lndWallet({ url: ${JSON.stringify(sim.url)}, macaroonHex: ${JSON.stringify(sim.adminMacaroonHex)}, feeLimitSats: 10, timeoutSeconds: 30 }),
  maxCostSats: 10,
  store: memoryStore(),
  fetch: (input, init) => app.request(input, init),
});
const unpaid = await app.request("https://api.example/premium/report");
const paid = await l402Fetch("https://api.example/premium/report");
console.log(JSON.stringify({ node: process.version, globalPattern: "URLPattern" in globalThis, unpaid: [unpaid.status, unpaid.headers.get("www-authenticate")?.slice(0, 5)], paid: [paid.status, await paid.json()] }));
`,
      { L402_MASTER_KEYS: "98".repeat(32), LND_REST_URL: sim.url, LND_MACAROON: sim.paywallMacaroonHex },
    );
    expect(result.status, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ node: expect.stringMatching(/^v20\./), globalPattern: false, unpaid: [402, "L402 "], paid: [200, { paidBy: expect.stringMatching(/^[0-9a-f]{64}$/) }] });
  });

  it("its fetch adapter (l402-edge/fetch) serves from a plain Node 20 node:http server bridged to Request/Response: 402, paid, 200", async () => {
    const result = await underNode20(
      `
import { createServer } from "node:http";
import { Readable } from "node:stream";
import { memoryPorts, withPaywall } from "l402-edge/fetch";
import { createL402Fetch, lndWallet, memoryStore } from "l402-edge/client";
const handle = withPaywall({ service: { name: "premium", price_sats: 3 }, ports: memoryPorts(), log: false }, (request, paid) =>
  Response.json({ path: new URL(request.url).pathname, paidBy: paid.access?.tokenId, scheme: paid.access?.scheme }),
);
// The bridge: node:http's request as a Web Request, the Web Response written back.
const server = createServer(async (incoming, outgoing) => {
  const body = incoming.method === "GET" || incoming.method === "HEAD" ? undefined : Readable.toWeb(incoming);
  const request = new Request(new URL(incoming.url, "http://" + incoming.headers.host), { method: incoming.method, headers: incoming.headers, body, duplex: "half" });
  const response = await handle(request);
  outgoing.writeHead(response.status, Object.fromEntries(response.headers));
  outgoing.end(Buffer.from(await response.arrayBuffer()));
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const base = "http://127.0.0.1:" + server.address().port;
const unpaid = await fetch(base + "/premium/report");
const l402Fetch = createL402Fetch({ wallet: lndWallet({ url: ${JSON.stringify(sim.url)}, macaroonHex: ${JSON.stringify(sim.adminMacaroonHex)}, feeLimitSats: 10, timeoutSeconds: 30 }), maxCostSats: 10, store: memoryStore() });
const paid = await l402Fetch(base + "/premium//report/../report");
server.close();
console.log(JSON.stringify({ node: process.version, unpaid: [unpaid.status, unpaid.headers.get("www-authenticate")?.slice(0, 5)], paid: [paid.status, await paid.json()] }));
`,
      { L402_MASTER_KEYS: "97".repeat(32), LND_REST_URL: sim.url, LND_MACAROON: sim.paywallMacaroonHex, L402_NETWORK: "regtest" },
    );
    expect(result.status, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      node: expect.stringMatching(/^v20\./),
      unpaid: [402, "L402 "],
      // The handler sees the URL the paywall matched, in its one canonical form.
      paid: [200, { path: "/premium/report", paidBy: expect.stringMatching(/^[0-9a-f]{64}$/), scheme: "l402" }],
    });
  });

  it("l402-edge/origin verifies a payment context on plain Node 20, against a JWKS it fetches over a socket, and serves it once when asked; a tampered one is refused", async () => {
    const keys = await importContextKeys(v.parse(contextKeysSetting, JSON.stringify([await contextKey("k1")])));
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: "https://paywall.example", aud: "https://api.example", sub: "ab".repeat(32), iat: now, exp: now + 120, jti: crypto.randomUUID(), svc: "premium", scheme: "l402", amount_msat: "3000", method: "GET", path: "/premium/report" };
    const context = await signPaymentContext(keys.signer, claims);
    const jwks = createServer((_request, response) => response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(keys.jwks)));
    await new Promise<void>((resolve) => jwks.listen(0, "127.0.0.1", resolve));
    try {
      const jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/.well-known/jwks.json`;
      const result = await underNode20(`
import { memoryServedContexts, verifyPaymentContext } from "l402-edge/origin";
const options = { jwksUrl: ${JSON.stringify(jwksUrl)}, audience: "https://api.example", issuer: "https://paywall.example" };
const request = new Request("https://api.example/premium/report", { headers: { "Payment-Context": ${JSON.stringify(context)} } });
const good = await verifyPaymentContext(request, options);
const once = memoryServedContexts();
const served = [await verifyPaymentContext(request, { ...options, once }), await verifyPaymentContext(request, { ...options, once })].map((verified) => verified.ok || verified.reason);
const tampered = await verifyPaymentContext(${JSON.stringify(withPayload(context, (payload) => ({ ...payload, amount_msat: "1" })))}, { ...options, matchRequest: false });
const elsewhere = await verifyPaymentContext(request, { ...options, audience: "https://other.example" });
console.log(JSON.stringify({ node: process.version, good, served, tampered: tampered.reason, elsewhere: elsewhere.reason }));
`);
      expect(result.status, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual({ node: expect.stringMatching(/^v20\./), good: { ok: true, claims }, served: [true, "replayed"], tampered: "bad_signature", elsewhere: "wrong_audience" });
    } finally {
      jwks.close();
    }
  });

  it("its types compile in a TypeScript project without skipLibCheck (DOM's lib, which has no URLPattern)", () => {
    const consumer = join(scratch, "consumer");
    mkdirSync(consumer);
    writeFileSync(
      join(consumer, "tsconfig.json"),
      JSON.stringify({ compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", lib: ["ES2022", "DOM"], types: [], strict: true, noEmit: true, skipLibCheck: false }, files: ["index.ts"] }),
    );
    writeFileSync(
      join(consumer, "index.ts"),
      `
import { Hono } from "hono";
import { l402Paywall, memoryPorts, type L402Variables, type PaywallOptions } from "l402-edge";
import { createL402Fetch, memoryStore } from "l402-edge/client";
import { parseChallenge } from "l402-edge/l402";
import { decodeMacaroon } from "l402-edge/macaroon";
import { memoryServedContexts, verifyPaymentContext, type PaymentContextClaims, type ServedContexts } from "l402-edge/origin";
const app = new Hono<{ Variables: L402Variables }>();
const options: PaywallOptions = { service: { name: "premium", price_sats: 3 }, ports: memoryPorts(), log: false };
app.use("/premium/*", l402Paywall(options));
app.get("/premium/report", (c) => c.json({ paidBy: c.var.l402?.tokenId, matched: c.var.l402Route.service?.patterns[0]?.pathname ?? null }));
const checked = async (header: string): Promise<PaymentContextClaims | string> => {
  const verified = await verifyPaymentContext(header, { jwksUrl: "https://paywall.example/.well-known/jwks.json", audience: "https://api.example", matchRequest: false });
  return verified.ok ? verified.claims : verified.reason;
};
const once: ServedContexts = memoryServedContexts({ maxEntries: 10_000 });
export { app, checked, createL402Fetch, memoryStore, once, parseChallenge, decodeMacaroon };
`,
    );
    const compiled = spawnSync(TSC, ["-p", consumer], { cwd: scratch, encoding: "utf8" });
    expect(compiled.stdout + compiled.stderr).toBe("");
    expect(compiled.status).toBe(0);
  });

  it("its Worker types compile in a Worker of one's own (workers-types, without skipLibCheck), and refuse what the package refuses", () => {
    const consumer = join(scratch, "worker-consumer");
    mkdirSync(join(consumer, "node_modules", "@cloudflare"), { recursive: true });
    // Every Worker project has Cloudflare's types; this one borrows the repository's.
    symlinkSync(join(ROOT, "node_modules", "@cloudflare", "workers-types"), join(consumer, "node_modules", "@cloudflare", "workers-types"));
    symlinkSync(join(scratch, "node_modules", "l402-edge"), join(consumer, "node_modules", "l402-edge"));
    symlinkSync(join(scratch, "node_modules", "hono"), join(consumer, "node_modules", "hono"));
    writeFileSync(
      join(consumer, "tsconfig.json"),
      JSON.stringify({ compilerOptions: { target: "ES2022", module: "ESNext", moduleResolution: "Bundler", lib: ["ES2022"], types: ["@cloudflare/workers-types"], strict: true, exactOptionalPropertyTypes: true, noEmit: true, skipLibCheck: false }, files: ["index.ts"] }),
    );
    writeFileSync(
      join(consumer, "index.ts"),
      `
import { Hono } from "hono";
import { l402Paywall, type L402Variables } from "l402-edge";
import { withPaywall } from "l402-edge/fetch";
import { cloudflarePorts, type WorkerBindings } from "l402-edge/worker";
export { TokenMeter, FreebieCounter, InvoiceLookupGate, SpentChargeShard, TokenBalance, InvoicePoolShard } from "l402-edge/worker";
type AppEnv = { Bindings: WorkerBindings & { REPORTS: KVNamespace }; Variables: L402Variables };
const app = new Hono<AppEnv>();
const services = [{ name: "premium", match: ["/premium/*"], price_sats: 3, uses: 5 }] as const;
app.use("/premium/*", l402Paywall<AppEnv>((c) => ({ services, ports: cloudflarePorts(c.env, 30) })));
app.get("/premium/report", async (c) => c.json({ report: await c.env.REPORTS.get("report"), left: c.var.l402?.remaining ?? null }));
// Each refused line beside the same line without what is refused, which compiles: the refusal is that, not something else.
// @ts-expect-error: an MCP tool is served by the template Worker alone
l402Paywall({ service: { name: "tool", price_sats: 1, mcp: { tool: "t", path: "/t" } } });
l402Paywall({ service: { name: "tool", price_sats: 1 } });
const plain = withPaywall<{ REPORTS: KVNamespace }>({ service: { name: "p", price_sats: 1 } }, async (_request, _paid, env) => new Response(await env.REPORTS.get("r")));
// @ts-expect-error: a handler typed to read the env is given one
void plain(new Request("https://api.example/p"));
declare const reports: KVNamespace;
void plain(new Request("https://api.example/p"), { REPORTS: reports });
// A handler that reads no env is called without one (Bun, Deno, Node).
const untyped = withPaywall({ service: { name: "u", price_sats: 1 } }, () => new Response("ok"));
void untyped(new Request("https://api.example/u"));
// A price function keeps its signature (the README's, its argument destructured).
l402Paywall({ service: { name: "search", price: ({ url }) => (url.searchParams.get("depth") === "deep" ? 20_000n : 2_000n) } });
// @ts-expect-error: a price is a function, not a string
l402Paywall({ service: { name: "search", price: "2000" } });
export default { fetch: app.fetch, plain } satisfies ExportedHandler<AppEnv["Bindings"]> & { plain: unknown };
`,
    );
    const compiled = spawnSync(TSC, ["-p", consumer], { cwd: consumer, encoding: "utf8" });
    expect(compiled.stdout + compiled.stderr).toBe("");
    expect(compiled.status).toBe(0);
  });

  it("402 → pay → 200 with the app's own handler answering from c.var.l402; the token is reused; the free route stays free", async () => {
    const result = await underNode20(`
import { createL402Fetch, lndWallet, memoryStore } from "l402-edge/client";
const paid = [];
const l402Fetch = createL402Fetch({
  wallet: lndWallet({ url: ${JSON.stringify(sim.url)}, macaroonHex: ${JSON.stringify(sim.adminMacaroonHex)}, feeLimitSats: 10, timeoutSeconds: 30 }),
  maxCostSats: 10,
  store: memoryStore(),
  onPayment: (event) => event.phase === "paid" && paid.push(String(event.offer.priceMsat)),
});
const base = ${JSON.stringify(worker.url.origin)};
const unpaid = await fetch(base + "/premium/report");
const first = await l402Fetch(base + "/premium/report");
const second = await l402Fetch(base + "/premium/report");
const home = await fetch(base + "/");
console.log(JSON.stringify({ node: process.version, unpaid: unpaid.status, challenge: unpaid.headers.get("www-authenticate")?.slice(0, 5), first: [first.status, await first.json()], second: [second.status, await second.json()], home: [home.status, await home.text()], paid }));
`);
    expect(result.status, result.stderr).toBe(0);
    const seen = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(seen["node"]).toMatch(/^v20\./);
    expect(seen).toMatchObject({
      unpaid: 402,
      challenge: "L402 ",
      first: [200, { report: "the good stuff", service: "premium", paidBy: expect.stringMatching(/^[0-9a-f]{64}$/) }],
      home: [200, "free home page"],
      paid: ["3000"],
    });
    const [, firstBody] = seen["first"] as [number, { paidBy: string }];
    expect(seen["second"]).toEqual([200, { report: "the good stuff", service: "premium", paidBy: firstBody.paidBy }]);
  });

  it("the installed command line runs on plain Node 20", async () => {
    const result = await node20([join(scratch, "node_modules", ".bin", "l402-edge"), "get", "--no-pay", "--json", `${worker.url.origin}/premium/report`]);
    expect(result.status, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ status: 402, price_sats: 3, services: ["premium"] });
  });

  it("l402-edge get --nwc pays the LND-backed paywall from an NWC wallet, on plain Node 20 (which has no WebSocket: ws)", async () => {
    const tokens = scratchDir("l402-user-tokens-");
    const result = await node20([join(scratch, "node_modules", ".bin", "l402-edge"), "get", "--nwc", walletSims.nwc.uri, "--json", "--token-dir", tokens, `${worker.url.origin}/premium/report`]);
    expect(result.status, result.stderr).toBe(0);
    const seen = JSON.parse(result.stdout) as { status: number; body: string; paid: unknown };
    expect(seen).toMatchObject({ status: 200, paid: { sats: 3, feeSats: 0, services: ["premium"], scheme: "l402" } });
    expect(JSON.parse(seen.body)).toMatchObject({ report: "the good stuff", service: "premium" });
  });
});
