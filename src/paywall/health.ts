import { LightningError } from "../lightning/index.ts";
import type { RuntimeResult } from "./runtime.ts";

export const HEALTH_PATH = "/.well-known/l402/health";

/**
 * Config validity and node reachability (getinfo), for monitors. Names bad
 * fields, never values; the node's error kind, never its raw answer.
 */
export async function healthResponse(loaded: RuntimeResult): Promise<Response> {
  if (!loaded.ok) return Response.json({ ok: false, config: { valid: false, errors: loaded.errors } }, { status: 503, headers: { "Cache-Control": "no-store" } });
  const { config, backend } = loaded.runtime;
  let node: Record<string, unknown>;
  try {
    const info = await backend.getInfo();
    const networkMatches = info.network === config.network;
    node = { reachable: true, ok: networkMatches && info.syncedToChain, alias: info.alias, network: info.network, networkMatches, syncedToChain: info.syncedToChain, blockHeight: info.blockHeight };
  } catch (error) {
    if (!(error instanceof LightningError)) throw error;
    node = { reachable: error.kind === "auth" || error.kind === "node_error", ok: false, error: error.kind };
  }
  const ok = node["ok"] === true;
  return Response.json(
    { ok, config: { valid: true, services: config.services.map((s) => s.name), network: config.network }, node },
    { status: ok ? 200 : 503, headers: { "Cache-Control": "no-store" } },
  );
}
