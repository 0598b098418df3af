import { termsOf } from "../config/index.ts";
import { chargeTerms, type SoldRoute } from "./route-info.ts";
import { publishedBalance, publishedPrice, usageCaveats, usageTerms } from "./usage-terms.ts";

/** Who sells, for the documents' service block (ngx_l402's L402_SERVICE_NAME and L402_SERVICE_DESCRIPTION). */
export interface Seller {
  readonly name?: string | undefined;
  readonly description?: string | undefined;
}

/** Where the MCP endpoint is, and the tools it sells (README, "Paid MCP tools"). */
export interface McpListing {
  readonly endpoint: string;
  readonly tools: readonly string[];
}

/**
 * `/.well-known/l402-services`, in the shape ngx_l402 publishes (version "1":
 * service, payment_methods, routes with price.amount_msat, caveats_required,
 * macaroon_timeout_secs), with this paywall's own facts added per route:
 * service name, schemes, uses, capabilities, terms and a price in sats; a
 * price that depends on the request (`type: "dynamic"`: its rules, or a
 * pricer), and a balance service's credit and debits (usage-terms.ts); and
 * the MCP endpoint selling services as tools, if any.
 */
export function l402ServicesDocument(routes: readonly SoldRoute[], seller: Seller, mcp?: McpListing): object {
  const service = { ...(seller.name === undefined ? {} : { name: seller.name }), ...(seller.description === undefined ? {} : { description: seller.description }) };
  const schemes = [...new Set(routes.flatMap((route) => route.schemes))];
  return {
    version: "1",
    ...(Object.keys(service).length === 0 ? {} : { service }),
    payment_methods: [{ type: "lightning", schemes: schemes.map((scheme) => ({ l402: "L402", mpp: "Payment" })[scheme] ?? scheme) }],
    routes: routes.map((route) => ({
      path: route.pattern,
      ...(route.host === undefined ? {} : { host: route.host }),
      service: route.service,
      ...(route.mode === "enforce" ? {} : { mode: route.mode }),
      ...(route.description === undefined ? {} : { description: route.description }),
      price: publishedPrice(route),
      ...optional("balance", publishedBalance(route)),
      schemes: route.schemes,
      terms: termsOf(route),
      ...chargeTerms(route),
      ...optional("usage", usageTerms(route)),
      // The caveats every token for this route is minted with (valid_until's value is the mint time plus the timeout).
      caveats_required: [
        `services=${route.service}:0`,
        ...(route.capabilities === undefined ? [] : [`${route.service}_capabilities=${route.capabilities.join(",")}`]),
        ...(route.timeoutSeconds === undefined ? [] : [`${route.service}_valid_until`]),
        ...(route.uses === undefined ? [] : [`${route.service}_uses=${route.uses}`]),
        ...usageCaveats(route.service, route),
      ],
      ...(route.timeoutSeconds === undefined ? {} : { macaroon_timeout_secs: route.timeoutSeconds }),
      ...(route.uses === undefined ? {} : { uses: route.uses, charge_on: route.usesChargeOn }),
      ...(route.capabilities === undefined ? {} : { capabilities: route.capabilities }),
    })),
    ...(mcp === undefined ? {} : { mcp: { endpoint: mcp.endpoint, transport: "streamable-http", tools: mcp.tools } }),
  };
}

const optional = (name: string, value: unknown): Record<string, unknown> => (value === undefined ? {} : { [name]: value });
