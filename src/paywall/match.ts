import type { ServiceConfig } from "../config/index.ts";
import { unicodeReading } from "../unicode-reading.ts";
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
export type PathInput = { readonly hostname: string; readonly pathname: string };

function slashForms(hostname: string, pathname: string): PathInput[] {
  if (pathname === "/") return [{ hostname, pathname }];
  const toggled = pathname.endsWith("/") ? pathname.slice(0, -1) : `${pathname}/`;
  return [
    { hostname, pathname },
    { hostname, pathname: toggled },
  ];
}

/** The path as sent and, where it reads otherwise, as read (unicode-reading.ts), each in both its slash forms. */
export function pathReadings(url: URL, ignoreCase: boolean): PathInput[][] {
  const { hostname, pathname } = url;
  const read = unicodeReading(pathname, ignoreCase);
  return read === undefined ? [slashForms(hostname, pathname)] : [slashForms(hostname, pathname), slashForms(hostname, read)];
}

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
 * Whether the path as sent falls under another service than the path as an
 * origin comparing Unicode reads it (a cheap `/café/*` before a dear `/*`, for
 * `/CAFÉ/x`): which the origin serves is not known, so the request is refused
 * (readRequest), as an ambiguous path.
 */
export function readsAsAnotherService(services: readonly ServiceConfig[], url: URL): boolean {
  const { hostname, pathname } = url;
  if (unicodeReading(pathname, true) === undefined && unicodeReading(pathname, false) === undefined) return false;
  const asSent = slashForms(hostname, pathname);
  const sentTo = services.find((service) => service.patterns.some((pattern) => asSent.some((input) => pattern.test(input))));
  return sentTo !== undefined && sentTo !== matchService(services, url);
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
