/** What happened to a request, for the one log line it gets. */
export type Outcome =
  | "paid" // valid credential, forwarded
  | "free" // auth off or a free path, forwarded
  | "freebie" // no credential, but one of the client's free requests, forwarded
  | "passthrough" // matched no service, forwarded
  | "challenged" // 402 with a fresh invoice
  | "challenged_again" // 402 with the client's recent, still unpaid challenge
  | "rate_limited" // 429: too many new challenges for this address
  | "refused" // 4xx without a challenge (e.g. an oversized credential)
  | "node_unavailable" // 503: no invoice could be made
  | "origin_error" // 502/504 from forwarding
  | "not_found" // matched no service, 404
  | "preflight"
  | "health"
  | "admin"
  | "misconfigured"
  | "error";

export interface RequestLog {
  requestId: string;
  method: string;
  host: string;
  path: string;
  service?: string;
  outcome?: Outcome;
  /** Why a credential was refused, or why the node or origin failed. */
  reason?: string;
  detail?: string;
  tokenId?: string;
  status?: number;
}

/**
 * One structured JSON line per request. Built from chosen fields only, so a
 * preimage, macaroon or secret has no way in.
 */
export function writeLog(entry: RequestLog, startedAt: number): void {
  console.log(JSON.stringify({ ...entry, latencyMs: Date.now() - startedAt }));
}
