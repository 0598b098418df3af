import { LightningError, type InvoiceBackend } from "../lightning/index.ts";
import type { IssuanceRecord } from "./issuance.ts";
import type { WorkerConfig } from "./worker-config.ts";

export const HEALTH_PATH = "/.well-known/l402/health";

/**
 * How long an isolate reuses the node's status: the endpoint is public and
 * unauthenticated, so a flood of health checks must not become a flood of
 * `getinfo` calls to the node.
 */
const NODE_STATUS_SECONDS = 5;

type NodeStatus = Record<string, unknown> & { readonly ok: boolean };
const recent = new WeakMap<InvoiceBackend, { readonly at: number; readonly status: Promise<NodeStatus> }>();

/** What health reports on: the configuration, the node as this isolate reaches it, and its last issuance. */
export interface HealthSubject {
  readonly config: WorkerConfig;
  readonly backend: InvoiceBackend;
  readonly issuance: () => IssuanceRecord;
  /** The platform's `waitUntil`: the node's status, shared with the checks after this one, is asked for to its end even if this check's client leaves. */
  readonly later: (work: Promise<unknown>) => void;
}

/** An env that does not hold together: every bad field by name, never by value. */
export const misconfiguredHealth = (problems: readonly string[]): Response =>
  Response.json({ ok: false, config: { valid: false, errors: problems } }, { status: 503, headers: { "Cache-Control": "no-store" } });

/**
 * Config validity and node reachability (getinfo), for monitors, and what this
 * isolate last saw of invoice issuance (issuance.ts), for the operator asking
 * why challenges fail while the node answers. The node's error kind, never its
 * raw answer.
 */
export async function healthResponse({ config, backend, issuance, later }: HealthSubject): Promise<Response> {
  const node = await nodeStatus(backend, config, later);
  return Response.json(
    { ok: node.ok, config: { valid: true, services: config.services.map((s) => s.name), network: config.network }, node, issuance: issuance() },
    { status: node.ok ? 200 : 503, headers: { "Cache-Control": "no-store" } },
  );
}

function nodeStatus(backend: InvoiceBackend, config: WorkerConfig, later: HealthSubject["later"]): Promise<NodeStatus> {
  const now = Date.now();
  const cached = recent.get(backend);
  if (cached !== undefined && now - cached.at < NODE_STATUS_SECONDS * 1000) return cached.status;
  const status = askNode(backend, config);
  // Cancelled with a client that left, it would never settle, and every check for the next seconds would wait on it.
  later(status.catch(() => undefined));
  recent.set(backend, { at: now, status });
  // An unexpected failure is not remembered: the next check asks again.
  status.catch(() => recent.delete(backend));
  return status;
}

async function askNode(backend: InvoiceBackend, config: WorkerConfig): Promise<NodeStatus> {
  try {
    const info = await backend.getInfo();
    const networkMatches = info.network === config.network;
    // Not its alias: health is public, and an alias finds the node (its key, often its address) on any Lightning explorer.
    return { backend: config.node.backend, reachable: true, ok: networkMatches && info.syncedToChain, network: info.network, networkMatches, syncedToChain: info.syncedToChain, blockHeight: info.blockHeight };
  } catch (error) {
    if (!(error instanceof LightningError)) throw error;
    return { backend: config.node.backend, reachable: error.reason === "auth" || error.reason === "node_error", ok: false, error: error.reason };
  }
}
