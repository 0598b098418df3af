import { startBackendSims } from "../dev/backend-sims/index.ts";
import { startSimulator } from "../dev/lnd-sim/server.ts";
import { bundleWorker, startWorkerd } from "../dev/workerd.ts";
import { median } from "./measure.ts";

const REQUESTS_PER_ROUND = 150;
const ROUNDS = 3;

/**
 * How long an unpaid request takes to get its 402 (a fresh invoice each time:
 * the challenge cache is off), through the template Worker in workerd, with
 * each backend's simulator on loopback, one request at a time. NWC is measured
 * both ways: a fresh relay connection per call, and the NwcRelay Durable
 * Object holding one. Rounds alternate between backends so drift on the
 * machine affects each alike. The simulators answer at once, so the figures
 * are the paywall's own cost per backend: the protocol's round trips, its
 * cryptography, and the Worker.
 */
export async function benchChallengeIssuance(): Promise<void> {
  const sim = await startSimulator();
  const sims = await startBackendSims(sim.node);
  const script = await bundleWorker(new URL("../src/worker/index.ts", import.meta.url));
  const base = {
    L402_MASTER_KEYS: "57".repeat(32),
    L402_NETWORK: "regtest",
    L402_CHALLENGE_CACHE_SECONDS: "0",
    L402_SERVICES: JSON.stringify([{ name: "paid", match: ["/paid/*"], price_sats: 1, origin: { url: "http://127.0.0.1:9" } }]),
  };
  const backends = {
    lnd: { LND_REST_URL: sim.url, LND_MACAROON: sim.paywallMacaroonHex },
    lnbits: { L402_BACKEND: "lnbits", LNBITS_URL: sims.lnbits.url, LNBITS_INVOICE_KEY: sims.lnbits.invoiceKey },
    phoenixd: { L402_BACKEND: "phoenixd", PHOENIXD_URL: sims.phoenixd.url, PHOENIXD_PASSWORD: sims.phoenixd.password },
    cln: { L402_BACKEND: "cln", CLN_REST_URL: sims.cln.url, CLN_RUNE: sims.cln.paywallRune },
    "nwc, socket per call": { L402_BACKEND: "nwc", L402_NWC_URI: sims.nwc.uri, L402_NWC_CONNECTION: "per-call" },
    "nwc, held (Durable Object)": { L402_BACKEND: "nwc", L402_NWC_URI: sims.nwc.uri, L402_NWC_CONNECTION: "held" },
  };
  const workers = await Promise.all(
    Object.entries(backends).map(async ([name, vars]) => ({ name, ...(await startWorkerd(script, { ...base, ...vars }, { durableObjects: { L402_NWC: "NwcRelay" } })) })),
  );
  try {
    const samples = new Map<string, number[]>(workers.map((w) => [w.name, []]));
    const issue = async (worker: (typeof workers)[number], into?: number[]) => {
      const start = performance.now();
      const response = await fetch(new URL(`/paid/${crypto.randomUUID()}`, worker.url));
      const body = await response.text();
      if (response.status !== 402) throw new Error(`${worker.name}: expected a 402, got ${response.status}: ${body.slice(0, 200)}`);
      into?.push(performance.now() - start);
    };
    for (const worker of workers) for (let i = 0; i < 20; i++) await issue(worker);
    for (let round = 0; round < ROUNDS; round++) {
      for (const worker of workers) for (let i = 0; i < REQUESTS_PER_ROUND; i++) await issue(worker, samples.get(worker.name));
    }
    const quantile = (values: number[], q: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * q))] as number;
    const lndMedian = median(samples.get("lnd") as number[]);
    console.log(`\nChallenge issuance (unpaid request → 402 with a fresh invoice), through workerd, each backend's simulator on loopback, ${ROUNDS} alternating rounds × ${REQUESTS_PER_ROUND} requests`);
    console.log(`${"backend".padEnd(28)}${"p50 ms".padStart(9)}${"p90 ms".padStart(9)}${"p99 ms".padStart(9)}${"vs lnd p50".padStart(12)}`);
    for (const [name, values] of samples) {
      const p50 = median(values);
      console.log(`${name.padEnd(28)}${p50.toFixed(2).padStart(9)}${quantile(values, 0.9).toFixed(2).padStart(9)}${quantile(values, 0.99).toFixed(2).padStart(9)}${`${p50 >= lndMedian ? "+" : ""}${(p50 - lndMedian).toFixed(2)}`.padStart(12)}`);
    }
  } finally {
    await Promise.all(workers.map((w) => w.mf.dispose()));
    await sims.close();
    await sim.close();
  }
}
