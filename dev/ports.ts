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

/** The ports the kernel hands out of its own (listen(0), outgoing connections): Linux's range, else its default. */
function ephemeralRange(): readonly [number, number] {
  try {
    const [low, high] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number);
    if (Number.isInteger(low) && Number.isInteger(high)) return [low as number, high as number];
  } catch {
    // Not Linux: its default below.
  }
  return [32768, 60999];
}

/** The widest span of ports outside the ephemeral range, above the privileged ones. */
function quietSpan(): readonly [number, number] {
  const [low, high] = ephemeralRange();
  const below: [number, number] = [10_000, low - 1];
  const above: [number, number] = [high + 1, 65_535];
  return below[1] - below[0] >= above[1] - above[0] ? below : above;
}

/** Ports this process handed out already: two drawn back to back for one stack must differ. */
const handedOut = new Set<number>();

/**
 * A port free right now for the caller to bind later. Drawn outside the
 * kernel's ephemeral range: a port the kernel just handed out is soon handed
 * out again (to another test's listen(0) or to an outgoing connection), which
 * took a dev stack's origin port between the probe and its bind. Where no span
 * of a thousand ports lies outside it, the kernel's own choice.
 */
export async function freePort(host = "127.0.0.1"): Promise<number> {
  const [first, last] = quietSpan();
  if (last - first >= 1000) {
    for (let attempt = 0; attempt < 50; attempt++) {
      const port = first + Math.floor(Math.random() * (last - first + 1));
      if (handedOut.has(port) || !(await isPortFree(port, host))) continue;
      handedOut.add(port);
      return port;
    }
  }
  const server = createServer().listen(0, host);
  await new Promise((resolve) => server.once("listening", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
