import { getPlatformProxy } from "wrangler";
import { parseConfig } from "../src/config/index.ts";

/**
 * `npm run check-config`: validates the Worker's configuration (wrangler.toml vars
 * plus .dev.vars secrets, as wrangler reads them) with the Worker's own parser.
 * Prints every bad field by name, never a value; exits 1 when any is bad.
 */
async function main(): Promise<void> {
  // Node has no URLPattern before v23; workerd has it natively.
  if (!("URLPattern" in globalThis)) await import("urlpattern-polyfill");
  const environment = process.argv[2];
  const proxy = await getPlatformProxy({ persist: false, remoteBindings: false, ...(environment ? { environment } : {}) });
  try {
    const result = parseConfig(proxy.env);
    if (!result.ok) {
      for (const error of result.errors) process.stderr.write(`check-config: ${error}\n`);
      process.exitCode = 1;
      return;
    }
    const { config } = result;
    process.stdout.write(
      `check-config: OK — network ${config.network}, ${config.keyring.byId.size} master key(s), LND at ${new URL(config.lnd.url).host}\n` +
        config.services
          .map((s) => `  ${s.name}: ${s.priceMsat % 1000n === 0n ? `${s.priceMsat / 1000n} sat` : `${s.priceMsat} msat`}${s.auth ? "" : " (auth off)"}, origin ${s.origin.url?.host ?? "(the request's own URL)"}\n`)
          .join(""),
    );
  } finally {
    await proxy.dispose();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`check-config: ${(error as Error).message.split("\n")[0]}\n`);
  process.exitCode = 2;
});
