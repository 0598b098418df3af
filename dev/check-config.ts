import { parseConfig } from "../src/config/index.ts";
import { formatSats } from "../src/l402/index.ts";
import { configWarnings } from "../src/paywall/config-warnings.ts";
import { readWranglerEnv } from "./wrangler-env.ts";

/**
 * `npm run check-config [environment]`: validates the Worker's configuration
 * (wrangler.toml vars plus .dev.vars secrets, and which bindings are declared)
 * with the Worker's own parser, without starting a runtime. Prints every bad
 * field by name, never a value; exits 1 when any is bad. Warnings (valid
 * settings that are probably a mistake) do not fail the check.
 */
async function main(): Promise<void> {
  const environment = process.argv[2];
  const { env } = readWranglerEnv(environment === undefined ? {} : { environment });
  const result = parseConfig(env);
  if (!result.ok) {
    for (const error of result.problems) process.stderr.write(`check-config: ${error}\n`);
    process.exitCode = 1;
    return;
  }
  for (const warning of configWarnings(result.value, { mintLimiter: env["L402_MINT_LIMITER"] !== undefined })) {
    process.stderr.write(`check-config: warning: ${warning}\n`);
  }
  const { services, network, keyring, node } = result.value;
  const where = node.backend === "nwc" ? `NWC wallet ${node.connection.walletPubkey.slice(0, 12)}… via ${new URL(node.connection.relay).host}` : `${node.backend} at ${new URL(node.url).host}`;
  process.stdout.write(
    `check-config: OK — network ${network}, ${keyring.byId.size} master key(s), ${where}\n` +
      services
        .map((s) => {
          const schemes = [s.schemes.l402 ? "L402" : "", s.schemes.payment ? "Payment" : ""].filter((x) => x !== "").join("+");
          return `  ${s.name}: ${formatSats(s.priceMsat)} sat${s.auth ? ` (${schemes}${s.browser === undefined ? "" : ", browsers"})` : " (auth off)"}, origin ${s.origin.url?.host ?? "(the request's own URL)"}\n`;
        })
        .join(""),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`check-config: ${(error as Error).message.split("\n")[0]}\n`);
  process.exitCode = 2;
});
