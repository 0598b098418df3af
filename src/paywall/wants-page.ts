import Negotiator from "negotiator";
import type { HeaderReader } from "./request.ts";

// Apart from request.ts: negotiator is CommonJS, which a bundle keeps whole wherever it is imported,
// and only the 402 page asks this (a template Worker built without the page leaves both out: src/worker/build.ts).

/**
 * Browsers send an Accept of a few hundred characters and no quoted
 * parameters; negotiator's time grows with the square of the quotes it
 * re-counts (a 16 KB Accept of quotes and commas took 0.6 s, on every
 * unpaid request): an Accept beyond this, or quoting, is a program's.
 */
const MOST_PAGE_ACCEPT_CHARS = 1024;

/** A browser asking for a page: HTML preferred to JSON in Accept, and no request body. */
export function wantsPage(headers: HeaderReader): boolean {
  if (headers.get("content-type") !== null) return false;
  const accept = headers.get("accept");
  if (accept === null || accept.length > MOST_PAGE_ACCEPT_CHARS || accept.includes('"')) return false;
  return new Negotiator({ headers: { accept } }).mediaType(["application/json", "text/html"]) === "text/html";
}
