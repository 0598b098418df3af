import { gzipSync } from "node:zlib";
import type { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deployBundle, NAMED_BUILDS } from "../../dev/deploy-bundle.ts";
import { startWorkerd } from "../../dev/workerd.ts";
import { useScratchDirs } from "../setup/scratch-dirs.ts";

const scratchDir = useScratchDirs();
const KiB = 1024;
const gzipped = (code: string) => gzipSync(code, { level: 9 }).length;

/** Code only each backend's client has, and only the MCP endpoint (the SDK's method name). */
const MARKERS = { lnd: "Grpc-Metadata-macaroon", cln: "listinvoices", lnbits: "/api/v1/payments", phoenixd: "createinvoice", nwc: "schnorr", mcp: "tools/call" } as const;
const carried = (code: string) => Object.entries(MARKERS).filter(([, marker]) => code.includes(marker)).map(([name]) => name);

describe("the Worker as it would be deployed", () => {
  it("bundles with wrangler's production bundler (deploy --dry-run, minified), small, with its Durable Objects and no dev code", () => {
    const code = deployBundle(scratchDir("l402-bundle-"));
    // wrangler.toml's build: LND alone, no MCP endpoint (src/worker/build.ts). npm run bench reports the sizes.
    expect(carried(code)).toEqual(["lnd"]);
    expect(gzipped(code)).toBeLessThan(96 * KiB);
    // The SDK's default validator, Ajv, is aliased out (wrangler.toml, platform/no-ajv.js): the endpoint never uses it.
    expect(code).not.toContain("ajv.addFormat");
    // Minified: one line per thousands of characters.
    expect(code.length / code.split("\n").length).toBeGreaterThan(1000);
    // Every Durable Object wrangler.toml binds, whichever build: NwcRelay too, which answers "not in this build" outside NWC's.
    for (const name of ["FreebieCounter", "TokenMeter", "TokenBalance", "InvoiceLookupGate", "SpentChargeShard", "NwcRelay"]) {
      expect(code).toMatch(new RegExp(`export\\s*\\{[^}]*\\bas ${name}\\b[^}]*\\}`, "s"));
    }
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
      "full (every backend, MCP)": ["lnd", "cln", "lnbits", "phoenixd", "nwc", "mcp"],
    });
    for (const rest of ["lnd (wrangler.toml)", "cln", "lnbits", "phoenixd"]) expect(sizes[rest]?.gzip).toBeLessThan(96 * KiB);
    expect(sizes["nwc"]?.gzip).toBeLessThan(120 * KiB);
    // The MCP SDK with zod and @cfworker/json-schema (~200 KiB, evaluated on the first MCP call only): a bound that catches a library pulled in by mistake.
    expect(sizes["full (every backend, MCP)"]?.bytes).toBeLessThan(540 * KiB);
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

  /** wrangler.toml's build (LND, no MCP), as deployed, in workerd with these settings. */
  async function workerWith(env: Record<string, string>): Promise<URL> {
    const { mf, url } = await startWorkerd(script, env);
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
});
