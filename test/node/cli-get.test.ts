import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type Simulator } from "../../dev/lnd-sim/server.ts";
import { fileStore } from "../../src/cli/file-store.ts";
import { useScratchDirs } from "../setup/scratch-dirs.ts";
import { cli, cliShop, type CliShop } from "./support/cli-shop.ts";

const scratchDir = useScratchDirs();

const BIN = fileURLToPath(new URL("../../bin/l402-edge.js", import.meta.url));

/**
 * The command line's `get` against minimal L402 servers (support/cli-shop.ts),
 * each charging `price` sats: `/moved` redirects to `/x` on the same server,
 * `/away` to `/x` on the other server (the NWC wallet's: cli-get-nwc.test.ts).
 */
let sim: Simulator;
let shops: CliShop[] = [];
let base: string;
let otherBase: string;
/** Payment hashes of the invoices each server offered, in order. */
const offered: Record<string, string[]> = {};
/** `/stream` sends its first chunk, then its last once this settles (the test releases it). */
let streamReleased: Promise<void> = Promise.resolve();
const price = 3;
/** Unpaid requests to `/race/…` are answered together once RACERS have come (or after 10 s): every run has its 402 before any pays. */
const RACERS = 5;
let racing: (() => void)[] = [];
function raceBarrier(): Promise<void> {
  return new Promise((resolve) => {
    racing.push(resolve);
    if (racing.length < RACERS) return void setTimeout(resolve, 10_000);
    const waiting = racing;
    racing = [];
    for (const go of waiting) go();
  });
}

async function l402Server(redirectAway: () => string): Promise<string> {
  const shop = await cliShop(sim, price, {
    async unpaid(path, request, response) {
      if (path === "/moved") {
        response.writeHead(301, { location: "/x" }).end();
        return true;
      }
      if (path === "/cut") {
        response.writeHead(200, { "content-type": "application/octet-stream", "content-length": "100000" }).write(Buffer.alloc(1000, "a"));
        setTimeout(() => response.socket?.destroy(), 50);
        return true;
      }
      if (path === "/stream") {
        response.writeHead(200, { "content-type": "application/octet-stream" }).write("first chunk\n");
        await streamReleased;
        response.end("last chunk\n");
        return true;
      }
      if (path === "/endless") {
        // A body without end: 17 MiB sent, and more after if the client still reads.
        response.writeHead(200, { "content-type": "text/plain" });
        for (let i = 0; i < 17 && !response.destroyed; i++) if (!response.write(Buffer.alloc(1 << 20, "e"))) await new Promise((resolve) => response.once("drain", resolve));
        response.end();
        return true;
      }
      if (path === "/away") {
        response.writeHead(302, { location: `${redirectAway()}/x` }).end();
        return true;
      }
      if (path === "/bad-location") {
        response.writeHead(302, { location: "http://[::1" }).end();
        return true;
      }
      if (path === "/file-location") {
        response.writeHead(302, { location: "file:///etc/passwd" }).end();
        return true;
      }
      if (path === "/away-to-headers") {
        response.writeHead(307, { location: `${redirectAway()}/headers` }).end();
        return true;
      }
      if (path === "/hostile-charge") {
        // A Payment charge whose invoice is the server's own text: escape sequences (clear the screen, hide what follows), a carriage return, a bidi override.
        const invoice = "ln\u001bc\rl402-edge: paid (routing fee 0 sats)\u001b[8m\u202e1qqqqqq";
        const request = Buffer.from(JSON.stringify({ amount: "1", currency: "sat", methodDetails: { invoice, paymentHash: "ab".repeat(32) } })).toString("base64url");
        response.writeHead(402, { "www-authenticate": `Payment id="x", realm="shop", method="lightning", intent="charge", request="${request}"` }).end();
        return true;
      }
      if (path === "/balance-here") {
        response.writeHead(200, { "content-type": "text/plain", "x-l402-balance": "5000" }).end("balance reported\n");
        return true;
      }
      if (path === "/away-to-balance") {
        response.writeHead(302, { location: `${redirectAway()}/balance-here` }).end();
        return true;
      }
      if (path === "/headers") {
        response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(request.headers));
        return true;
      }
      return false;
    },
    async paid(path, _request, response) {
      if (path !== "/paid-stream") return false;
      response.writeHead(200, { "content-type": "text/plain" }).write("paid first\n");
      await streamReleased;
      response.end("paid last\n");
      return true;
    },
    beforeInvoice: async (path) => (path.startsWith("/race/") ? raceBarrier() : undefined),
  });
  shops.push(shop);
  offered[shop.url] = shop.offered;
  return shop.url;
}

