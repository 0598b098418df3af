import { readFileSync } from "node:fs";
import { createServer } from "node:net";

/** Whether a loopback port can be bound right now. */
export function isPortFree(port: number, host = "127.0.0.1"): Promise<boolean> {
  const probe = createServer();
  return new Promise((resolve) => {
    probe.once("error", () => resolve(false));
    probe.listen(port, host, () => probe.close(() => resolve(true)));
  });
}

const FIRST = 10_000;

/** Where the kernel hands out ports of its own (listen(0), outgoing connections); Linux's default elsewhere. */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > FIRST + 1000 ? low : 32768;
  } catch {
    return 32768;
  }
}

/**
 * A port free right now for the caller to bind later. Drawn below the kernel's ephemeral range:
 * a port the kernel just handed out is soon handed out again (to another test's listen(0) or to an
 * outgoing connection), which took a dev stack's origin port between the probe and its bind.
 */
export async function freePort(host = "127.0.0.1"): Promise<number> {
  const span = ephemeralLow() - FIRST;
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = FIRST + Math.floor(Math.random() * span);
    if (await isPortFree(port, host)) return port;
  }
  throw new Error(`no free port found below ${FIRST + span}`);
}
