import type { ServiceConfig } from "../config/index.ts";

/** The first service whose host/path pattern matches, as configured. */
export const matchService = (services: readonly ServiceConfig[], url: URL): ServiceConfig | undefined =>
  services.find((service) => service.patterns.some((pattern) => pattern.test(url)));

export const isFreePath = (service: ServiceConfig, url: URL): boolean =>
  service.freePaths.some((pattern) => pattern.test(url));

/** The capability this request needs: the first rule matching method and path, else none. */
export function requiredCapability(service: ServiceConfig, method: string, url: URL): string | undefined {
  const rule = service.capabilityRules.find(
    (candidate) => (candidate.methods === undefined || candidate.methods.includes(method)) && candidate.path.test(url),
  );
  return rule?.capability;
}
