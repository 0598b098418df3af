import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import type { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deployBundle, NAMED_BUILDS } from "../../dev/deploy-bundle.ts";
import { payInvoice } from "../../dev/lnd-sim/payer.ts";
import { startSimulator, type Simulator } from "../../dev/lnd-sim/server.ts";
import { startWorkerd } from "../../dev/workerd.ts";
import { parseChallenge, toBase64 } from "../../src/l402/index.ts";
import { contextKey } from "../fixtures/context-keys.ts";
import { useScratchDirs } from "../setup/scratch-dirs.ts";

const scratchDir = useScratchDirs();
const KiB = 1024;
const gzipped = (code: string) => gzipSync(code, { level: 9 }).length;

/** Code only each backend's client has, and only each optional feature (src/worker/build.ts): a string of its own. */
const BACKEND_MARKERS = { lnd: "Grpc-Metadata-macaroon", cln: "listinvoices", lnbits: "/api/v1/payments", phoenixd: "createinvoice", nwc: "BIP0340/challenge" } as const;
const FEATURE_MARKERS = {
  mcp: "tools/call",
  x402: "l402-edge/x402-requirements/v1",
  mpp: "l402-edge/payment-challenge-id/v1",
  page: "Scan with any Lightning wallet",
  browser: "bad_browser_request",
  balance: "balance_exhausted",
  prices: "did not answer with JSON in time",
  admin: "a valid admin bearer token is required",
  overrides: "FROM service_overrides",
  context: "payment-context+jwt",
  pool: "FROM pooled",
} as const;
const MARKERS = { ...BACKEND_MARKERS, ...FEATURE_MARKERS };
const EVERY_FEATURE = Object.keys(FEATURE_MARKERS);
const carried = (code: string) => Object.entries(MARKERS).filter(([, marker]) => code.includes(marker)).map(([name]) => name);

describe("the Worker as it would be deployed", () => {
  it("bundles with wrangler's production bundler (deploy --dry-run, minified), small, with its Durable Objects and no dev code", () => {
    const code = deployBundle(scratchDir("l402-bundle-"));
    // wrangler.toml's build: LND alone, none of the optional features (src/worker/build.ts). npm run bench reports the sizes.
    expect(carried(code)).toEqual(["lnd"]);
    expect(gzipped(code)).toBeLessThanOrEqual(64 * KiB);
    // The SDK's default validator, Ajv, is aliased out (wrangler.toml, platform/no-ajv.js): the endpoint never uses it.
    expect(code).not.toContain("ajv.addFormat");
    // Minified: one line per thousands of characters.
    expect(code.length / code.split("\n").length).toBeGreaterThan(1000);
    // Every Durable Object wrangler.toml binds, whichever build: NwcRelay too, which answers "not in this build" outside NWC's.
    for (const name of ["FreebieCounter", "TokenMeter", "TokenBalance", "InvoiceLookupGate", "SpentChargeShard", "InvoicePoolShard", "NwcRelay"]) {
      expect(code).toMatch(new RegExp(`export\\s*\\{[^}]*\\bas ${name}\\b[^}]*\\}`, "s"));
    }
    // Those of the features this build leaves out are empty classes: their code (balances, the invoice pool, spent charges) stays out.
    for (const leftOut of ['"opened"', "FROM pooled", "INSERT INTO spent"]) expect(code).not.toContain(leftOut);
    // The simulator, the tests' libraries and js-macaroon stay out of production.
    for (const devOnly of ["lnd-sim", "fast-check", "tweetnacl", "startSimulator"]) expect(code).not.toContain(devOnly);
    // workerd has URLPattern: #url-pattern's "workerd" condition keeps the polyfill out (its error message would show it).
    expect(code).toContain("URLPattern");
    expect(code).not.toContain("Failed to construct 'URLPattern'");
  }, 60_000);

  it("a build per backend carries that backend's code alone; NWC's curve code only in NWC's; the full build everything, under its bound", () => {
    const sizes: Record<string, { carried: string[]; gzip: number; bytes: number }> = {};
    for (const [name, defines] of Object.entries(NAMED_BUILDS)) {
      const code = deployBundle(scratchDir("l402-bundle-"), defines);
      sizes[name] = { carried: carried(code), gzip: gzipped(code), bytes: code.length };
    }
    expect(Object.fromEntries(Object.entries(sizes).map(([name, size]) => [name, size.carried]))).toEqual({
      "lnd (wrangler.toml)": ["lnd"],
      cln: ["cln"],
      lnbits: ["lnbits"],
      phoenixd: ["phoenixd"],
      nwc: ["nwc"],
      "lnd, with the page": ["lnd", "page"],
      "lnd, every feature but MCP": ["lnd", ...EVERY_FEATURE.filter((feature) => feature !== "mcp")],
      "full (every backend and feature)": ["lnd", "cln", "lnbits", "phoenixd", "nwc", ...EVERY_FEATURE],
    });
    for (const rest of ["lnd (wrangler.toml)", "cln", "lnbits", "phoenixd"]) expect(sizes[rest]?.gzip).toBeLessThanOrEqual(64 * KiB);
    expect(sizes["lnd, with the page"]?.gzip).toBeLessThan(76 * KiB);
    expect(sizes["lnd, every feature but MCP"]?.gzip).toBeLessThan(120 * KiB);
    expect(sizes["nwc"]?.gzip).toBeLessThan(88 * KiB);
    // The MCP SDK with zod and @cfworker/json-schema (~200 KiB, evaluated on the first MCP call only): a bound that catches a library pulled in by mistake.
    expect(sizes["full (every backend and feature)"]?.bytes).toBeLessThan(640 * KiB);
  }, 180_000);
});

