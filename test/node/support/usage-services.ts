import { compileServices, type ServiceConfig } from "../../../src/config/index.ts";
import type { FeatureSupport } from "../../../src/config/schema.ts";
import { claimedMethods, type ClaimedMethods } from "../../../src/paywall/claimed-methods.ts";
import { readRequest, type PaywallRequest } from "../../../src/paywall/request.ts";

/** Every stateful feature on offer, as a host with every port would have them. */
export const ALL_FEATURES: FeatureSupport = {
  meter: true,
  freebies: true,
  ledger: false,
  revocations: true,
  lookups: true,
  spent: true,
  balances: true,
  describe: (feature) => `a ${feature} port`,
};

/** The problems of service definitions as the middleware's options compile them (none: []). */
export function problemsOf(definitions: readonly unknown[], options: { features?: Partial<FeatureSupport>; secrets?: Record<string, unknown> } = {}): readonly string[] {
  const compiled = compileServices(definitions, { field: "services", secrets: options.secrets ?? {}, matchRequired: false, features: { ...ALL_FEATURES, ...options.features } });
  return compiled.ok ? [] : compiled.problems;
}

/** One service compiled, or the test fails naming its problems. */
export function serviceOf(definition: Record<string, unknown>, secrets: Record<string, unknown> = {}): ServiceConfig {
  const compiled = compileServices([definition], { field: "services", secrets, matchRequired: false, features: ALL_FEATURES });
  if (!compiled.ok) throw new Error(compiled.problems.join("; "));
  return compiled.value[0] as ServiceConfig;
}

/** A request as the paywall reads it (its URL canonical), and the methods it may be carried out as. */
export function requestOf(url: string, init: RequestInit = {}, now = 1_800_000_000) {
  const read = readRequest(new Request(url, init), { address: "192.0.2.1", userAgent: null }, now, []);
  if (!read.ok) throw new Error(read.detail);
  return read.value;
}
export const claimedOf = (request: PaywallRequest, service: ServiceConfig): ClaimedMethods => claimedMethods(request.method, request.headers, request.url, service.methodOverride);
