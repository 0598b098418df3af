import { spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { useScratchDirs } from "../setup/scratch-dirs.ts";

const scratchDir = useScratchDirs();

const SCRIPT = fileURLToPath(new URL("../../dev/check-config.ts", import.meta.url));

/** Runs `npm run check-config`'s script in a folder holding only a wrangler.toml and a .dev.vars. */
function checkConfig(toml: string, devVars: string, args: readonly string[] = []) {
  const dir = scratchDir("l402-config-");
  writeFileSync(join(dir, "wrangler.toml"), `name = "t"\nmain = "index.ts"\ncompatibility_date = "2026-10-01"\n${toml}`);
  writeFileSync(join(dir, ".dev.vars"), devVars);
  writeFileSync(join(dir, "index.ts"), "export default {}");
  return spawnSync(process.execPath, [SCRIPT, ...args], { cwd: dir, encoding: "utf8", env: { ...process.env, WRANGLER_SEND_METRICS: "false" } });
}

const KEY = "33".repeat(32);
const LND = `L402_NETWORK = "regtest"\nLND_REST_URL = "http://127.0.0.1:8080"\n`;
const SERVICE = `[[vars.L402_SERVICES]]\nname = "api"\nmatch = ["/api/*"]\nprice_sats = 2\n`;
const warningsOf = (stderr: string) => stderr.split("\n").filter((line) => line.startsWith("check-config: warning: ")).map((line) => line.slice("check-config: warning: ".length));

describe("npm run check-config", () => {
  it("accepts a good configuration and summarises it", () => {
    const result = checkConfig(
      `[vars]\nL402_NETWORK = "regtest"\nLND_REST_URL = "http://127.0.0.1:8080"\n[[vars.L402_SERVICES]]\nname = "api"\nmatch = ["/api/*"]\nprice_msat = 2500\n`,
      `L402_MASTER_KEYS=${KEY}\nLND_MACAROON=0201abcd\n`,
    );
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("check-config: OK — network regtest, 1 master key(s)");
    expect(result.stdout).toContain("api: 2.5 sat");
    expect(result.stderr).toContain("warning: L402_MINT_LIMITER is not bound");
    expect(result.stderr).not.toContain("does not match");
  }, 30_000);

  it("warns (and passes) when a pattern leaves its own prefix unmatched; no limiter warning with the binding", () => {
    const result = checkConfig(
      `[[ratelimits]]\nname = "L402_MINT_LIMITER"\nnamespace_id = "1"\nsimple = { limit = 5, period = 60 }\n[vars]\nL402_NETWORK = "regtest"\nLND_REST_URL = "http://127.0.0.1:8080"\n` +
        `[[vars.L402_SERVICES]]\nname = "items"\nmatch = ["/items/:id+", "/api/*"]\nprice_sats = 1\n` +
        `[[vars.L402_SERVICES]]\nname = "brief"\nmatch = ["/brief/*"]\nprice_sats = 1\ntimeout = 300\n`,
      `L402_MASTER_KEYS=${KEY}\nLND_MACAROON=0201abcd\n`,
    );
    expect(result.status).toBe(0);
    expect(result.stderr).toContain("warning: items: the pattern /items/:id+ does not match /items itself");
    expect(result.stderr).toContain("warning: brief: its timeout (300 s) is not longer than an invoice stays payable (L402_INVOICE_EXPIRY, 600 s)");
    expect(result.stderr).not.toContain("/api/* does not match");
    expect(warningsOf(result.stderr).filter((warning) => warning.startsWith("L402_MINT_LIMITER"))).toEqual([]);
  }, 30_000);

  it("warns of a var larger than Cloudflare documents for one (5 KB), measured as its JSON; not of one within it", () => {
    const secrets = `L402_MASTER_KEYS=${KEY}\nLND_MACAROON=0201abcd\n`;
    const service = (i: number) => `[[vars.L402_SERVICES]]\nname = "s${i}"\nmatch = ["/s${i}/*"]\nprice_sats = 1\ndescription = "${"d".repeat(200)}"\n`;
    const many = checkConfig(`[vars]\n${LND}${Array.from({ length: 30 }, (_, i) => service(i)).join("")}`, secrets);
    expect(many.status, many.stderr).toBe(0);
    expect(warningsOf(many.stderr).filter((warning) => warning.startsWith("L402_SERVICES"))).toEqual([
      expect.stringMatching(/^L402_SERVICES: is \d{4,} bytes, and Cloudflare documents 5120 as the most one variable may hold \(Workers limits\): a deploy may refuse it$/),
    ]);
    const few = checkConfig(`[vars]\n${LND}${service(0)}`, secrets);
    expect(warningsOf(few.stderr).filter((warning) => warning.startsWith("L402_SERVICES"))).toEqual([]);
  }, 30_000);

  it("warns of a wrangler.toml from before the per-network mint limit and the ledger's cron, and not of the template's", () => {
    const limiter = (name: string, id: string) => `[[ratelimits]]\nname = "${name}"\nnamespace_id = "${id}"\nsimple = { limit = 5, period = 60 }\n`;
    const ledger = `[[d1_databases]]\nbinding = "L402_LEDGER"\ndatabase_name = "l"\ndatabase_id = "00000000-0000-0000-0000-000000000000"\n`;
    const secrets = `L402_MASTER_KEYS=${KEY}\nLND_MACAROON=0201abcd\n`;
    const old = checkConfig(`${limiter("L402_MINT_LIMITER", "1")}${ledger}[vars]\n${LND}${SERVICE}`, secrets);
    expect(old.status, old.stderr).toBe(0);
    expect(warningsOf(old.stderr)).toEqual([
      expect.stringMatching(/^L402_MINT_NETWORK_LIMITER is not bound: invoices are capped per client address only/),
      expect.stringMatching(/^the D1 ledger is bound but no cron trigger is set: unpaid challenges are never forgotten/),
    ]);
    const current = checkConfig(`${limiter("L402_MINT_LIMITER", "1")}${limiter("L402_MINT_NETWORK_LIMITER", "2")}${ledger}[triggers]\ncrons = ["17 * * * *"]\n[vars]\n${LND}${SERVICE}`, secrets);
    expect(current.status, current.stderr).toBe(0);
    expect(warningsOf(current.stderr)).toEqual([]);
  }, 30_000);

  it("warns about a balance service whose reservation no credit it sells covers, or not the one sold by default (not one that fits), and one giving free requests", () => {
    const result = checkConfig(
      `[[durable_objects.bindings]]\nname = "L402_BALANCES"\nclass_name = "TokenBalance"\n[[durable_objects.bindings]]\nname = "L402_FREEBIES"\nclass_name = "FreebieCounter"\n[vars]\n${LND}` +
        `[[vars.L402_SERVICES]]\nname = "dear"\nmatch = ["/dear/*"]\nprice_sats = 1\nmax_cost_sats = 5000\nbalance = { amounts_sats = [1000, 2000], bonus_sats = { "2000" = 500 } }\n` +
        `[[vars.L402_SERVICES]]\nname = "later"\nmatch = ["/later/*"]\nprice_sats = 1\nmax_cost_sats = 2500\nbalance = { amounts_sats = [1000, 2000], bonus_sats = { "2000" = 500 } }\n` +
        `[[vars.L402_SERVICES]]\nname = "fits"\nmatch = ["/fits/*"]\nprice_sats = 1\nmax_cost_sats = 2500\nbalance = { amounts_sats = [2000, 1000], bonus_sats = { "2000" = 500 } }\n` +
        `[[vars.L402_SERVICES]]\nname = "chat"\nmatch = ["/chat/*"]\nprice_sats = 1\nfreebies = 2\nbalance = { amounts_sats = [1000] }\nmeter = { per_1k_output_tokens_msat = 15000 }\n`,
      `L402_MASTER_KEYS=${KEY}\nLND_MACAROON=0201abcd\n`,
    );
    expect(result.status).toBe(0);
    expect(warningsOf(result.stderr).filter((line) => line.includes("free requests"))).toEqual(["chat: its free requests are not debited from any balance nor metered: one streams an answer of any length, whatever it costs the origin"]);
    expect(warningsOf(result.stderr).filter((line) => line.includes("credit sold"))).toEqual([
      "dear: a request reserves 5000000 msat (its price or max_cost_sats), more than the largest credit sold (2500000 msat): every new token is short on its first request and must be topped up first",
    ]);
    expect(warningsOf(result.stderr).filter((line) => line.includes("by default"))).toEqual([
      "later: a request reserves 2500000 msat (its price or max_cost_sats), more than the credit a 402 sells by default (the first amount's, 1000000 msat): a token bought without X-L402-Credit is short on its first request; list an amount that covers it first",
    ]);
  }, 30_000);

  it("warns of uses or a balance on tokens that never expire (each kept in its Durable Object for good), not of those with a timeout", () => {
    const result = checkConfig(
      `[[durable_objects.bindings]]\nname = "L402_BALANCES"\nclass_name = "TokenBalance"\n[[durable_objects.bindings]]\nname = "L402_METER"\nclass_name = "TokenMeter"\n[vars]\n${LND}` +
        `[[vars.L402_SERVICES]]\nname = "credit"\nmatch = ["/credit/*"]\nprice_sats = 1\nbalance = { amounts_sats = [1000] }\n` +
        `[[vars.L402_SERVICES]]\nname = "calls"\nmatch = ["/calls/*"]\nprice_sats = 1\nuses = 5\n` +
        `[[vars.L402_SERVICES]]\nname = "month"\nmatch = ["/month/*"]\nprice_sats = 1\nuses = 5\ntimeout = 2592000\n` +
        `[[vars.L402_SERVICES]]\nname = "plain"\nmatch = ["/plain/*"]\nprice_sats = 1\n`,
      `L402_MASTER_KEYS=${KEY}\nLND_MACAROON=0201abcd\n`,
    );
    expect(result.status, result.stderr).toBe(0);
    expect(warningsOf(result.stderr).filter((line) => line.includes("never expire"))).toEqual([
      "credit: its tokens never expire (no timeout), so each token's balance is kept in its Durable Object for good; set a timeout for them to be forgotten after it",
      "calls: its tokens never expire (no timeout), so each token's count of uses is kept in its Durable Object for good; set a timeout for them to be forgotten after it",
    ]);
  }, 30_000);

  const NWC = `L402_NETWORK = "regtest"\nL402_BACKEND = "nwc"\n`;
  const NWC_SECRETS = `L402_MASTER_KEYS=${KEY}\nL402_NWC_URI=nostr+walletconnect://${"b".repeat(64)}?relay=wss%3A%2F%2Frelay.example.com&secret=${"c".repeat(64)}\n`;
  const LND_BUILD = `[define]\n"globalThis.L402_BUILD_BACKEND" = '"lnd"'\n"globalThis.L402_BUILD_MCP" = "false"\n`;
  const TOOL = `${SERVICE}mcp = { tool = "get_api", path = "/api/x" }\n`;

  it("checks the build the [define] makes: another backend, or an MCP tool, fails and names the define", () => {
    const wrongBackend = checkConfig(`${LND_BUILD}[vars]\n${NWC}${SERVICE}`, NWC_SECRETS);
    expect(wrongBackend.status).toBe(1);
    expect(wrongBackend.stderr).toContain(`check-config: L402_BACKEND: "nwc" is not in this build of the Worker, which carries lnd only: build it with globalThis.L402_BUILD_BACKEND = '"nwc"'`);
    const withoutMcp = checkConfig(`${LND_BUILD}[vars]\n${LND}${TOOL}`, `L402_MASTER_KEYS=${KEY}\nLND_MACAROON=0201abcd\n`);
    expect(withoutMcp.status).toBe(1);
    expect(withoutMcp.stderr).toContain('check-config: L402_SERVICES "api".mcp: this build of the Worker leaves the MCP endpoint out (globalThis.L402_BUILD_MCP = false)');
  }, 90_000);

  it("the template's own [define] (wrangler.toml): what it leaves out fails, naming the setting and the define; its config passes", () => {
    const template = readFileSync(new URL("../../wrangler.toml", import.meta.url), "utf8");
    const define = template.slice(template.indexOf("[define]"), template.indexOf("[vars]"));
    const secrets = `L402_MASTER_KEYS=${KEY}\nLND_MACAROON=0201abcd\n`;
    const plain = checkConfig(`${define}[vars]\n${LND}${SERVICE}`, secrets);
    expect(plain.status).toBe(0);
    expect(plain.stderr).not.toContain("this build");
    const pool = `[[durable_objects.bindings]]\nname = "L402_INVOICE_POOL"\nclass_name = "InvoicePoolShard"\n`;
    const used = checkConfig(`${define}${pool}[vars]\n${LND}L402_FIAT_RATE = "USD:95000"\nL402_INVOICE_POOL_SIZE = "5"\n${SERVICE}price_rules = [{ query = { size = "large" }, price_sats = 5 }]\n`, `${secrets}L402_ADMIN_TOKEN=a-rotated-admin-token-0123456789abcdef\n`);
    expect(used.status).toBe(1);
    for (const [users, what, define] of [
      ["L402_FIAT_RATE", "the 402 page for browsers", "L402_BUILD_PAGE"],
      ['L402_SERVICES "api".price_rules', "request pricing", "L402_BUILD_PRICES"],
      ["L402_ADMIN_TOKEN", "the admin API, the operator dashboard and the decision counts they read from D1", "L402_BUILD_ADMIN"],
      ["L402_INVOICE_POOL_SIZE", "the invoice pool", "L402_BUILD_POOL"],
    ]) {
      expect(used.stderr).toContain(`check-config: ${users}: this build of the Worker leaves ${what} out (globalThis.${define} = false): remove that define`);
    }
    expect(used.stderr).not.toContain("0123456789abcdef");
  }, 90_000);

  it("a [define] naming no backend fails; without [define], every backend and MCP are built", () => {
    const unknownBackend = checkConfig(`[define]\n"globalThis.L402_BUILD_BACKEND" = '"lnx"'\n[vars]\n${LND}${SERVICE}`, `L402_MASTER_KEYS=${KEY}\nLND_MACAROON=0201abcd\n`);
    expect(unknownBackend.status).toBe(1);
    expect(unknownBackend.stderr).toContain('check-config: globalThis.L402_BUILD_BACKEND: "lnx" is not a backend (lnd, nwc, lnbits, phoenixd, cln)');
    const full = checkConfig(`[vars]\n${NWC}${TOOL}`, NWC_SECRETS);
    expect(full.status).toBe(0);
    expect(full.stderr).not.toContain("build");
  }, 90_000);

  it("names every bad field, shows no secret, and exits 1", () => {
    const result = checkConfig(
      `[vars]\nL402_NETWORK = "moon"\nLND_REST_URL = "ftp://node"\n[[vars.L402_SERVICES]]\nname = "api"\nmatch = ["/api/*"]\nprice_sats = 0\norigin = { headers = { "X-Key" = { secret = "MISSING" } } }\n`,
      `L402_MASTER_KEYS=abcd\nLND_MACAROON=secret-not-hex\n`,
    );
    expect(result.status).toBe(1);
    for (const field of ["L402_NETWORK", "LND_REST_URL", 'L402_SERVICES "api".price_sats', 'L402_SERVICES "api".origin.headers: "X-Key": secret "MISSING" is not set', "L402_MASTER_KEYS", "LND_MACAROON"]) {
      expect(result.stderr).toContain(field);
    }
    expect(result.stderr).not.toContain("secret-not-hex");
  }, 30_000);

  it("checks the chosen backend's settings only, and names where it is", () => {
    const services = `[[vars.L402_SERVICES]]\nname = "api"\nmatch = ["/api/*"]\nprice_sats = 2\n`;
    const uri = `nostr+walletconnect://${"ab".repeat(32)}?relay=wss%3A%2F%2Frelay.example.com&secret=${"cd".repeat(32)}`;
    const nwc = checkConfig(`[vars]\nL402_NETWORK = "regtest"\nL402_BACKEND = "nwc"\n${services}`, `L402_MASTER_KEYS=${KEY}\nL402_NWC_URI=${uri}\n`);
    expect(nwc.status, nwc.stderr).toBe(0);
    expect(nwc.stdout).toContain(`NWC wallet ${"ab".repeat(6)}… via relay.example.com`);
    expect(nwc.stdout + nwc.stderr).not.toContain("cd".repeat(32));

    const cln = checkConfig(`[vars]\nL402_NETWORK = "regtest"\nL402_BACKEND = "cln"\nLND_REST_URL = "ftp://ignored"\n${services}`, `L402_MASTER_KEYS=${KEY}\n`);
    expect(cln.status).toBe(1);
    expect(cln.stderr.trim().split("\n")).toEqual([
      "check-config: CLN_REST_URL: is required",
      "check-config: CLN_RUNE: is required (a secret: for local runs put it in .dev.vars beside wrangler.toml; for the deployed Worker, npx wrangler secret put CLN_RUNE)",
    ]);
  }, 30_000);

  it.each([
    { backend: "lnd", vars: 'LND_REST_URL = "https://lnd.example:8080"', secret: "LND_MACAROON" },
    { backend: "cln", vars: 'CLN_REST_URL = "https://cln.example:3010"', secret: "CLN_RUNE" },
    { backend: "phoenixd", vars: 'PHOENIXD_URL = "https://phoenixd.example"', secret: "PHOENIXD_PASSWORD" },
    { backend: "lnbits", vars: 'LNBITS_URL = "https://lnbits.example"', secret: "LNBITS_INVOICE_KEY" },
    { backend: "nwc", vars: "", secret: "L402_NWC_URI" },
  ])("says where to set a missing $secret", ({ backend, vars, secret }) => {
    const result = checkConfig(`[vars]\nL402_NETWORK = "regtest"\nL402_BACKEND = "${backend}"\n${vars}\n${SERVICE}`, `L402_MASTER_KEYS=${KEY}\n`);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(`check-config: ${secret}: is required (a secret: for local runs put it in .dev.vars beside wrangler.toml; for the deployed Worker, npx wrangler secret put ${secret})\n`);
  }, 30_000);

  it("says where to set a missing master key or origin header secret, naming the environment checked", () => {
    const toml = `[env.staging.vars]\n${LND}${SERVICE.replace("vars.", "env.staging.vars.")}origin = { headers = { "X-Key" = { secret = "ORIGIN_KEY" } } }\n`;
    const result = checkConfig(toml, "LND_MACAROON=0201abcd\n", ["staging"]);
    expect(result.status).toBe(1);
    const where = (name: string) => `(a secret: for local runs put it in .dev.vars.staging (or .dev.vars) beside wrangler.toml; for the deployed Worker, npx wrangler secret put ${name} --env staging)`;
    expect(result.stderr).toContain(`check-config: L402_MASTER_KEYS: is not set (generate one: npx l402-edge keygen) ${where("L402_MASTER_KEYS")}\n`);
    expect(result.stderr).toContain(`check-config: L402_SERVICES "api".origin.headers: "X-Key": secret "ORIGIN_KEY" is not set ${where("ORIGIN_KEY")}\n`);
  }, 30_000);

  it("a malformed secret gets no hint: it is set, just wrong", () => {
    const result = checkConfig(`[vars]\n${LND}${SERVICE}`, `L402_MASTER_KEYS=${KEY}\nLND_MACAROON=not-hex\n`);
    expect(result.stderr).toBe("check-config: LND_MACAROON: must be the hex of a macaroon\n");
  }, 30_000);

  it("warns about a remote plain-http node (the macaroon would travel in clear)", () => {
    const result = checkConfig(`[vars]\nL402_NETWORK = "regtest"\nLND_REST_URL = "http://lnd.example:8080"\n${SERVICE}`, `L402_MASTER_KEYS=${KEY}\nLND_MACAROON=0201abcd\n`);
    expect(result.status, result.stderr).toBe(0);
    expect(warningsOf(result.stderr)).toContain("LND_REST_URL is plain http:// to a host that is not this machine: the macaroon would cross the network in clear on every call; use https://");
  }, 30_000);

  // Review of issue 18 (item 16): wrangler.toml is committed and [vars] are shown in the dashboard; a secret there is a leaked secret.
  it("a secret put in wrangler.toml's [vars] is named (never its value), with where it belongs", () => {
    const macaroon = "0201deadbeef";
    const result = checkConfig(`[vars]\n${LND}L402_MASTER_KEYS = "${KEY}"\nLND_MACAROON = "${macaroon}"\n${SERVICE}`, "");
    const said = result.stdout + result.stderr;
    for (const name of ["L402_MASTER_KEYS", "LND_MACAROON"]) expect(result.stderr).toMatch(new RegExp(`${name}.*wrangler secret put ${name}`));
    expect(said).not.toContain(KEY);
    expect(said).not.toContain(macaroon);
  }, 30_000);

  it("so is the payment context's signing key, the origin secret and the admin token", () => {
    const { privateKey } = generateKeyPairSync("ed25519");
    const jwk = JSON.stringify([{ ...privateKey.export({ format: "jwk" }), kid: "k1" }]);
    const origin = "an-origin-secret-0123456789";
    const admin = "a-rotated-admin-token-0123456789abcdef";
    const result = checkConfig(`[vars]\n${LND}L402_CONTEXT_KEYS = '${jwk}'\nL402_ORIGIN_SECRET = "${origin}"\nL402_ADMIN_TOKEN = "${admin}"\n${SERVICE}`, `L402_MASTER_KEYS=${KEY}\nLND_MACAROON=0201abcd\n`);
    const said = result.stdout + result.stderr;
    for (const name of ["L402_CONTEXT_KEYS", "L402_ORIGIN_SECRET", "L402_ADMIN_TOKEN"]) expect(result.stderr).toMatch(new RegExp(`${name}.*wrangler secret put ${name}`));
    for (const value of [JSON.parse(jwk)[0].d as string, origin, admin]) expect(said).not.toContain(value);
  }, 30_000);

  it.each([
    { toml: '[vars]\nL402_NETWORK = "regtest\nLND_REST_URL = "x"\n', at: "wrangler.toml:5:24" },
    { toml: "abc = = 1\n", at: "wrangler.toml:4:7" },
    { toml: "[vars]\nA = 1\n[vars]\n", at: "wrangler.toml:6:2" },
  ])("a TOML syntax error: $at", ({ toml, at }) => {
    const result = checkConfig(toml, "");
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^check-config: ${at.replace(/\./g, "\\.")}: Invalid TOML document: .+\n$`));
  }, 30_000);

  it.each(["--help", "-h"])("%s prints the usage and checks nothing", (flag) => {
    const result = checkConfig("abc = = 1\n", "", [flag]);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^usage: npm run check-config \[-- \[ENVIRONMENT\]\]\n/);
    expect(result.stderr).toBe("");
  }, 30_000);

  it.each([
    { args: ["--nope"], message: "check-config: unknown option --nope (see --help)\n", status: 2 },
    { args: ["staging", "prod"], message: "check-config: give at most one environment (see --help)\n", status: 2 },
  ])("bad arguments: $args", ({ args, message, status }) => {
    const result = checkConfig(`[vars]\n${LND}${SERVICE}`, `L402_MASTER_KEYS=${KEY}\nLND_MACAROON=0201abcd\n`, args);
    expect(result.status).toBe(status);
    expect(result.stderr).toBe(message);
  }, 30_000);

  it("an environment the file does not define is named, with the ones it does", () => {
    const result = checkConfig(`[vars]\n${LND}${SERVICE}[env.staging.vars]\n${LND}`, `L402_MASTER_KEYS=${KEY}\nLND_MACAROON=0201abcd\n`, ["stagin"]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('No environment found in configuration with name "stagin"');
    expect(result.stderr).toContain('The available configured environment names are: ["staging"]');
  }, 30_000);

  it("names services by name in every problem, by index only when the name itself is wrong", () => {
    const toml =
      `[vars]\n${LND}` +
      `[[vars.L402_SERVICES]]\nname = "quotes"\nmatch = ["/q/*"]\nuses = 0\nprice_sats = 1\n` +
      `[[vars.L402_SERVICES]]\nname = "bad name"\nmatch = ["/b/*"]\nprice_sats = 1\n` +
      `[[vars.L402_SERVICES]]\nmatch = ["/c/*"]\nprice_sats = 1\n`;
    const result = checkConfig(toml, `L402_MASTER_KEYS=${KEY}\nLND_MACAROON=0201abcd\n`);
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split("\n").sort()).toEqual([
      'check-config: L402_SERVICES "quotes".uses: must be an integer from 1 to 1000000',
      'check-config: L402_SERVICES "quotes".uses: needs the L402_METER Durable Object binding (see wrangler.toml)',
      "check-config: L402_SERVICES[1].name: must be letters, digits, '.', '_' or '-' (at most 64)",
      "check-config: L402_SERVICES[2].name: is required",
    ]);
  }, 30_000);

  it("warns about passing unmatched requests beside services of named hosts (an origin on the Worker's own host is a route's way, not warned of)", () => {
    const toml =
      `[vars]\n${LND}L402_UNMATCHED = "pass"\n` +
      `[[vars.L402_SERVICES]]\nname = "api"\nmatch = ["api.example.com/*"]\nprice_sats = 1\norigin = { url = "https://api.example.com" }\n` +
      `[[vars.L402_SERVICES]]\nname = "docs"\nmatch = ["/docs/*"]\nprice_sats = 1\norigin = { url = "https://origin.example.net" }\n`;
    const result = checkConfig(toml, `L402_MASTER_KEYS=${KEY}\nLND_MACAROON=0201abcd\n`);
    expect(result.status, result.stderr).toBe(0);
    expect(warningsOf(result.stderr).filter((line) => /origin\.url|UNMATCHED/.test(line))).toEqual([
      'L402_UNMATCHED is "pass" and api matches only the hosts named: on any other host the Worker\'s routes cover, the same paths are forwarded free (nothing to fear if its routes cover those hosts alone)',
    ]);
  }, 30_000);

  it("warns about entries that can never apply, and only those", () => {
    const toml =
      `[[durable_objects.bindings]]\nname = "L402_FREEBIES"\nclass_name = "FreebieCounter"\n[vars]\n${LND}` +
      `[[vars.L402_SERVICES]]\nname = "api"\nmatch = ["/api/*"]\nprice_sats = 1\ncapabilities = ["read", "admin"]\n` +
      `free_paths = ["/api/public/*", "/public/*", "/api", "/API/Exact", "/:page", "/apix/*"]\n` +
      `capability_rules = [{ path = "/admin/*", capability = "admin" }, { path = "/api/*", capability = "read" }]\n` +
      `[[vars.L402_SERVICES]]\nname = "reports"\nmatch = ["/api/reports/*", "/reports/*", "/API"]\nprice_sats = 1\n` +
      `[[vars.L402_SERVICES]]\nname = "open"\nmatch = ["/open/*"]\nauth = false\nfree_paths = ["/open/x"]\n` +
      `[[vars.L402_SERVICES]]\nname = "docs"\nmatch = ["/docs/*", "/guide"]\nmatch_case = true\nprice_sats = 1\nfree_paths = ["/docs/*", "/guide/"]\n` +
      // Free paths match case: ones that spell every pattern do not cover a service that ignores case (another spelling is charged).
      `[[vars.L402_SERVICES]]\nname = "docs-any-case"\nmatch = ["/manual/*"]\nprice_sats = 1\nfree_paths = ["/manual/*"]\n` +
      `[[vars.L402_SERVICES]]\nname = "shop"\nmatch = ["shop.example/*"]\nprice_sats = 1\n` +
      `[[vars.L402_SERVICES]]\nname = "shopx"\nmatch = ["shop.example/x/*", "other.example/x/*", "/x/*"]\nprice_sats = 1\n` +
      `[[vars.L402_SERVICES]]\nname = "cs"\nmatch = ["/cs/*"]\nmatch_case = true\nprice_sats = 1\n` +
      `[[vars.L402_SERVICES]]\nname = "cs-any-case"\nmatch = ["/cs/y/*"]\nprice_sats = 1\n` +
      `[[vars.L402_SERVICES]]\nname = "cs-same-case"\nmatch = ["/cs/z/*"]\nmatch_case = true\nprice_sats = 1\n` +
      // A parameter listed first takes a dearer literal path listed after it; auth off drops what prices it.
      `[[vars.L402_SERVICES]]\nname = "item"\nmatch = ["/item/:name"]\nprice_sats = 1\n` +
      `[[vars.L402_SERVICES]]\nname = "premium"\nmatch = ["/item/premium", "/premium/*"]\nprice_sats = 100\n` +
      `[[vars.L402_SERVICES]]\nname = "gratis"\nmatch = ["/gratis/*"]\nauth = false\nfreebies = 3\n` +
      // A pattern beyond ASCII in capitals is matched in one case too, and keeps its spelling: its free path lies within it.
      `[[vars.L402_SERVICES]]\nname = "cafe"\nmatch = ["/CAFÉ/*"]\nprice_sats = 1\nfree_paths = ["/CAFÉ/free"]\n`;
    const result = checkConfig(toml, `L402_MASTER_KEYS=${KEY}\nLND_MACAROON=0201abcd\n`);
    expect(result.status, result.stderr).toBe(0);
    expect(warningsOf(result.stderr).filter((line) => !line.startsWith("L402_MINT_LIMITER")).sort()).toEqual([
      "api: the capability rule for /admin/* lies outside every match pattern, so it never applies (a request must match the service first)",
      "api: the free path /apix/* lies outside every match pattern, so it never applies (a request must match the service first)",
      "api: the free path /public/* lies outside every match pattern, so it never applies (a request must match the service first)",
      "cs-any-case: /cs/y/x (one path its pattern /cs/y/* matches) is cs's, listed earlier: the first service that matches wins, so such requests are sold at its terms",
      "cs-same-case: the pattern /cs/z/* is covered by cs's /cs/*, listed earlier: the first service that matches wins, so it never applies",
      "docs: its free_paths cover every match pattern, so it never charges (auth = false says that plainly)",
      "gratis: auth = false forwards every request free, so its freebies never apply",
      "item: the pattern /item/:name does not match /item itself; if the origin serves /item, add it to match",
      "open: auth = false forwards every request free, so its free_paths never apply",
      "premium: /item/premium (one path its pattern /item/premium matches) is item's, listed earlier: the first service that matches wins, so such requests are sold at its terms",
      "reports: the pattern /API is covered by api's /api/*, listed earlier: the first service that matches wins, so it never applies",
      "reports: the pattern /api/reports/* is covered by api's /api/*, listed earlier: the first service that matches wins, so it never applies",
      "shop: its match takes in GET /openapi.json, GET /llms.txt, which the Worker answers itself: the origin's own there is never reached",
      "shopx: the pattern shop.example/x/* is covered by shop's shop.example/*, listed earlier: the first service that matches wins, so it never applies",
    ]);
  }, 30_000);

  it("refuses payment context settings that do not hold together, naming each field and never a key", () => {
    const key = { kty: "OKP", crv: "Ed25519", kid: "k1", d: "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A" };
    const result = checkConfig(`[vars]\n${LND}L402_CONTEXT_TTL = "3600"\nL402_CONTEXT_HEADER = "Bad Header"\n${SERVICE}`, `L402_MASTER_KEYS=${KEY}\nLND_MACAROON=0201abcd\nL402_CONTEXT_KEYS=${JSON.stringify([key, key])}\n`);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("L402_CONTEXT_KEYS: must not use a kid twice");
    expect(result.stderr).toContain("L402_CONTEXT_TTL: must be an integer from 10 to 300");
    expect(result.stderr).toContain("L402_CONTEXT_HEADER: has an invalid format");
    expect(result.stderr + result.stdout).not.toContain(key.d);
    const good = checkConfig(`[vars]\n${LND}${SERVICE}`, `L402_MASTER_KEYS=${KEY}\nLND_MACAROON=0201abcd\nL402_CONTEXT_KEYS=${JSON.stringify([key])}\n`);
    expect(good.status, good.stderr).toBe(0);
    // Two runs of the script: twice the others' time.
  }, 60_000);
});
