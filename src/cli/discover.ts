import { readAtMost } from "../read-at-most.ts";
import { formatSats } from "../l402/index.ts";
import { printable, printJson } from "./io.ts";
import { isJsonObject } from "../json-object.ts";

/** One thing for sale, as `get --discover` prints it: service, host and path, price, schemes, terms. */
interface Row {
  readonly service: string;
  readonly path: string;
  readonly price: string;
  readonly schemes: string;
  readonly terms: string;
}

type Found = { readonly document: unknown; readonly rows: readonly Row[] };

/**
 * What a host sells, from whichever discovery document it publishes, read in
 * this order: `/.well-known/l402-services` (the richest), the L402 manifest
 * (`/.well-known/l402.json`, L402 PR #27), `/openapi.json` (operations with
 * `x-l402`); else the URL's own answer, when a 402 links a manifest
 * (`Link: <…>; rel="l402-manifest"`). Undefined: none of them.
 */
export async function discovered(url: URL, signal?: AbortSignal): Promise<Found | undefined> {
  const places: [string, (document: unknown) => Row[] | undefined][] = [
    ["/.well-known/l402-services", servicesRows],
    ["/.well-known/l402.json", manifestRows],
    ["/openapi.json", openApiRows],
  ];
  for (const [path, read] of places) {
    const found = await readDocument(new URL(path, url.origin), read, signal);
    if (found !== undefined) return found;
  }
  // Fetching the URL may cost the host an invoice: only when it publishes none of the documents above.
  const answer = await fetch(url, { headers: { Accept: "application/json" }, ...(signal === undefined ? {} : { signal }) });
  await answer.body?.cancel();
  const linked = answer.status === 402 ? manifestLink(answer.headers.get("link"), url) : undefined;
  return linked === undefined ? undefined : readDocument(linked, manifestRows, signal);
}

/** Prints what was found (a field of the host's as one printable cell: a tab or line break in it would forge a cell or a row): its rows, tab-separated, or the document as it came. */
export function printDiscovered(found: Found, json: boolean): void {
  if (json) return printJson(found.document);
  for (const row of found.rows) process.stdout.write(`${[row.service || "-", row.path, row.price, row.schemes, row.terms].map(printable).join("\t")}\n`);
}

async function readDocument(where: URL, read: (document: unknown) => Row[] | undefined, signal: AbortSignal | undefined): Promise<Found | undefined> {
  const { document } = await fetchDocument(where, signal);
  const rows = document === undefined ? undefined : read(document);
  return rows === undefined ? undefined : { document, rows };
}

/** The most of a discovery document read: the largest real ones are tens of KiB. */
const MAX_DOCUMENT_BYTES = 1024 * 1024;

/**
 * A JSON document, and the status it came with; undefined where the answer is
 * not a success, not JSON, or longer than MAX_DOCUMENT_BYTES (reading stops
 * there: a host that sends without end costs a megabyte, not the process).
 */
export async function fetchDocument(where: URL, signal?: AbortSignal, fetcher: typeof fetch = fetch): Promise<{ readonly status: number; readonly document: unknown }> {
  const response = await fetcher(where, { headers: { Accept: "application/json" }, ...(signal === undefined ? {} : { signal }) });
  if (!response.ok) {
    await response.body?.cancel();
    return { status: response.status, document: undefined };
  }
  const { bytes, truncated } = await readAtMost(response.body, MAX_DOCUMENT_BYTES);
  try {
    return { status: response.status, document: truncated ? undefined : (JSON.parse(new TextDecoder().decode(bytes)) as unknown) };
  } catch {
    return { status: response.status, document: undefined };
  }
}

/** The target of a `rel="l402-manifest"` link, resolved against the URL asked. */
function manifestLink(header: string | null, base: URL): URL | undefined {
  for (const link of header?.split(/,(?=\s*<)/) ?? []) {
    const match = /^\s*<([^>]*)>(.*)$/.exec(link);
    if (match !== null && /;\s*rel="?l402-manifest"?\s*(?:;|$)/i.test(match[2] ?? "")) {
      try {
        return new URL(match[1] ?? "", base);
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

const text = (value: unknown): string => (typeof value === "string" || typeof value === "number" ? String(value) : "");
const record = (value: unknown): Record<string, unknown> => (isJsonObject(value) ? value : {});
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const schemesOf = (value: unknown): string => (Array.isArray(value) ? value.map(text).join("+") : "l402");
/** A whole msat amount as sats; anything else (a fraction, a negative, text) as nothing: a document's values are the server's word. */
const sats = (msat: unknown): string => ((typeof msat === "number" && Number.isSafeInteger(msat) && msat >= 0) || (typeof msat === "string" && /^\d+$/.test(msat)) ? `${formatSats(BigInt(msat))} sats` : "");

/** `/.well-known/l402-services`: its routes. */
function servicesRows(document: unknown): Row[] | undefined {
  const { routes } = record(document);
  if (!Array.isArray(routes)) return undefined;
  return routes.map(record).map((route) => {
    const price = record(route["price"]);
    const amount = price["amount_sats"] !== undefined ? `${text(price["amount_sats"])} sats` : price["priced_by"] !== undefined ? "per request" : `${text(price["amount_msat"])} msat`;
    return { service: text(route["service"]), path: `${text(route["host"])}${text(route["path"])}`, price: amount, schemes: schemesOf(route["schemes"]), terms: text(route["terms"]) };
  });
}

/** The L402 manifest: a row per resource; a price the request decides is "per request". */
function manifestRows(document: unknown): Row[] | undefined {
  const { services, version } = record(document);
  if (typeof version !== "string" || !Array.isArray(services)) return undefined;
  return services.map(record).flatMap((service) =>
    list(service["resources"]).map(record).map((resource) => {
      const pricing = record(resource["pricing"]);
      return {
        service: text(service["name"]),
        path: `${text(resource["method"]) || "GET"} ${text(resource["path"])}`,
        price: pricing["model"] === "fixed" ? sats(pricing["price_msat"]) : "per request",
        schemes: schemesOf(service["x-schemes"]),
        terms: text(service["x-usage"]),
      };
    }),
  );
}

/** An OpenAPI document: a row per operation carrying `x-l402`. */
function openApiRows(document: unknown): Row[] | undefined {
  const { openapi, paths } = record(document);
  if (typeof openapi !== "string") return undefined;
  return Object.entries(record(paths)).flatMap(([path, item]) =>
    Object.entries(record(item)).flatMap(([method, operation]) => {
      const terms = record(record(operation)["x-l402"]);
      if (Object.keys(terms).length === 0) return [];
      return [{ service: text(terms["service"]), path: `${method.toUpperCase()} ${path}`, price: terms["price_msat"] === undefined ? "per request" : sats(terms["price_msat"]), schemes: schemesOf(terms["schemes"]), terms: text(terms["terms"]) }];
    }),
  );
}
