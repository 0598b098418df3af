import { open, type FileHandle } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { createL402Fetch, isChallenge, L402Error, lndWallet, nwcWallet, readOffer, type Scheme, type Wallet } from "../client/index.ts";
import { bodyText } from "../bytes.ts";
import { formatSats } from "../l402/index.ts";
import { parseNwcUri, type WebSocketFactory } from "../lightning/index.ts";
import { readAtMost } from "../read-at-most.ts";
import { discovered, printDiscovered } from "./discover.ts";
import { fileLedger } from "./file-ledger.ts";
import { fileStore } from "./file-store.ts";
import { EXIT, printJson, say, UsageError } from "./io.ts";
import { SPEND_FLAGS, spendLimits } from "./spend-flags.ts";
import { parseFlags } from "./flags.ts";

export const tokenDirectory = (flag: string | undefined): string =>
  flag ?? process.env["L402_TOKEN_DIR"] ?? join(homedir(), ".l402-edge", "tokens");

/** Exit codes of `get`, one per way it can fail, so scripts can tell them apart. */
const GET_EXIT = { overBudget: 3, paymentFailed: 4, network: 5, badChallenge: 6, stillRefused: 7, nothingDiscovered: 8, overWindow: 9, insecureOrigin: 10 } as const;

const CODE_EXIT = {
  over_budget: GET_EXIT.overBudget,
  over_window: GET_EXIT.overWindow,
  payment_failed: GET_EXIT.paymentFailed,
  network: GET_EXIT.network,
  bad_challenge: GET_EXIT.badChallenge,
  foreign_challenge: GET_EXIT.badChallenge,
  insecure_origin: GET_EXIT.insecureOrigin,
};

/** The flags that shape a request or its output, which `--discover` (its own requests, its own output) refuses. */
const DISCOVER_REFUSES = ["request", "header", "data", "output", "include", "no-pay", "max-cost", "credit"] as const;
/** Methods the Fetch standard forbids a request to have. */
const FORBIDDEN_METHODS: ReadonlySet<string> = new Set(["CONNECT", "TRACE", "TRACK"]);

