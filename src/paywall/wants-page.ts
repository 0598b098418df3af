import Negotiator from "negotiator";
import type { HeaderReader } from "./request.ts";

// Apart from request.ts: negotiator is CommonJS, which a bundle keeps whole wherever it is imported,
// and only the 402 page asks this (a template Worker built without the page leaves both out: src/worker/build.ts).

/** A browser asking for a page: HTML preferred to JSON in Accept, and no request body. */
export function wantsPage(headers: HeaderReader): boolean {
  if (headers.get("content-type") !== null) return false;
  const accept = headers.get("accept");
  if (accept === null) return false;
  return new Negotiator({ headers: { accept } }).mediaType(["application/json", "text/html"]) === "text/html";
}