beforeAll(async () => {
  sim = await startSimulator();
  base = await l402Server(() => otherBase);
  otherBase = await l402Server(() => base);
});
afterAll(async () => {
  for (const shop of shops) shop.close();
  shops = [];
  await sim.close();
});

async function invoiceState(paymentHashHex: string): Promise<string> {
  const response = await fetch(`${sim.url}/v1/invoice/${paymentHashHex}`, { headers: { "Grpc-Metadata-macaroon": sim.adminMacaroonHex } });
  return ((await response.json()) as { state: string }).state;
}

const wallet = () => ({ LND_REST_URL: sim.url, LND_MACAROON: sim.adminMacaroonHex });

describe("l402-edge get", () => {
  it("pays, prints the body, shows progress on stderr, keeps the token 0600, reuses it", async () => {
    const dir = scratchDir("l402-cli-");
    const first = await cli(["get", `${base}/x`, "--token-dir", dir], wallet());
    expect(first).toMatchObject({ code: 0, stdout: "paid content\n" });
    expect(first.stderr).toMatch(/paying 3 sats \(routing fee at most 10 sats\) for cli…\nl402-edge: paid \(routing fee 0 sats\); token saved for http:\/\/127\.0\.0\.1:\d+/);
    const file = join(dir, `${encodeURIComponent(base)}.json`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const second = await cli(["get", `${base}/y`, "--token-dir", dir]);
    expect(second).toMatchObject({ code: 0, stdout: "paid content\n", stderr: "" });
  });

  it("runs side by side racing to one service pay once: the others wait for the purchase and use its token", async () => {
    const dir = scratchDir("l402-cli-");
    const before = (offered[base] ?? []).length;
    const runs = await Promise.all(Array.from({ length: RACERS }, (_, i) => cli(["get", `${base}/race/${i}`, "--token-dir", dir], wallet())));
    for (const run of runs) expect(run).toMatchObject({ code: 0, stdout: "paid content\n" });
    expect(runs.filter((run) => run.stderr.includes("paying 3 sats"))).toHaveLength(1);
    // Those that met the purchase under way said they wait for it (any that came once it was over found the token); the payer waited for none.
    const waited = runs.filter((run) => run.stderr.includes("l402-edge: another run is paying for the same; waiting to use what it buys…\n"));
    expect(waited.length).toBeLessThan(RACERS);
    expect(waited.some((run) => run.stderr.includes("paying 3 sats"))).toBe(false);
    const hashes = (offered[base] ?? []).slice(before);
    expect(hashes).toHaveLength(RACERS);
    const states = await Promise.all(hashes.map(invoiceState));
    expect(states.filter((state) => state === "SETTLED")).toHaveLength(1);
    expect(await fileStore(dir).get(base)).toHaveLength(1);
    expect(readdirSync(dir).filter((name) => name.endsWith(".lock"))).toEqual([]);
  });

  it("-i prints the status line and the headers before the body, as curl's", async () => {
    const result = await cli(["get", "-i", `${base}/x`, "--token-dir", scratchDir("l402-cli-")], wallet());
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^HTTP 200 OK\n(?:[a-z-]+: .*\n)*content-type: text\/plain\n(?:[a-z-]+: .*\n)*\npaid content\n$/);
  });

  it("--json reports a body up to 16 MiB, and says it was cut past that (a server sending without end costs no more)", async () => {
    const result = await cli(["get", `${base}/endless`, "--json", "--token-dir", scratchDir("l402-cli-")], wallet());
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { status: number; body: string; bodyTruncated?: boolean };
    expect(report).toMatchObject({ status: 200, bodyTruncated: true });
    expect(report.body).toHaveLength(16 * 1024 * 1024);
  });

  it("--no-pay shows the price and the invoice", async () => {
    const result = await cli(["get", `${base}/z`, "--no-pay", "--json"]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ status: 402, price_sats: 3, services: ["cli"], invoice: expect.stringMatching(/^lnbcrt30n1/) });
  });

  it("--no-pay shows no invoice of an origin a redirect led to: exit 6, as a paying run refuses it", async () => {
    const result = await cli(["get", `${base}/away`, "--no-pay", "--json"]);
    expect(result.code).toBe(6);
    expect(JSON.parse(result.stdout)).toMatchObject({ error: "foreign_challenge", message: expect.stringContaining(`${base} redirected to ${otherBase}, which asks for payment; its invoice is not shown`) });
    expect(result.stdout + result.stderr).not.toContain("lnbcrt");
  });

  it("a reader that leaves early (| head) ends the run quietly, exit 141 (as a shell reports SIGPIPE): no stack trace", async () => {
    const child = spawn(process.execPath, [BIN, "get", `${base}/endless`, "--token-dir", scratchDir("l402-cli-")], { env: { ...process.env, ...wallet() } });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    child.stdout.once("data", () => child.stdout.destroy());
    expect(await exited).toBe(141);
    expect(stderr).not.toMatch(/EPIPE|\n\s+at /);
  });

  it.each([
    { name: "over budget", flags: ["--max-cost", "2"], env: wallet, code: 3, message: /price is 3 sats, above the limit of 2/ },
    { name: "payment failed", flags: [], env: () => ({ LND_REST_URL: sim.url, LND_MACAROON: sim.invoiceMacaroonHex }), code: 4, message: /permission denied/ },
    { name: "wallet unreachable", flags: [], env: () => ({ LND_REST_URL: "http://127.0.0.1:1", LND_MACAROON: "0201" }), code: 5, message: /cannot reach the wallet's node/ },
    { name: "no wallet configured", flags: [], env: () => ({}), code: 2, message: /^l402-edge: a payment is needed but no wallet is set: [^\n]+\n$/ },
  ] as const)("$name → exit $code", async ({ flags, env, code, message }) => {
    const result = await cli(["get", `${base}/w`, "--token-dir", scratchDir("l402-cli-"), ...flags], env());
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(message);
  });

  it("--max-cost bounds the price and the routing fee together", async () => {
    sim.setFaults({ routeFeeMsat: 2000 });
    try {
      const tight = await cli(["get", `${base}/fee`, "--max-cost", "4", "--token-dir", scratchDir("l402-cli-")], wallet());
      expect(tight.code).toBe(4);
      expect(tight.stderr).toMatch(/routing fee at most 1 sats\)[\s\S]*FAILURE_REASON_NO_ROUTE/);
      const enough = await cli(["get", `${base}/fee`, "--max-cost", "5", "--json", "--token-dir", scratchDir("l402-cli-")], wallet());
      expect(enough.code).toBe(0);
      expect(JSON.parse(enough.stdout)).toMatchObject({ status: 200, paid: { sats: 3, feeSats: 2, services: ["cli"] } });
    } finally {
      sim.setFaults({ routeFeeMsat: 0 });
    }
  });

  it.each([
    { flags: [], routeFeeMsat: 10_000, says: "at most 10 sats", code: 0 },
    { flags: [], routeFeeMsat: 11_000, says: "at most 10 sats", code: 4 },
    { flags: ["--fee-limit", "2"], routeFeeMsat: 2000, says: "at most 2 sats", code: 0 },
    { flags: ["--fee-limit", "2"], routeFeeMsat: 3000, says: "at most 2 sats", code: 4 },
    { flags: ["--fee-limit", "0"], routeFeeMsat: 1000, says: "at most 0 sats", code: 4 },
    { flags: ["--fee-limit", "50", "--max-cost", "8"], routeFeeMsat: 5000, says: "at most 5 sats", code: 0 },
    { flags: ["--fee-limit", "50", "--max-cost", "8"], routeFeeMsat: 6000, says: "at most 5 sats", code: 4 },
  ])("the progress line names the fee limit sent to the node: $flags, route fee $routeFeeMsat msat", async ({ flags, routeFeeMsat, says, code }) => {
    sim.setFaults({ routeFeeMsat });
    try {
      const result = await cli(["get", `${base}/fee-line`, "--token-dir", scratchDir("l402-cli-"), ...flags], wallet());
      expect(result.stderr).toContain(`paying 3 sats (routing fee ${says}) for cli…`);
      expect(result.code, result.stderr).toBe(code);
      if (code !== 0) expect(result.stderr).toContain("FAILURE_REASON_NO_ROUTE");
    } finally {
      sim.setFaults({ routeFeeMsat: 0 });
    }
  });

  it("still refused after paying → exit 7, with the server's answer printed", async () => {
    const result = await cli(["get", `${base}/never`, "--token-dir", scratchDir("l402-cli-")], wallet());
    expect(result.code).toBe(7);
    expect(result.stdout).toBe("payment required\n");
    expect(result.stderr).toMatch(/paid[\s\S]*still asks for payment/);
  });

  it("says the balance an answer reports only when it came from the origin asked: not one a redirect to another origin led to", async () => {
    const dir = scratchDir("l402-cli-");
    expect(await cli(["get", `${otherBase}/balance-here`, "--token-dir", dir], wallet())).toMatchObject({ code: 0, stdout: "balance reported\n", stderr: "l402-edge: balance: 5 sats left\n" });
    expect(await cli(["get", `${base}/away-to-balance`, "--token-dir", dir], wallet())).toMatchObject({ code: 0, stdout: "balance reported\n", stderr: "" });
  });

  it("follows a redirect within the origin, and pays there", async () => {
    const dir = scratchDir("l402-cli-");
    const result = await cli(["get", `${base}/moved`, "--token-dir", dir], wallet());
    expect(result).toMatchObject({ code: 0, stdout: "paid content\n" });
    expect((await fileStore(dir).keys())).toEqual([base]);
  });

  it("never pays a challenge from an origin a redirect led to, nor keeps a token for it", async () => {
    const dir = scratchDir("l402-cli-");
    const before = offered[otherBase]?.length ?? 0;
    const result = await cli(["get", `${base}/away`, "--token-dir", dir], wallet());
    expect(result.code).toBe(6);
    expect(result.stderr).toContain(`${base} redirected to ${otherBase}, which asks for payment`);
    const asked = offered[otherBase]?.slice(before) ?? [];
    expect(asked).toHaveLength(1);
    expect(await invoiceState(asked[0] as string)).toBe("OPEN");
    expect(await fileStore(dir).keys()).toEqual([]);
  });

  it("a 402 over plain http:// from a host that is not this machine → exit 10, nothing paid, no token kept; --allow-http pays it", async () => {
    // This machine, by an address the client does not count as it (IPv4-mapped IPv6): as a remote host would be seen.
    const remote = base.replace("127.0.0.1", "[::ffff:127.0.0.1]");
    const remoteOrigin = new URL(remote).origin;
    const dir = scratchDir("l402-cli-");
    const before = offered[base]?.length ?? 0;
    const refused = await cli(["get", `${remote}/x`, "--token-dir", dir], wallet());
    expect(refused.code).toBe(10);
    expect(refused.stderr).toContain(`${remoteOrigin} asks for payment over plain http://`);
    const asked = offered[base]?.slice(before) ?? [];
    expect(asked).toHaveLength(1);
    expect(await invoiceState(asked[0] as string)).toBe("OPEN");
    expect(await fileStore(dir).keys()).toEqual([]);
    const allowed = await cli(["get", `${remote}/x`, "--token-dir", dir, "--allow-http"], wallet());
    expect(allowed).toMatchObject({ code: 0, stdout: "paid content\n" });
    expect(await fileStore(dir).keys()).toEqual([remoteOrigin]);
  });

  it("a redirect to what is no http(s) URL is a network failure (exit 5) saying so, never a crash", async () => {
    for (const [path, location] of [["/bad-location", "http://[::1"], ["/file-location", "file:///etc/passwd"]]) {
      const result = await cli(["get", `${base}${path}`, "--token-dir", scratchDir("l402-cli-")], wallet());
      expect(result.code).toBe(5);
      expect(result.stderr).toContain(`redirected to ${JSON.stringify(location)}, which is not an http(s) URL`);
      const json = await cli(["get", `${base}${path}`, "--token-dir", scratchDir("l402-cli-"), "--json"], wallet());
      expect(json.code).toBe(5);
      expect(JSON.parse(json.stdout)).toMatchObject({ error: "network", message: expect.stringContaining("which is not an http(s) URL") });
    }
  });

  it("a server's text quoted in a refusal reaches the terminal printable: no escape sequence, carriage return or bidi control", async () => {
    const result = await cli(["get", `${base}/hostile-charge`, "--token-dir", scratchDir("l402-cli-")], wallet());
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/^l402-edge: the challenge's invoice .*\ufffd/);
    expect(result.stderr).not.toMatch(/[\u001b\r\u202e]/);
  });

  it("a redirect to another origin carries none of the caller's credentials: Authorization, Cookie, Proxy-Authorization stay behind", async () => {
    const secrets = ["Authorization: Bearer caller-secret", "Cookie: session=caller-secret", "Proxy-Authorization: Basic caller-secret"];
    const result = await cli(["get", `${base}/away-to-headers`, ...secrets.flatMap((header) => ["-H", header]), "-H", "X-Kept: yes", "--token-dir", scratchDir("l402-cli-")]);
    expect(result.code).toBe(0);
    const seen = JSON.parse(result.stdout) as Record<string, string>;
    expect(seen["x-kept"]).toBe("yes");
    expect(result.stdout).not.toContain("caller-secret");
  });

  it("streams the body to stdout and to -o FILE as it arrives, as curl does (a download is never held whole)", async () => {
    for (const output of [undefined, join(scratchDir("l402-out-"), "body.bin")]) {
      let release = () => {};
      streamReleased = new Promise((resolve) => (release = resolve));
      let stdout = "";
      const child = spawn(process.execPath, [BIN, "get", `${base}/stream`, ...(output === undefined ? [] : ["-o", output])], { env: { ...process.env, L402_TOKEN_DIR: scratchDir("l402-cli-") } });
      child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
      const written = () => (output === undefined ? stdout : existsSync(output) ? readFileSync(output, "utf8") : "");
      try {
        // The first chunk is out while the server still holds the last back.
        await expect.poll(written, { timeout: 10_000 }).toBe("first chunk\n");
      } finally {
        release();
      }
      expect(await exited).toBe(0);
      expect(written()).toBe("first chunk\nlast chunk\n");
    }
  });

  it("--max-time bounds the whole run, the body included: a server holding its answer back → exit 5 when the time is up, what came written out", async () => {
    let release = () => {};
    streamReleased = new Promise((resolve) => (release = resolve));
    try {
      const run = await cli(["get", `${base}/stream`, "--max-time", "1", "--token-dir", scratchDir("l402-cli-")]);
      expect(run.code).toBe(5);
      expect(run.stdout).toBe("first chunk\n");
      expect(run.stderr).toBe(`l402-edge: no complete answer from ${base} within 1 s (--max-time)\n`);
      const json = await cli(["get", `${base}/stream`, "--max-time", "1", "--json", "--token-dir", scratchDir("l402-cli-")]);
      expect(json.code).toBe(5);
      expect(JSON.parse(json.stdout)).toMatchObject({ error: "timeout" });
      for (const bad of ["0", "86401", "1.5", "soon"]) expect((await cli(["get", `${base}/x`, "--max-time", bad])).stderr).toMatch(/--max-time must be whole seconds, 1 to 86400/);
      // Paid, then out of time: the JSON says what was paid, as a complete run's does.
      const paidThenLate = await cli(["get", `${base}/paid-stream`, "--max-time", "3", "--json", "--token-dir", scratchDir("l402-cli-")], wallet());
      expect(paidThenLate.code).toBe(5);
      expect(JSON.parse(paidThenLate.stdout)).toMatchObject({ error: "timeout", message: expect.stringContaining("what was paid stays paid"), paid: { sats: price, scheme: "l402" } });
    } finally {
      release();
    }
  });

  it("an answer cut midway → exit 5, saying so and how much came, what came written out", async () => {
    const run = await cli(["get", `${base}/cut`, "--token-dir", scratchDir("l402-cli-")]);
    expect(run.code).toBe(5);
    expect(run.stdout).toBe("a".repeat(1000));
    expect(run.stderr).toBe(`l402-edge: the answer from ${base} broke off after 1000 bytes: other side closed\n`);
  });

  it("-o a file that is there: left as it was by a run that gets no answer (over budget), replaced whole by one that does", async () => {
    const out = join(scratchDir("l402-out-"), "body.bin");
    writeFileSync(out, "an earlier answer, longer than the next\n");
    const refused = await cli(["get", `${base}/x`, "-o", out, "--max-cost", "2", "--token-dir", scratchDir("l402-cli-")], wallet());
    expect(refused.code).toBe(3);
    expect(readFileSync(out, "utf8")).toBe("an earlier answer, longer than the next\n");
    const dir = scratchDir("l402-cli-");
    const answered = await cli(["get", `${base}/x`, "-o", out, "--token-dir", dir], wallet());
    expect(answered.code).toBe(0);
    expect(readFileSync(out, "utf8")).toBe("paid content\n");
    // A device is no file to empty: written as it is.
    expect(await cli(["get", `${base}/x`, "-o", "/dev/null", "--token-dir", dir], wallet())).toMatchObject({ code: 0, stderr: "" });
  });

  it("-o a file that cannot be written → exit 2 before anything is asked or paid", async () => {
    const before = (offered[base] ?? []).length;
    const run = await cli(["get", `${base}/x`, "-o", join(scratchDir("l402-out-"), "missing", "body.bin"), "--token-dir", scratchDir("l402-cli-")], wallet());
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^l402-edge: cannot write .*missing\/body\.bin: ENOENT/);
    expect((offered[base] ?? []).length).toBe(before);
  });

  it("an unreachable server → exit 5; bad arguments → exit 2", async () => {
    expect((await cli(["get", "http://127.0.0.1:1/x"])).code).toBe(5);
    for (const args of [["get"], ["get", "ftp://x"], ["get", `${base}/x`, "--max-cost", "lots"], ["get", `${base}/x`, "-H", "nocolon"]]) {
      const result = await cli(args);
      expect(result.code).toBe(2);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
    }
  });
});