/** `l402-edge get URL …`: curl for L402 APIs. */
export async function getCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags({
    args,
    allowPositionals: true,
    options: {
      request: { type: "string", short: "X" },
      header: { type: "string", short: "H", multiple: true },
      data: { type: "string", short: "d" },
      "max-cost": { type: "string" },
      credit: { type: "string" },
      "no-pay": { type: "boolean" },
      json: { type: "boolean" },
      "allow-http": { type: "boolean" },
      include: { type: "boolean", short: "i" },
      output: { type: "string", short: "o" },
      "lnd-url": { type: "string" },
      "lnd-macaroon": { type: "string" },
      "fee-limit": { type: "string" },
      nwc: { type: "string" },
      "pay-timeout": { type: "string" },
      "max-time": { type: "string" },
      "token-dir": { type: "string" },
      discover: { type: "boolean" },
      ...SPEND_FLAGS,
    },
  });
  if (positionals.length !== 1) throw new UsageError("give exactly one URL");
  const url = parseUrl(positionals[0] as string);
  // --max-time, as curl's: the whole run, its payment and the answer's body included (a server may trickle a body for ever).
  const maxTime = values["max-time"] === undefined ? undefined : boundedSeconds(values["max-time"], "--max-time", 86_400);
  if (values.discover) {
    // What shapes a request or its output means nothing here: refused, not ignored (an `-o` the answer would never reach). A wallet's or the token store's flags, which a wrapper may always pass, are let be.
    const ignored = DISCOVER_REFUSES.find((name) => values[name] !== undefined);
    if (ignored !== undefined) throw new UsageError(`--discover fetches the discovery documents alone: it takes no --${ignored}`);
    return discover(url, values.json === true, maxTime ?? DISCOVER_SECONDS);
  }
  const maxCost = whole(values["max-cost"] ?? "100", "--max-cost");
  const creditSats = values.credit === undefined ? undefined : whole(values.credit, "--credit");
  const limits = spendLimits(values);
  const headers = new Headers();
  for (const header of values.header ?? []) {
    const at = header.indexOf(":");
    if (at <= 0) throw new UsageError(`-H "${header}" is not "Name: value"`);
    try {
      headers.append(header.slice(0, at).trim(), header.slice(at + 1).trim());
    } catch {
      throw new UsageError(`-H "${header}": not a header name and value HTTP allows`);
    }
  }
  const method = (values.request ?? (values.data === undefined ? "GET" : "POST")).toUpperCase();
  // Checked as fetch() would check it, before anything is asked or paid (not a network failure later).
  if (!/^[!#$%&'*+.^_`|~0-9A-Z-]+$/.test(method) || FORBIDDEN_METHODS.has(method)) throw new UsageError(`-X "${values.request ?? ""}" is not an HTTP method fetch() sends`);
  if ((method === "GET" || method === "HEAD") && values.data !== undefined) throw new UsageError(`-d sends a body, which a ${method} cannot carry (use -X POST, or put the data in the URL)`);
  const signal = maxTime === undefined ? undefined : AbortSignal.timeout(maxTime * 1000);
  const init: RequestInit = { method, headers, ...(values.data === undefined ? {} : { body: values.data }), ...(signal === undefined ? {} : { signal }) };
  const directory = tokenDirectory(values["token-dir"]);
  const tell = (line: string) => values.json || say(line);
  const store = fileStore(directory, { onPurchaseWait: () => tell("another run is paying for the same; waiting to use what it buys…") });
  // Opened before anything is asked or paid: an answer that could not be kept is not bought.
  const output = values.output === undefined ? undefined : await openOutput(values.output);

  // What this run paid, once it has: reported however the run ends; and whether a payment is under way.
  let paid: Paid | null = null;
  let paying = false;
  try {
    if (values["no-pay"]) {
      const response = await fetch(url, init);
      if (!isChallenge(response)) return await deliver(response, null, values, output);
      // As a paying run would refuse it: an invoice from another origin (after a redirect) is not the one asked to show.
      const from = new URL(response.url).origin;
      if (from !== url.origin) {
        await response.body?.cancel();
        throw new L402Error("foreign_challenge", `${url.origin} redirected to ${from}, which asks for payment; its invoice is not shown: only the origin asked is paid`);
      }
      const offer = readOffer(response);
      const shown = { url: url.href, status: response.status, scheme: offer.scheme, price_sats: Number(formatSats(offer.priceMsat)), services: offer.services, invoice: offer.invoice, payment_hash: offer.paymentHash };
      if (values.json) printJson(shown);
      else process.stdout.write(`price: ${formatSats(offer.priceMsat)} sats (${offer.scheme === "l402" ? offer.services.join(", ") : `one request, ${offer.scheme === "payment" ? "Payment scheme" : "x402"}`})\ninvoice: ${offer.invoice}\n`);
      return EXIT.ok;
    }
    const l402Fetch = createL402Fetch({
      wallet: chosenWallet(values),
      maxCostSats: maxCost,
      store,
      limits,
      ledger: fileLedger(directory),
      allowHttp: values["allow-http"] === true,
      ...(creditSats === undefined ? {} : { creditSats }),
      onPayment: (event) => {
        const { offer } = event;
        const topUp = offer.scheme === "l402" && offer.terms.topupFor !== undefined;
        paying = event.phase === "paying";
        if (event.phase === "paying") {
          // The limit the wallet sends, not the budget's remainder: LND is told the lower of the two.
          const fee = event.feeLimitMsat === undefined ? "routing fee: no limit can be sent over NWC; the wallet's own budget caps it" : `routing fee at most ${formatSats(event.feeLimitMsat)} sats`;
          const what = topUp ? `to top up the balance of the ${offer.services.join(", ")} token` : `for ${offer.services.join(", ") || "access"}`;
          tell(`paying ${formatSats(offer.priceMsat)} sats (${fee}) ${what}…`);
        } else {
          paid = { sats: Number(formatSats(offer.priceMsat)), feeSats: Number(formatSats(event.feeMsat)), services: offer.services, scheme: offer.scheme, ...(topUp ? { topUp } : {}) };
          const kept = topUp ? `the top-up is sent once; the token is kept for ${url.origin}` : offer.scheme === "l402" ? `token saved for ${url.origin}` : `${ONE_REQUEST[offer.scheme]} buys this request only`;
          tell(`paid (routing fee ${formatSats(event.feeMsat)} sats); ${kept}`);
        }
      },
    });
    const response = await l402Fetch(url, init);
    // Said of this origin's token only: a redirect may have ended at another origin, whose header is not about it.
    const balance = response.url !== "" && new URL(response.url).origin === url.origin ? response.headers.get("x-l402-balance") : null;
    if (balance !== null && /^\d{1,19}$/.test(balance)) tell(`balance: ${formatSats(BigInt(balance))} sats left`);
    const code = await deliver(response, paid, values, output);
    if (isChallenge(response)) {
      tell("the server still asks for payment");
      return GET_EXIT.stillRefused;
    }
    return code;
  } catch (error) {
    if (signal?.aborted) {
      const underway = paying ? "; a payment was under way and may still complete: this run ends when the wallet answers (at most --pay-timeout), keeping a token it buys; check the wallet before paying again" : "";
      const message = `no complete answer from ${url.origin} within ${maxTime} s (--max-time)${paid === null ? "" : "; what was paid stays paid"}${underway}`;
      tell(message);
      if (values.json) printJson({ url: url.href, error: "timeout", message, ...(paid === null ? {} : { paid }) });
      return GET_EXIT.network;
    }
    if (error instanceof L402Error) {
      tell(error.message);
      if (values.json) printJson({ url: url.href, error: error.code, message: error.message, ...(paid === null ? {} : { paid }) });
      return CODE_EXIT[error.code];
    }
    if (error instanceof BodyBrokeOff) {
      tell(`the answer from ${url.origin} broke off${error.bytes === undefined ? "" : ` after ${error.bytes} bytes`}: ${error.message}`);
      if (values.json) printJson({ url: url.href, error: "network", message: error.message, ...(paid === null ? {} : { paid }) });
      return GET_EXIT.network;
    }
    if (error instanceof TypeError && !(error as { code?: string }).code) {
      tell(`cannot reach ${url.origin}: ${(error.cause as Error | undefined)?.message ?? error.message}`);
      if (values.json) printJson({ url: url.href, error: "network", message: error.message, ...(paid === null ? {} : { paid }) });
      return GET_EXIT.network;
    }
    throw error;
  } finally {
    // Where nothing was written to it (nothing bought, or a refusal): its write stream closes it otherwise.
    if (output !== undefined && output.fd !== -1) await output.close().catch(() => undefined);
  }
}

type Paid = { readonly sats: number; readonly feeSats: number; readonly services: readonly string[]; readonly scheme: Scheme; readonly topUp?: boolean };

/** What buys one request, by scheme. */
const ONE_REQUEST = { payment: "a Payment charge", x402: "an x402 payment" } as const;

/**
 * `-o FILE`, opened for writing; a file that cannot be is bad usage (exit 2),
 * found before anything is paid. Not emptied yet: a run that gets no answer
 * (refused, over budget, unreachable) leaves a file there as it was; `deliver` empties it.
 */
async function openOutput(path: string): Promise<FileHandle> {
  try {
    return await open(path, "a");
  } catch (error) {
    throw new UsageError(`cannot write ${path}: ${(error as Error).message}`);
  }
}

/** The answer's body failed on its way (the connection was cut): what reached the output stays there. */
class BodyBrokeOff extends Error {
  /** What reached the output first, where it is known. */
  readonly bytes: number | undefined;
  constructor(bytes: number | undefined, cause: unknown) {
    super(((cause as Error).cause as Error | undefined)?.message ?? (cause as Error).message);
    this.bytes = bytes;
  }
}

/** The most of a body `--json` reports (a document an API answers is far smaller). */
const JSON_BODY_LIMIT = 16 * 1024 * 1024;

/**
 * The answer as curl gives it: the body streamed to stdout or to `-o FILE` as
 * it arrives (a download of any size costs no more memory than a chunk), or,
 * with `--json`, in the JSON report (the body read whole up to 16 MiB, and
 * `bodyTruncated` past it: a server sending without end costs no more; with
 * `-o`, its size).
 */
async function deliver(
  response: Response,
  paid: Paid | null,
  values: { json?: boolean | undefined; output?: string | undefined; include?: boolean | undefined },
  output: FileHandle | undefined,
): Promise<number> {
  // -i, as curl's: the status line and headers before the body.
  if (values.include && !values.json) process.stdout.write(`HTTP ${response.status} ${response.statusText}\n${[...response.headers].map(([name, value]) => `${name}: ${value}\n`).join("")}\n`);
  const report = { status: response.status, headers: Object.fromEntries(response.headers) };
  if (output !== undefined) {
    // Opened to append (openOutput): a file emptied now, the answer written from its start (a device or pipe, /dev/null, has nothing to empty).
    if ((await output.stat()).isFile()) await output.truncate(0);
    const bytes = await streamBody(response, output.createWriteStream());
    if (values.json) printJson({ ...report, output: values.output, bytes, paid });
  } else if (values.json) {
    const { bytes, truncated } = await readAtMost(response.body, JSON_BODY_LIMIT).catch((error: unknown) => {
      throw new BodyBrokeOff(undefined, error);
    });
    printJson({ ...report, body: bodyText(bytes), ...(truncated ? { bodyTruncated: true } : {}), paid });
  } else {
    await streamBody(response, process.stdout, { end: false });
  }
  return EXIT.ok;
}

/** Pipes the body to `sink`, with backpressure; the bytes written. A body that fails on its way is BodyBrokeOff; a sink that fails, its own error. */
async function streamBody(response: Response, sink: NodeJS.WritableStream, options: { readonly end?: boolean } = {}): Promise<number> {
  let bytes = 0;
  const reader = response.body?.getReader();
  const read = async () => {
    try {
      return await reader?.read();
    } catch (error) {
      throw new BodyBrokeOff(bytes, error);
    }
  };
  await pipeline(
    async function* () {
      // A sink that fails ends this early: the body is let go of then too.
      try {
        for (;;) {
          const next = await read();
          if (next === undefined || next.done) return;
          bytes += next.value.length;
          yield next.value;
        }
      } finally {
        await reader?.cancel().catch(() => undefined);
      }
    },
    sink,
    options,
  );
  return bytes;
}

/** How long `--discover` reads a host's documents unless --max-time says: a few small documents, which a host could otherwise trickle for ever. */
const DISCOVER_SECONDS = 30;

/** `get --discover URL`: what the host sells, from the discovery document it publishes (discover.ts). */
async function discover(url: URL, json: boolean, seconds: number): Promise<number> {
  let found;
  const signal = AbortSignal.timeout(seconds * 1000);
  try {
    found = await discovered(url, signal);
  } catch (error) {
    const why = signal.aborted ? `no answer within ${seconds} s (--max-time)` : (((error as Error).cause as Error | undefined)?.message ?? (error as Error).message);
    say(`cannot reach ${url.origin}: ${why}`);
    return GET_EXIT.network;
  }
  if (found === undefined) {
    say(`${url.origin} publishes no /.well-known/l402-services, /.well-known/l402.json or /openapi.json, and its answer links no L402 manifest`);
    return GET_EXIT.nothingDiscovered;
  }
  printDiscovered(found, json);
  return EXIT.ok;
}

export type WalletFlags = { "lnd-url"?: string | undefined; "lnd-macaroon"?: string | undefined; "fee-limit"?: string | undefined; nwc?: string | undefined; "pay-timeout"?: string | undefined };

/** How long a payment may take by default: routing through a busy network, or a wallet that asks its owner. */
const PAY_TIMEOUT_SECONDS = 60;

/**
 * The wallet the flags (or, without wallet flags, the environment) name,
 * checked now; only a missing one waits until a payment is needed. LND and
 * NWC named at the same level are ambiguous.
 */
export function chosenWallet(values: WalletFlags): Wallet {
  if (values.nwc !== undefined && values["lnd-url"] !== undefined) throw new UsageError("give --nwc or --lnd-url, not both");
  const env = process.env;
  const flagged = values.nwc !== undefined || values["lnd-url"] !== undefined;
  if (!flagged && env["L402_NWC_URI"] && env["LND_REST_URL"]) throw new UsageError("both L402_NWC_URI and LND_REST_URL are set: choose a wallet with --nwc or --lnd-url");
  const nwcUri = values.nwc ?? (flagged ? undefined : env["L402_NWC_URI"]);
  const timeoutSeconds = payTimeoutOf(values);
  if (nwcUri) {
    // NWC sends no fee limit (the wallet's own budget caps it): a limit given would be believed and never applied.
    if (values["fee-limit"] !== undefined) throw new UsageError("--fee-limit applies to an LND wallet: NWC sends no fee limit (the wallet's own budget caps the routing fee)");
    const parsed = parseNwcUri(nwcUri);
    if (!parsed.ok) throw new UsageError(`the NWC connection URI ${parsed.detail}`);
    // Made on first use (Node 20 loads `ws` for it); payments it cannot tell the outcome of are looked up, as the library's wallet does.
    const wallet = async () => nwcWallet({ uri: nwcUri, timeoutSeconds, ...(await nodeWebSocket()) });
    return {
      pay: async (invoice, limits) => (await wallet()).pay(invoice, limits),
      lookup: async (paymentHash) => (await wallet()).lookup?.(paymentHash) ?? { status: "unknown" },
    };
  }
  const url = values["lnd-url"] ?? env["LND_REST_URL"];
  const macaroonHex = values["lnd-macaroon"] ?? env["LND_MACAROON"];
  if (url && macaroonHex) {
    if (!/^(?:[0-9a-fA-F]{2})+$/.test(macaroonHex)) throw new UsageError("the LND macaroon must be hex");
    return lndWallet({ url, macaroonHex, feeLimitSats: whole(values["fee-limit"] ?? "10", "--fee-limit"), timeoutSeconds });
  }
  const missing = (): never => {
    throw new UsageError("a payment is needed but no wallet is set: give --nwc (or L402_NWC_URI), or --lnd-url and --lnd-macaroon (or LND_REST_URL and LND_MACAROON)");
  };
  // Asked for its fee limit first, so no "paying" line is printed for a payment that cannot be made.
  return { feeLimitMsat: missing, pay: missing };
}

/** How long a wallet chosen by these flags waits for a payment, in seconds. */
export const payTimeoutOf = (values: WalletFlags): number => payTimeout(values["pay-timeout"], process.env["L402_PAY_TIMEOUT"]);

/** `--pay-timeout`, else `L402_PAY_TIMEOUT`, else the default: whole seconds, at most an hour. */
function payTimeout(flag: string | undefined, env: string | undefined): number {
  const [text, named] = flag !== undefined ? [flag, "--pay-timeout"] : env !== undefined && env !== "" ? [env, "L402_PAY_TIMEOUT"] : [undefined, ""];
  return text === undefined ? PAY_TIMEOUT_SECONDS : boundedSeconds(text, named, 3600);
}

/** A flag's whole seconds, 1 to `most`, else a usage error naming it. */
export function boundedSeconds(text: string, named: string, most: number): number {
  const seconds = /^\d{1,6}$/.test(text) ? Number(text) : 0;
  if (seconds < 1 || seconds > most) throw new UsageError(`${named} must be whole seconds, 1 to ${most}`);
  return seconds;
}

/** Node 20 has no WebSocket of its own (22 has): `ws` then, loaded only for an NWC payment. */
async function nodeWebSocket(): Promise<{ webSocket?: WebSocketFactory }> {
  if ("WebSocket" in globalThis) return {};
  const { WebSocket } = await import("ws");
  return { webSocket: (url) => new WebSocket(url) };
}

function parseUrl(text: string): URL {
  try {
    const url = new URL(text);
    if (url.protocol === "http:" || url.protocol === "https:") return url;
  } catch {
    // reported below
  }
  throw new UsageError(`"${text}" is not an http(s) URL`);
}

function whole(text: string, flag: string): number {
  if (!/^\d{1,9}$/.test(text)) throw new UsageError(`${flag} must be a whole number of sats`);
  return Number(text);
}
