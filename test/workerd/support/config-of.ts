import { parseConfig } from "../../../src/worker/load-config.ts";
import type { WorkerConfig } from "../../../src/worker/worker-config.ts";

/** The least env a valid configuration needs (an LND node), for tests that vary the rest. */
export const base = { L402_MASTER_KEYS: "44".repeat(32), LND_REST_URL: "https://node.example:8080/", LND_MACAROON: "0201ab" };

/** The Worker's configuration from these services (and other settings); throws on a problem. */
export const configOf = (services: unknown[], extra: Record<string, unknown> = {}): WorkerConfig => {
  const result = parseConfig({ ...base, L402_SERVICES: services, ...extra });
  if (!result.ok) throw new Error(result.problems.join("; "));
  return result.value;
};

/** The configuration's problems (none: []). */
export const errorsOf = (services: unknown, extra: Record<string, unknown> = {}): readonly string[] => {
  const result = parseConfig({ ...base, L402_SERVICES: services, ...extra });
  return result.ok ? [] : result.problems;
};
