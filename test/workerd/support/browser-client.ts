import { payInvoice } from "../../../dev/lnd-sim/payer.ts";
import { sim } from "./paywall-client.ts";

/** A browser's requests to the Worker, by hand: what it sends for a page, and for the page's poll. */
export const PAGE = { Accept: "text/html", "Sec-Fetch-Site": "none", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document", "Sec-Fetch-User": "?1" };
export const POLL = { "X-L402-Browser": "poll", "Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "cors" };

/** The cookies a response sets, by name: each whole Set-Cookie line. */
export function cookiesOf(response: Response): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const line of response.headers.getSetCookie()) {
    const pair = line.split(";")[0] ?? "";
    cookies.set(pair.slice(0, pair.indexOf("=")), line);
  }
  return cookies;
}
/** `name=value` of a Set-Cookie line, as a browser sends it back. */
export const valueOf = (line: string | undefined) => (line ?? "").split(";")[0] ?? "";
export const invoiceIn = (html: string) => /data-invoice="(ln[a-z0-9]+)"/.exec(html)?.[1] ?? "";
export const payFromPhone = (invoice: string) => payInvoice({ url: sim().url, macaroonHex: sim().adminMacaroonHex }, invoice);
/** A client of its own: an IPv6 /64 nobody else uses, so cache entries and page-invoice slots are its alone. */
export const ownClient = () => ({ "CF-Connecting-IP": `2001:db8:${crypto.randomUUID().slice(0, 4)}:${crypto.randomUUID().slice(0, 4)}::1` });
