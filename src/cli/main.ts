import { randomBytes } from "node:crypto";
import { toHex } from "../l402/index.ts";
import { EXIT, LocalStateError, say, UsageError } from "./io.ts";
import { getCommand } from "./get.ts";
import { tokenCommand } from "./token.ts";
import { tokensCommand } from "./tokens.ts";

const USAGE = `usage: l402-edge <command>

  keygen                                   a new master key (hex), for L402_MASTER_KEYS
  token inspect <token> [--master-key K]   decode a token (base64, hex, or "L402 mac:preimage")
  token mint (--root-key HEX | --master-key HEX) --payment-hash HEX [--caveat C]... [--location L]
  token attenuate <token> --caveat C [--caveat C]...
  token verify "<L402 mac:preimage>" --master-key K [--service S] [--capability C] [--now UNIX]

  get URL [-X METHOD] [-H "Name: value"]... [-d DATA] [--max-cost SATS] [--credit SATS] [--no-pay] [--json] [-i] [-o FILE]
          [--nwc URI | --lnd-url URL --lnd-macaroon HEX [--fee-limit SATS]] [--pay-timeout SECONDS] [--max-time SECONDS]
          [--token-dir DIR] [--max-per-hour SATS] [--max-per-day SATS] [--max-per-host SATS] [--allow-http]
      fetch a URL, paying its L402 challenge (or, where it is the only offer, its
      Payment-scheme lightning charge, which buys that one request) through a wallet:
      NWC (--nwc or L402_NWC_URI, nostr+walletconnect://…) or LND (LND_REST_URL, LND_MACAROON).
      At most --max-cost sats in all, routing fee included (default 100); with LND, at most
      --fee-limit sats of routing fee (default 10); NWC sends no fee limit (the wallet's
      budget for the connection caps it). --pay-timeout (or L402_PAY_TIMEOUT): how long to
      wait for the wallet to pay, 1 to 3600 s (default 60; a wallet that does not know the
      NWC connection's secret may never answer). --max-time: the whole run's limit, 1 to
      86400 s, payment and body included (exit 5 past it). Redirects are followed, but only the
      origin asked is ever paid. Nothing is paid, and no token sent, over plain http:// to a
      host other than this machine (exit 10) unless --allow-http. Tokens are kept per origin (L402_TOKEN_DIR, default
      ~/.l402-edge/tokens) and reused. Exit: 0 answered, 2 usage, 3 over budget,
      4 payment failed, 5 network failure, 6 bad challenge (or one from another origin
      after a redirect), 7 still refused after paying, 9 over a spend window, 10 a 402 over
      plain http://. -i prints
      the status and headers first.
      Spend windows (or L402_MAX_PER_HOUR, L402_MAX_PER_DAY, L402_MAX_PER_HOST): the most
      paid, routing fees included, in any 60 minutes, in any 24 hours, and at one host in
      any 24 hours. Every payment is counted in the token directory before it is made,
      under a lock, so separate and concurrent runs share the windows; a payment that
      would exceed one is refused unpaid.
      On a balance service: the balance left is said, a top-up of the same token is paid
      within --max-cost (it is a payment like any other), and --credit buys that amount
      among the service's credit offers.
  get --discover URL [--json] [--max-time SECONDS]
      what the URL's host sells: service, path, price, schemes, terms; read from its
      /.well-known/l402-services, else its L402 manifest (/.well-known/l402.json),
      else /openapi.json, else the manifest a 402 links. Exit 8: none of them; exit 5:
      no answer within --max-time (default 30 s).
  tokens list | show ORIGIN | rm ORIGIN | rm --all | spent   [--token-dir DIR]
      list: each token's services, what it cost (top-ups included) and, on a balance,
      the credit bought, the balance last reported and the top-ups paid.
      spent [--max-per-hour SATS] [--max-per-day SATS] [--max-per-host SATS]: each
      spend window, what was spent in it and its limit (flags or environment, as get).
  mcp [--max-cost SATS] [--max-per-hour SATS] [--max-per-day SATS] [--max-per-host SATS]
      [--nwc URI | --lnd-url URL --lnd-macaroon HEX [--fee-limit SATS]] [--pay-timeout SECONDS] [--token-dir DIR] [--allow-http]
      [--max-time SECONDS] [--allow-private-network]
      an MCP server on stdin/stdout for an agent host: tools fetch_paid (pays as get does,
      with the same wallet, tokens and spend windows; --max-cost or L402_MAX_COST caps each
      call's max_sats), discover, balance and spent. --max-time: each call's limit on its
      requests, its wait for a payment and its answer's body (discover's default: 30 s); a
      payment under way then goes on in the wallet, and a token it buys is kept when it ends.
      The tools reach public addresses only (not this machine, a private network or a
      cloud's metadata service), redirects included, unless --allow-private-network.
`;

async function run(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  switch (command) {
    case "keygen":
      if (rest.length > 0) throw new UsageError("keygen takes no arguments");
      process.stdout.write(`${toHex(new Uint8Array(randomBytes(32)))}\n`);
      return EXIT.ok;
    case "token":
      return tokenCommand(rest);
    case "get":
      return getCommand(rest);
    case "tokens":
      return tokensCommand(rest);
    case "mcp":
      // The MCP SDK is loaded only for this command: the others start without it.
      return (await import("./mcp.ts")).mcpCommand(rest);
    case undefined:
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(USAGE);
      return command === undefined ? EXIT.usage : EXIT.ok;
    default:
      throw new UsageError(`unknown command "${command}" (try: l402-edge help)`);
  }
}

async function main(): Promise<void> {
  // An output that fails is said once, never an uncaught 'error' event; a reader that went away (`| head`) is the run's end (below).
  let outputFailed = false;
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") return;
    process.stderr.write(`l402-edge: cannot write the output: ${error.message}\n`);
    outputFailed = true;
    process.exitCode = 70;
  });
  try {
    const code = await run(process.argv.slice(2));
    process.exitCode = outputFailed ? 70 : code;
  } catch (error) {
    // The reader went away (`| head`): quietly, with the code a shell gives a program its pipe's reader left (128 + SIGPIPE), so a pipeline that checks sees the answer cut.
    if ((error as NodeJS.ErrnoException | undefined)?.code === "EPIPE") {
      process.exitCode = 141;
      return;
    }
    // parseArgs reports unknown or malformed flags with a TypeError carrying a `code`.
    const known = error instanceof UsageError || (error instanceof TypeError && "code" in error);
    const message = known || error instanceof LocalStateError ? (error as Error).message : `unexpected error: ${String(error)}`;
    say(message);
    process.exitCode = known ? EXIT.usage : 70;
  }
}

await main();
