import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { useScratchDirs } from "../setup/scratch-dirs.ts";

const scratchDir = useScratchDirs();

const SCRIPT = fileURLToPath(new URL("../../dev/check-config.ts", import.meta.url));

/** Runs `npm run check-config`'s script in a folder holding only a wrangler.toml and a .dev.vars. */
function checkConfig(toml: string, devVars: string) {
  const dir = scratchDir("l402-config-");
  writeFileSync(join(dir, "wrangler.toml"), `name = "t"\nmain = "index.ts"\ncompatibility_date = "2026-10-01"\n${toml}`);
  writeFileSync(join(dir, ".dev.vars"), devVars);
  writeFileSync(join(dir, "index.ts"), "export default {}");
  return spawnSync(process.execPath, [SCRIPT], { cwd: dir, encoding: "utf8", env: { ...process.env, WRANGLER_SEND_METRICS: "false" } });
}

const KEY = "33".repeat(32);

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
    expect(result.stderr).not.toContain("L402_MINT_LIMITER");
  }, 30_000);

  it("names every bad field, shows no secret, and exits 1", () => {
    const result = checkConfig(
      `[vars]\nL402_NETWORK = "moon"\nLND_REST_URL = "ftp://node"\n[[vars.L402_SERVICES]]\nname = "api"\nmatch = ["/api/*"]\nprice_sats = 0\norigin = { headers = { "X-Key" = { secret = "MISSING" } } }\n`,
      `L402_MASTER_KEYS=abcd\nLND_MACAROON=secret-not-hex\n`,
    );
    expect(result.status).toBe(1);
    for (const field of ["L402_NETWORK", "LND_REST_URL", "L402_SERVICES[0].price_sats", 'L402_SERVICES[0].origin.headers: "X-Key": secret "MISSING" is not set', "L402_MASTER_KEYS", "LND_MACAROON"]) {
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
    expect(cln.stderr.trim().split("\n")).toEqual(["check-config: CLN_REST_URL: is required", "check-config: CLN_RUNE: is required"]);
  }, 30_000);
});