describe("a setting that needs what the build left out", () => {
  let script = "";
  const workers: Miniflare[] = [];
  const secrets = { L402_MASTER_KEYS: "5a".repeat(32), L402_NETWORK: "regtest" };
  const service = { name: "api", match: ["/api/*"], price_sats: 2, origin: { url: "http://127.0.0.1:9" } };
  const NWC_URI = `nostr+walletconnect://${"b".repeat(64)}?relay=wss%3A%2F%2Frelay.example.com&secret=${"c".repeat(64)}`;

  beforeAll(() => {
    script = deployBundle(scratchDir("l402-bundle-"));
  }, 60_000);
  afterAll(async () => {
    await Promise.all(workers.splice(0).map((mf) => mf.dispose()));
  });

  /** wrangler.toml's bindings, bar the NWC relay: a feature's refusal is then the build's, never a missing binding's. */
  const bound = {
    durableObjects: Object.fromEntries(
      Object.entries({ L402_METER: "TokenMeter", L402_FREEBIES: "FreebieCounter", L402_LOOKUPS: "InvoiceLookupGate", L402_SPENT: "SpentChargeShard", L402_BALANCES: "TokenBalance", L402_INVOICE_POOL: "InvoicePoolShard" }).map(([binding, className]) => [binding, { className, useSQLite: true }]),
    ),
    d1Databases: ["L402_LEDGER"],
  };

  /** wrangler.toml's build (LND, no optional feature), as deployed, in workerd with these settings. */
  async function workerWith(env: Record<string, string>): Promise<URL> {
    const { mf, url } = await startWorkerd(script, env, bound);
    workers.push(mf);
    return url;
  }
  const healthErrors = async (base: URL) => {
    const health = await fetch(new URL("/.well-known/l402/health", base));
    expect(health.status).toBe(503);
    return ((await health.json()) as { config: { valid: boolean; errors: string[] } }).config.errors;
  };

  it("another backend: every request a 500 naming no setting, health the backend and the define to build with", async () => {
    const base = await workerWith({ ...secrets, L402_BACKEND: "nwc", L402_NWC_URI: NWC_URI, L402_SERVICES: JSON.stringify([service]) });
    const unpaid = await fetch(new URL("/api/x", base));
    expect(unpaid.status).toBe(500);
    expect(await unpaid.json()).toMatchObject({ reason: "misconfigured", detail: "the paywall is not configured correctly" });
    expect(await healthErrors(base)).toEqual([expect.stringContaining(`L402_BACKEND: "nwc" is not in this build of the Worker, which carries lnd only: build it with globalThis.L402_BUILD_BACKEND = '"nwc"'`)]);
  }, 60_000);

  it("a service sold as an MCP tool: the endpoint and the paid path refuse (500), health names the service and the define", async () => {
    const tool = { ...service, mcp: { tool: "get_api", path: "/api/x" } };
    const base = await workerWith({ ...secrets, LND_REST_URL: "http://127.0.0.1:9", LND_MACAROON: "ab".repeat(32), L402_SERVICES: JSON.stringify([tool]) });
    const call = await fetch(new URL("/mcp", base), {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(call.status).toBe(500);
    expect(await call.json()).toMatchObject({ reason: "misconfigured" });
    const unpaid = await fetch(new URL("/api/x", base));
    expect(unpaid.status).toBe(500);
    await unpaid.body?.cancel();
    expect(await healthErrors(base)).toEqual([expect.stringContaining('L402_SERVICES "api".mcp: this build of the Worker leaves the MCP endpoint out (globalThis.L402_BUILD_MCP = false)')]);
  }, 60_000);

  it("a service's mcp of any other value (null, a number) is refused the same way, by name: the build carries no MCP schema to read it", async () => {
    for (const mcp of [null, 5]) {
      const base = await workerWith({ ...secrets, LND_REST_URL: "http://127.0.0.1:9", LND_MACAROON: "ab".repeat(32), L402_SERVICES: JSON.stringify([{ ...service, mcp }]) });
      const unpaid = await fetch(new URL("/api/x", base));
      expect(unpaid.status).toBe(500);
      expect(await unpaid.json()).toMatchObject({ reason: "misconfigured" });
      expect(await healthErrors(base)).toEqual([expect.stringContaining('L402_SERVICES "api".mcp: this build of the Worker leaves the MCP endpoint out (globalThis.L402_BUILD_MCP = false)')]);
    }
  }, 60_000);

  const lnd = { ...secrets, LND_REST_URL: "http://127.0.0.1:9", LND_MACAROON: "ab".repeat(32) };
  const left = (users: string, what: string, define: string) => `${users}: this build of the Worker leaves ${what} out (globalThis.${define} = false): remove that define`;
  const withService = (fields: Record<string, unknown>) => ({ L402_SERVICES: JSON.stringify([{ ...service, ...fields }]) });
  const cases: readonly { readonly feature: string; readonly settings: () => Promise<Record<string, string>>; readonly errors: readonly string[] }[] = [
    { feature: "x402", settings: async () => withService({ schemes: ["l402", "x402"] }), errors: [left('L402_SERVICES "api".schemes "x402"', "the x402 scheme", "L402_BUILD_X402")] },
    { feature: "mpp", settings: async () => withService({ schemes: ["l402", "mpp"] }), errors: [left('L402_SERVICES "api".schemes "mpp"', "the Payment scheme", "L402_BUILD_MPP")] },
    {
      feature: "browser payments (and the page they are paid on)",
      settings: async () => withService({ browser: true }),
      errors: [left('L402_SERVICES "api".browser', "the 402 page for browsers", "L402_BUILD_PAGE"), left('L402_SERVICES "api".browser', "browser payments", "L402_BUILD_BROWSER")],
    },
    { feature: "the page's fiat estimate", settings: async () => ({ ...withService({}), L402_FIAT_RATE: "USD:95000" }), errors: [left("L402_FIAT_RATE", "the 402 page for browsers", "L402_BUILD_PAGE")] },
    { feature: "a prepaid balance", settings: async () => withService({ balance: { amounts_sats: [100] } }), errors: [left('L402_SERVICES "api".balance', "prepaid balances", "L402_BUILD_BALANCE")] },
    { feature: "price rules", settings: async () => withService({ price_rules: [{ query: { size: "large" }, price_sats: 5 }] }), errors: [left('L402_SERVICES "api".price_rules', "request pricing", "L402_BUILD_PRICES")] },
    {
      feature: "the admin API and run-time overrides",
      settings: async () => ({ ...withService({}), L402_ADMIN_TOKEN: "a-rotated-admin-token-0123456789abcdef", L402_OVERRIDES: "on" }),
      errors: [left("L402_ADMIN_TOKEN", "the admin API, the operator dashboard and the decision counts they read from D1", "L402_BUILD_ADMIN"), left("L402_OVERRIDES", "run-time overrides", "L402_BUILD_OVERRIDES")],
    },
    { feature: "the invoice pool", settings: async () => ({ ...withService({}), L402_INVOICE_POOL_SIZE: "5" }), errors: [left("L402_INVOICE_POOL_SIZE", "the invoice pool", "L402_BUILD_POOL")] },
    { feature: "the payment context", settings: async () => ({ ...withService({}), L402_CONTEXT_KEYS: JSON.stringify([await contextKey("k1")]) }), errors: [left("L402_CONTEXT_KEYS", "the signed payment context", "L402_BUILD_CONTEXT")] },
  ];

  it.each(cases)("$feature: every request a 500 naming no setting, health the setting and the define", async ({ settings, errors }) => {
    const base = await workerWith({ ...lnd, ...(await settings()) });
    // A credential of any kind changes nothing: the Worker answers nothing but health.
    for (const headers of [{}, { Authorization: "L402 AGIAJEemVQUTEyNCR0exk7ek90Cg==:1234abcd", Accept: "text/html" }]) {
      const refused = await fetch(new URL("/api/x", base), { headers });
      expect(refused.status).toBe(500);
      expect(await refused.json()).toMatchObject({ reason: "misconfigured", detail: "the paywall is not configured correctly" });
    }
    expect(await healthErrors(base)).toEqual(errors.map((error) => expect.stringContaining(error)));
  }, 60_000);
});

describe("wrangler.toml's build, serving", () => {
  let script = "";
  let sim: Simulator;
  let origin: Server;
  let originUrl = "";
  const workers: Miniflare[] = [];
  /** What the origin received last. */
  let received: { path: string; headers: Record<string, string | string[] | undefined> } | undefined;

  beforeAll(async () => {
    script = deployBundle(scratchDir("l402-bundle-"));
    sim = await startSimulator();
    origin = createServer((request, response) => {
      received = { path: request.url ?? "", headers: request.headers };
      response.writeHead(200, { "Content-Type": "application/json", "Cache-Control": "public, max-age=60" }).end('{"ok":true}');
    });
    await new Promise<void>((resolve) => origin.listen(0, "127.0.0.1", resolve));
    originUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
  }, 60_000);
  afterAll(async () => {
    await Promise.all(workers.splice(0).map((mf) => mf.dispose()));
    await sim?.close();
    origin?.close();
  });

  async function workerWith(services: readonly Record<string, unknown>[]): Promise<URL> {
    const env = { L402_MASTER_KEYS: "5a".repeat(32), L402_NETWORK: "regtest", LND_REST_URL: sim.url, LND_MACAROON: sim.paywallMacaroonHex, L402_SERVICES: JSON.stringify(services) };
    const { mf, url } = await startWorkerd(script, env, { compatibilityFlags: [] });
    workers.push(mf);
    return url;
  }
  /** The 402's invoice paid with the simulator's wallet, as a client pays it: the credential. */
  async function bought(url: URL): Promise<string> {
    const challenge = await fetch(url);
    expect(challenge.status).toBe(402);
    await challenge.body?.cancel();
    const parsed = parseChallenge(challenge.headers.get("www-authenticate") ?? "");
    if (!parsed.ok) throw new Error(`no L402 challenge: ${parsed.detail}`);
    const paid = await payInvoice({ url: sim.url, macaroonHex: sim.adminMacaroonHex }, parsed.value.invoice);
    return `L402 ${toBase64(parsed.value.macaroon)}:${paid.preimageHex ?? ""}`;
  }

  it("sells a request: the 402's invoice paid, the request forwarded without the credential, with the token id, kept out of shared caches", async () => {
    const base = await workerWith([{ name: "api", match: ["/api/*"], price_sats: 2, timeout: 3600, origin: { url: originUrl } }]);
    const credential = await bought(new URL("/api/report", base));
    const paid = await fetch(new URL("/api/report?q=1", base), { headers: { Authorization: credential } });
    expect([paid.status, await paid.json()]).toEqual([200, { ok: true }]);
    expect(paid.headers.get("cache-control")).toBe("private, max-age=60");
    expect(received?.path).toBe("/api/report?q=1");
    expect(received?.headers.authorization).toBeUndefined();
    expect(received?.headers["x-l402-token-id"]).toMatch(/^[0-9a-f]{64}$/);
  }, 60_000);

  it("bind_request: the discovery documents say a token buys the one request it was priced for, as the paid path holds it", async () => {
    const base = await workerWith([{ name: "once", match: ["/once/*"], price_sats: 3, bind_request: true, origin: { url: originUrl } }]);
    const listed = (await (await fetch(new URL("/.well-known/l402-services", base))).json()) as { routes: { price: Record<string, unknown> }[] };
    expect(listed.routes.map((sold) => sold.price)).toEqual([{ type: "dynamic", amount_msat: 3000, amount_sats: "3", bound_to_request: true }]);
    const credential = await bought(new URL("/once/a", base));
    expect((await fetch(new URL("/once/a", base), { headers: { Authorization: credential } })).status).toBe(200);
    const other = await fetch(new URL("/once/b", base), { headers: { Authorization: credential } });
    expect(other.status).toBe(402);
    expect(await other.json()).toMatchObject({ reason: "request_mismatch" });
  }, 60_000);
});
