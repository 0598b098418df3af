import { spawn } from "node:child_process";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import type { Simulator } from "../../../dev/lnd-sim/server.ts";
import { encodeMacaroon } from "../../../src/macaroon/index.ts";
import { createKeyring, formatChallenge, mint, parseAuthorization, serviceCaveats, verify } from "../../../src/l402/index.ts";
import { lndRestBackend } from "../../../src/lightning/index.ts";

const BIN = fileURLToPath(new URL("../../../bin/l402-edge.js", import.meta.url));

/** Runs `l402-edge` with no wallet from the environment but those `env` gives. */
export function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, LND_REST_URL: "", LND_MACAROON: "", L402_NWC_URI: "", ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

/** A test's own paths, answered before payment is asked (true: answered), or a paid request's answer (true: answered). */
type Route = (path: string, request: IncomingMessage, response: ServerResponse) => boolean | Promise<boolean>;

export interface CliShop {
  readonly url: string;
  /** Payment hashes of the invoices it offered, in order. */
  readonly offered: string[];
  readonly close: () => void;
}

/**
 * A minimal L402 server for the command line's tests, made of the project's own
 * core and the simulator (the full Worker is exercised by the dev-stack test):
 * it charges `priceSats` for service `cli` on any path and answers
 * `paid content` to any token it minted, except where the test's routes
 * answer first. `/never` refuses every token.
 */
export async function cliShop(sim: Simulator, priceSats: number, routes: { readonly unpaid?: Route; readonly paid?: Route; readonly beforeInvoice?: (path: string) => Promise<void> } = {}): Promise<CliShop> {
  const keyring = createKeyring(new Uint8Array(32).fill(8));
  const backend = lndRestBackend({ url: sim.url, macaroonHex: sim.invoiceMacaroonHex, network: "regtest", timeoutMs: 2000 });
  const offered: string[] = [];
  const server = createServer(async (request, response) => {
    const path = (request.url ?? "/").split("?")[0] ?? "/";
    if (await routes.unpaid?.(path, request, response)) return;
    const parsed = parseAuthorization(request.headers.authorization ?? "");
    if (path !== "/never" && parsed.ok && verify(parsed.value, { keyring, service: "cli", now: Math.floor(Date.now() / 1000) }).ok) {
      if (await routes.paid?.(path, request, response)) return;
      return void response.writeHead(200, { "content-type": "text/plain" }).end("paid content\n");
    }
    await routes.beforeInvoice?.(path);
    const invoice = await backend.createInvoice({ amountMsat: BigInt(priceSats) * 1000n, memo: "cli", expirySeconds: 600 });
    offered.push(Buffer.from(invoice.paymentHash).toString("hex"));
    const token = mint({ keyring, paymentHash: invoice.paymentHash, caveats: serviceCaveats({ service: "cli" }) });
    response.writeHead(402, { "www-authenticate": formatChallenge(encodeMacaroon(token.macaroon), invoice.paymentRequest).join(", ") });
    response.end("payment required\n");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, offered, close: () => void server.close() };
}
