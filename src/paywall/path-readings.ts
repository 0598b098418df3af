import type { ServiceConfig } from "../config/index.ts";
import { unicodeReading } from "../unicode-reading.ts";

/**
 * The forms of a request's path its services' patterns are asked about
 * (match.ts, price-rules.ts): with and without a trailing slash, and as sent
 * and as an origin comparing Unicode reads it (unicode-reading.ts).
 */
export type PathInput = { readonly hostname: string; readonly pathname: string };

export function slashForms(hostname: string, pathname: string): PathInput[] {
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

/**
 * Whether the path as sent and the path as an origin comparing Unicode reads
 * it fall under two services (a cheap `/café/*` before a dear `/*`, for
 * `/CAFÉ/x`; or a `/CAF%C3%89/*` before a `/café/*`): which the origin serves
 * is not known, so the request is refused (readRequest), as an ambiguous path.
 */
export function readsAsAnotherService(services: readonly ServiceConfig[], url: URL): boolean {
  const { hostname, pathname } = url;
  const readingOf = (ignoreCase: boolean) => {
    const read = unicodeReading(pathname, ignoreCase);
    return read === undefined ? undefined : slashForms(hostname, read);
  };
  const composed = readingOf(false);
  const folded = readingOf(true);
  if (composed === undefined && folded === undefined) return false;
  const asSent = slashForms(hostname, pathname);
  const firstTaking = (inputsFor: (service: ServiceConfig) => readonly PathInput[]) =>
    services.find((service) => service.patterns.some((pattern) => inputsFor(service).some((input) => pattern.test(input))));
  const sentTo = firstTaking(() => asSent);
  // A path that reads as itself under a service's case rule is its reading there too.
  const readTo = firstTaking((service) => (service.matchCase ? composed : folded) ?? asSent);
  return sentTo !== undefined && readTo !== undefined && sentTo !== readTo;
}
