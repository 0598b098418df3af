import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBackendSims, type BackendSims } from "../../dev/backend-sims/index.ts";
import { startNwcWallet } from "../../dev/backend-sims/nwc-wallet.ts";
import { startSimulator, type Simulator } from "../../dev/lnd-sim/server.ts";
import { useScratchDirs } from "../setup/scratch-dirs.ts";
import { cli, cliShop, type CliShop } from "./support/cli-shop.ts";

const scratchDir = useScratchDirs();

/** The command line's `get` paying through Nostr Wallet Connect: a relay and an NWC wallet service on the simulator's node, against a minimal L402 server charging 3 sats. */
let sim: Simulator;
let walletSims: BackendSims;
let shop: CliShop;
let base: string;

beforeAll(async () => {
  sim = await startSimulator();
  walletSims = await startBackendSims(sim.node);
  shop = await cliShop(sim, 3);
  base = shop.url;
});
afterAll(async () => {
  shop.close();
  await walletSims.close();
  await sim.close();
});

describe("l402-edge get with an NWC wallet", () => {
  const secretOf = (uri: string) => /secret=([0-9a-f]{64})/.exec(uri)?.[1] as string;

  it("pays through --nwc (or L402_NWC_URI) and never prints the connection's secret", async () => {
    for (const [args, env] of [
      [["--nwc", walletSims.nwc.uri], {}],
      [[], { L402_NWC_URI: walletSims.nwc.uri }],
    ] as const) {
      const result = await cli(["get", `${base}/nwc`, "--json", "--token-dir", scratchDir("l402-cli-"), ...args], env);
      expect(result.code, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ status: 200, body: "paid content\n", paid: { sats: 3, feeSats: 0, services: ["cli"] } });
      expect(result.stdout + result.stderr).not.toContain(secretOf(walletSims.nwc.uri));
    }
    // NIP-47's pay_invoice carries no fee limit: the progress line does not claim one.
    const shown = await cli(["get", `${base}/nwc`, "--token-dir", scratchDir("l402-cli-"), "--nwc", walletSims.nwc.uri]);
    expect(shown.stderr).toContain("paying 3 sats (routing fee: no limit can be sent over NWC; the wallet's own budget caps it) for cli…");
  });

  it("a payment whose answer the relay loses: its token is kept in doubt, and the next run completes it (lookup_invoice) without paying again", async () => {
    const dir = scratchDir("l402-cli-");
    const faults = `${walletSims.relay.controlUrl}/_sim/faults`;
    await fetch(faults, { method: "POST", body: JSON.stringify({ failure: "lost_answer" }) });
    try {
      const lost = await cli(["get", `${base}/nwc-doubt`, "--json", "--token-dir", dir, "--nwc", walletSims.nwc.uri, "--pay-timeout", "1"]);
      expect(lost.code).toBe(4);
    } finally {
      await fetch(faults, { method: "DELETE" });
    }
    expect(JSON.parse((await cli(["tokens", "list", "--token-dir", dir])).stdout)).toMatchObject([{ tokens: [{ paymentInDoubt: true }] }]);
    const again = await cli(["get", `${base}/nwc-doubt`, "--json", "--token-dir", dir, "--nwc", walletSims.nwc.uri]);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ status: 200, paid: null });
  });

  it("a wrong secret, to a wallet that never answers strangers: --pay-timeout (or L402_PAY_TIMEOUT) bounds the wait, and the message says what may be wrong", async () => {
    const wallet = startNwcWallet(sim.node, walletSims.relay, { ignoresStrangers: true });
    const wrongSecret = wallet.uri.replace(/secret=[0-9a-f]{64}/, `secret=${"5e".repeat(32)}`);
    for (const [args, env] of [
      [["--nwc", wrongSecret, "--pay-timeout", "1"], {}],
      [["--nwc", wrongSecret], { L402_PAY_TIMEOUT: "1" }],
      // The flag wins over the environment.
      [["--nwc", wrongSecret, "--pay-timeout", "1"], { L402_PAY_TIMEOUT: "3600" }],
    ] as const) {
      const result = await cli(["get", `${base}/nwc-silent`, "--token-dir", scratchDir("l402-cli-"), ...args], env);
      expect(result.code).toBe(4);
      expect(result.stderr.trim().split("\n").at(-1)).toBe("l402-edge: the wallet did not answer within 1 s (it may still pay; check it before retrying); some wallets never answer a connection secret they do not know");
      expect(result.stderr).not.toContain("5e".repeat(32));
    }
  });

  it("--max-time gives up the answer while a payment is under way: exit 5, saying so; the run ends when the wallet does, keeping what it buys", async () => {
    const silent = startNwcWallet(sim.node, walletSims.relay, { ignoresStrangers: true });
    const wrongSecret = silent.uri.replace(/secret=[0-9a-f]{64}/, `secret=${"5e".repeat(32)}`);
    const result = await cli(["get", `${base}/nwc-late`, "--token-dir", scratchDir("l402-cli-"), "--nwc", wrongSecret, "--pay-timeout", "4", "--max-time", "2"]);
    expect(result.code).toBe(5);
    expect(result.stderr.trim().split("\n").at(-1)).toBe(`l402-edge: no complete answer from ${base} within 2 s (--max-time); ${"a payment was under way and may still complete: this run ends when the wallet answers (at most --pay-timeout), keeping a token it buys; check the wallet before paying again"}`);
  });

  it.each(["0", "-1", "1.5", "abc", "3601", ""])("--pay-timeout %j is refused (whole seconds, 1 to 3600)", async (value) => {
    for (const [args, env, named] of [
      [[`--pay-timeout=${value}`], {}, "--pay-timeout"],
      [[], { L402_PAY_TIMEOUT: value }, "L402_PAY_TIMEOUT"],
    ] as const) {
      if (named === "L402_PAY_TIMEOUT" && value === "") continue;
      const result = await cli(["get", `${base}/nwc-bad`, "--nwc", walletSims.nwc.uri, "--token-dir", scratchDir("l402-cli-"), ...args], env);
      expect(result.code).toBe(2);
      expect(result.stderr).toBe(`l402-edge: ${named} must be whole seconds, 1 to 3600\n`);
    }
  });

  it.each([
    { name: "a bad URI", args: ["--nwc", "nostr+walletconnect://nope?secret=0123456789abcdef"], env: {}, code: 2, message: /^l402-edge: the NWC connection URI names no wallet public key \(64 hex characters\)\n$/ },
    { name: "two wallets by flag", args: ["--nwc", "x", "--lnd-url", "http://127.0.0.1:1"], env: {}, code: 2, message: /^l402-edge: give --nwc or --lnd-url, not both\n$/ },
    { name: "two wallets by environment", args: [], env: { LND_REST_URL: "http://127.0.0.1:1", LND_MACAROON: "0201", L402_NWC_URI: "x" }, code: 2, message: /both L402_NWC_URI and LND_REST_URL are set/ },
    { name: "a relay that cannot be reached", args: ["--nwc", `nostr+walletconnect://${"ab".repeat(32)}?relay=ws%3A%2F%2F127.0.0.1%3A1&secret=${"cd".repeat(32)}`], env: {}, code: 5, message: /cannot reach the NWC relay/ },
  ] as const)("$name → exit $code", async ({ args, env, code, message }) => {
    const result = await cli(["get", `${base}/nwc-bad`, "--token-dir", scratchDir("l402-cli-"), ...args], env);
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toContain("0123456789abcdef");
  });
});
