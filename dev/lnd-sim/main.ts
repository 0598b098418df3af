import { parseArgs } from "node:util";
import { parseFaults } from "./faults.ts";
import { NETWORKS, startSimulator } from "./server.ts";

/** `npm run lnd-sim`: an LND REST simulator on loopback, until Ctrl-C. */
const USAGE = `usage: npm run lnd-sim -- [--port N] [--host H] [--network regtest|testnet|signet|mainnet]
                         [--admin-macaroon HEX] [--invoice-macaroon HEX]
                         [--latency-ms N] [--jitter-ms N] [--invoices-per-second N] [--failure unavailable|internal|malformed|drop]
                         [--mismatch amount|hash|network|expiry]`;

function fromHex(value: string | undefined, flag: string): Uint8Array | undefined {
  if (value === undefined) return undefined;
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(value)) throw new Error(`${flag} must be hex`);
  return Uint8Array.from(value.match(/../g) as string[], (byte) => parseInt(byte, 16));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: "0" },
      host: { type: "string", default: "127.0.0.1" },
      network: { type: "string", default: "regtest" },
      "admin-macaroon": { type: "string" },
      "invoice-macaroon": { type: "string" },
      "latency-ms": { type: "string" },
      "jitter-ms": { type: "string" },
      "invoices-per-second": { type: "string" },
      failure: { type: "string" },
      mismatch: { type: "string" },
      help: { type: "boolean" },
    },
  });
  if (values.help) return void console.log(USAGE);
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error("--port must be 0..65535");
  if (!(values.network in NETWORKS)) throw new Error(`--network must be one of ${Object.keys(NETWORKS).join(", ")}`);
  const faults = parseFaults({
    ...(values["latency-ms"] === undefined ? {} : { latencyMs: Number(values["latency-ms"]) }),
    ...(values["jitter-ms"] === undefined ? {} : { jitterMs: Number(values["jitter-ms"]) }),
    ...(values["invoices-per-second"] === undefined ? {} : { invoicesPerSecond: Number(values["invoices-per-second"]) }),
    ...(values.failure === undefined ? {} : { failure: values.failure }),
    ...(values.mismatch === undefined ? {} : { mismatch: values.mismatch }),
  });
  const adminMacaroon = fromHex(values["admin-macaroon"], "--admin-macaroon");
  const invoiceMacaroon = fromHex(values["invoice-macaroon"], "--invoice-macaroon");
  const sim = await startSimulator({
    host: values.host,
    port,
    network: values.network as keyof typeof NETWORKS,
    faults,
    ...(adminMacaroon === undefined ? {} : { adminMacaroon }),
    ...(invoiceMacaroon === undefined ? {} : { invoiceMacaroon }),
  });
  console.log(JSON.stringify({ url: sim.url, adminMacaroon: sim.adminMacaroonHex, invoiceMacaroon: sim.invoiceMacaroonHex, paywallMacaroon: sim.paywallMacaroonHex, nodePublicKey: sim.nodePublicKeyHex }));
  const stop = () => void sim.close().then(() => process.exit(0));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((error: unknown) => {
  const code = (error as { code?: string }).code;
  const message = code === "EADDRINUSE" ? "that port is taken; choose another with --port" : (error as Error).message;
  process.stderr.write(`lnd-sim: ${message}\n`);
  process.exit(2);
});
