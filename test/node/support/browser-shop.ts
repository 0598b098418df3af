import { Hono, type Context } from "hono";
import { payInvoice } from "../../../dev/lnd-sim/payer.ts";
import type { Simulator } from "../../../dev/lnd-sim/server.ts";
import { l402Paywall, memoryPorts, type L402Variables, type PaywallOptions } from "../../../src/index.ts";
import { createKeyring } from "../../../src/l402/index.ts";
import type { InvoiceBackend } from "../../../src/lightning/index.ts";
import type { ServiceDefinition } from "../../../src/config/index.ts";

/**
 * A shop selling articles to people in browsers through l402Paywall(), without
 * a browser: the page's requests made by hand, cookies kept by a small jar, the
 * LND simulator as the node. test/browser/payment-page.test.ts drives a real Chromium.
 */
export const keyring = createKeyring(new Uint8Array(32).fill(9));
export const BASE = "https://shop.example";
/** What a browser sends for a page the person asked for (typed, or a bookmark). */
export const PAGE = { Accept: "text/html,application/xhtml+xml,*/*;q=0.8", "Sec-Fetch-Site": "none", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document", "Sec-Fetch-User": "?1" };
export const SAME_ORIGIN = { "Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "cors" };
/** The cookies' names on https: `__Host-` cookies named per service. */
export const TOKEN = "__Host-l402-token-articles";
export const PENDING = "__Host-l402-pending-articles";
export const PROBE = "__Host-l402-probe-articles";

export interface Shop {
  readonly app: Hono<{ Variables: L402Variables }>;
  /** Node lookups made so far. */
  lookups(): number;
  /** Invoices the paywall asked the node for. */
  invoices(): number;
  /** Requests the app's own handlers answered. */
  readonly reached: string[];
}

/** `mount`: where the paywall and the articles are mounted (`"*"` for a service told apart by its `match`). */
export function shop(node: InvoiceBackend, service: Partial<ServiceDefinition> = {}, options: Partial<PaywallOptions> = {}, mount = "/articles/*"): Shop {
  let lookups = 0;
  let invoices = 0;
  const backend: InvoiceBackend = { ...node, lookupInvoice: (hash) => (lookups++, node.lookupInvoice(hash)), createInvoice: (request) => (invoices++, node.createInvoice(request)) };
  const reached: string[] = [];
  const app = new Hono<{ Variables: L402Variables }>();
  // Most tests want every poll to reach the node; the lookup limit has its own tests.
  const ports = { ...memoryPorts(), lookupLimiter: { allow: async () => true } };
  // The shop stands behind Cloudflare, as in production: the client's address is its CF-Connecting-IP (off Workers, the paywall trusts no such header by itself).
  const clientAddress = (c: Context) => c.req.header("cf-connecting-ip") ?? null;
  app.use(mount, l402Paywall({ service: { name: "articles", price_sats: 3, timeout: 3600, browser: true, ...service }, keyring, backend, ports, clientAddress, ...options }));
  app.all("/articles/*", (c) => {
    reached.push(`${c.req.method} ${new URL(c.req.url).pathname}`);
    return c.text(`paid content for ${c.var.l402?.tokenId}`);
  });
  return { app, lookups: () => lookups, invoices: () => invoices, reached };
}

/** A browser's cookies for one site: what Set-Cookie says, sent back as Cookie. */
export class Jar {
  readonly cookies = new Map<string, { value: string; attributes: string }>();
  take(response: Response): Response {
    for (const line of response.headers.getSetCookie()) {
      const [pair = "", ...attributes] = line.split(";").map((part) => part.trim());
      const name = pair.slice(0, pair.indexOf("="));
      if (/max-age=0\b/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, { value: pair.slice(name.length + 1), attributes: attributes.join("; ") });
    }
    return response;
  }
  get header(): Record<string, string> {
    return this.cookies.size === 0 ? {} : { Cookie: [...this.cookies].map(([name, { value }]) => `${name}=${value}`).join("; ") };
  }
}

export async function visit(s: Shop, jar: Jar, path = "/articles/lightning", headers: Record<string, string> = {}, base = BASE): Promise<Response> {
  return jar.take(await s.app.request(`${base}${path}`, { headers: { ...PAGE, ...jar.header, ...headers } }));
}

export async function poll(s: Shop, jar: Jar, path = "/articles/lightning", headers: Record<string, string> = SAME_ORIGIN): Promise<Response> {
  return jar.take(await s.app.request(`${BASE}${path}`, { headers: { "X-L402-Browser": "poll", Accept: "application/json", ...headers, ...jar.header } }));
}

export const invoiceOf = (page: string): string => /data-invoice="(ln[a-z0-9]+)"/.exec(page)?.[1] ?? "";
export const payOnPhone = (sim: Simulator, invoice: string) => payInvoice({ url: sim.url, macaroonHex: sim.adminMacaroonHex }, invoice);
