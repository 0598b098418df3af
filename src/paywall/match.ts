import type { ServiceConfig } from "../config/index.ts";
import { pathReadings, slashForms, type PathInput } from "./path-readings.ts";
import { UNNAMED_METHOD, type ClaimedMethods } from "./claimed-methods.ts";

/**
 * Which service, free path and capability rule a request falls under. Input is
 * the canonical URL (canonical-url.ts). Case is left to the patterns (they ignore
 * it unless a service sets `match_case`); trailing slashes are left here: Express
 * and Spring serve `/a/` and `/a` alike, so both forms are asked about; and a
 * path with non-ASCII text is asked about as sent and as an origin comparing
 * Unicode reads it (unicode-reading.ts). A path is paid if any form matches a
 * service, and needs the capabilities of all.
 */

/** The forms a service's patterns (ignoring case or not) are asked about. */
const forms = (url: URL, ignoreCase: boolean): PathInput[] => pathReadings(url, ignoreCase).flat();

/** The first service whose host/path pattern matches a form of the path. */
export function matchService(services: readonly ServiceConfig[], url: URL): ServiceConfig | undefined {
  // Made when a service asks: [matching case, ignoring it].
  const inputs: [PathInput[]?, PathInput[]?] = [];
  const formsFor = (service: ServiceConfig) => (inputs[service.matchCase ? 0 : 1] ??= forms(url, !service.matchCase));
  return services.find((service) => service.patterns.some((pattern) => formsFor(service).some((input) => pattern.test(input))));
}

/**
 * A free path entry frees what it matches with or without a trailing slash: one
 * page, whichever way the origin spells it (`/docs` and `/docs/`; `/x/*` frees
 * `/x` too). Nothing below an entry is freed that its pattern does not match:
 * free paths match case, and Unicode as sent and as written.
 */
export function isFreePath(service: ServiceConfig, url: URL): boolean {
  if (service.freePaths.length === 0) return false;
  return slashForms(url.hostname, url.pathname).some((input) => service.freePaths.some((pattern) => pattern.test(input)));
}

/**
 * The capabilities this request needs: for each form of the path and each
 * method it sends or claims (claimed-methods.ts), the first rule matching
 * method and path.
 */
export function requiredCapabilities(service: ServiceConfig, claimed: ClaimedMethods, url: URL): string[] {
  const rules = service.capabilityRules;
  if (rules.length === 0) return [];
  const methods = new Set(claimed.methods);
  if (claimed.anyMethod) for (const method of [UNNAMED_METHOD, ...rules.flatMap((rule) => rule.methods ?? [])]) methods.add(method);
  const needed = new Set<string>();
  for (const input of forms(url, !service.matchCase)) {
    for (const method of methods) {
      const rule = rules.find((candidate) => (candidate.methods === undefined || candidate.methods.includes(method)) && candidate.path.test(input));
      if (rule !== undefined) needed.add(rule.capability);
    }
  }
  return [...needed];
}
