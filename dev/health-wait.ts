/** The Worker's public health endpoint (src/worker/health.ts, which Node's typecheck cannot import: it is Workers code). */
const HEALTH_PATH = "/.well-known/l402/health";

/** The Worker did not become healthy; the message says what its health endpoint said. */
export class UnhealthyError extends Error {}

/**
 * Waits until the Worker's health endpoint answers ok. An invalid configuration
 * ends the wait at once (it will not mend itself while the stack runs); a node
 * that is not ready yet is waited for, up to `timeoutMs`. Either way the error
 * carries what the endpoint said, not only that it was unhealthy.
 */
export async function waitForHealth(workerUrl: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "it never answered";
  while (Date.now() < deadline) {
    let response: Response | undefined;
    try {
      response = await fetch(`${workerUrl}${HEALTH_PATH}`);
    } catch {
      // not listening yet
    }
    if (response?.ok) return;
    if (response !== undefined) {
      const body = (await response.json().catch(() => undefined)) as Health | undefined;
      const errors = body?.config?.valid === false && Array.isArray(body.config.errors) ? body.config.errors.map(String) : undefined;
      if (errors !== undefined) throw new UnhealthyError(`the Worker's configuration is invalid (its ${HEALTH_PATH} says):\n${errors.map((error) => `  ${error}\n`).join("")}`);
      last = describeNode(body, response.status);
    }
    await new Promise((done) => setTimeout(done, 250));
  }
  throw new UnhealthyError(`the Worker did not become healthy within ${timeoutMs / 1000} s; its ${HEALTH_PATH}: ${last}`);
}

/** What src/worker/health.ts answers, as far as it is read here. */
interface Health {
  readonly config?: { readonly valid?: unknown; readonly errors?: unknown; readonly network?: unknown };
  readonly node?: { readonly backend?: unknown; readonly reachable?: unknown; readonly error?: unknown; readonly network?: unknown; readonly networkMatches?: unknown; readonly syncedToChain?: unknown };
}

function describeNode(body: Health | undefined, status: number): string {
  const node = body?.node;
  if (node === undefined) return `HTTP ${status}`;
  const which = `its node (${String(node.backend)})`;
  if (node.error !== undefined) return `${which} ${node.reachable === true ? "refused" : "could not be reached"}: ${String(node.error)}`;
  if (node.networkMatches === false) return `${which} is on ${String(node.network)}, but L402_NETWORK is ${String(body?.config?.network)}`;
  if (node.syncedToChain === false) return `${which} is not synced to the chain`;
  return `HTTP ${status}`;
}
