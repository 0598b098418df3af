import { covers, coveringPattern, literalPath, pathCovers, type NodeConfig, type ServiceConfig, type UrlPattern } from "../config/index.ts";
import { JWKS_PATH } from "../context/index.ts";
import { DISCOVERY_PATHS } from "../discovery/index.ts";
import { matchService } from "../paywall/match.ts";
import { inClear } from "../this-machine.ts";
import type { WorkerConfig } from "./worker-config.ts";

/** What the wrangler file declares beside the settings: the bindings, and its cron triggers (undefined: not known). */
export interface Declarations {
  readonly mintLimiter: boolean;
  readonly networkMintLimiter?: boolean;
  readonly ledger?: boolean;
  readonly crons?: readonly string[];
}

/**
 * Settings that are valid but probably not what the operator meant, for
 * `npm run check-config`:
 * - a pattern that does not match the path it is a prefix of (`/api/:rest+`
 *   leaves `/api` unmatched: free in `pass` mode, whatever the origin serves there);
 * - entries that can never apply (dead-entries below): a free path or capability
 *   rule beside every pattern of its service, a pattern an earlier service
 *   already claims, free paths or rules on a service that charges nothing;
 * - no mint rate limit: nothing but the challenge cache stands between unpaid
 *   traffic and the node's invoice database; a per-client one without the
 *   per-network one (a wrangler.toml from before it);
 * - a D1 ledger without a cron trigger: unpaid challenges are never forgotten;
 * - a token that expires before its invoice does: a token's `timeout` runs from
 *   the challenge, so a payer taking the invoice's full time gets less, or nothing;
 * - uses or a balance on tokens that never expire: each token's Durable
 *   Object is kept for good;
 * - uses sold through the Payment scheme or x402: those credentials are
 *   refused a minute past their invoice's expiry, uses left or not;
 * - the Payment scheme on testnet: draft-lightning-charge names mainnet, regtest
 *   and signet only, so strict clients may refuse a testnet charge;
 * - a node reached by plain http:// beyond this machine: its credential crosses
 *   the network in clear on every call;
 * - a balance service whose reservation is more than any credit it sells:
 *   every new token is short on its first request (or more than the one sold
 *   by default, the first: such a token is); one with free requests,
 *   which no balance pays for (metered: of any length);
 * - a pattern an earlier service's takes some paths of (first match wins);
 * - L402_UNMATCHED = "pass" beside services matching named hosts only;
 * - a pattern matching a path the Worker answers itself where an origin may
 *   serve its own (`/openapi.json`, `/llms.txt`, …): the origin's is never reached.
 */
export function configWarnings(config: WorkerConfig, bindings: Declarations): string[] {
  const warnings = config.services.flatMap((service) => service.patterns.flatMap((pattern) => uncoveredPrefix(service, pattern)));
  warnings.push(...config.services.flatMap((service, index) => [...deadEntries(service), ...shadowedPatterns(config.services, index)]));
  for (const service of config.services) {
    if (service.timeoutSeconds !== undefined && service.timeoutSeconds <= config.invoiceExpirySeconds) {
      warnings.push(
        `${service.name}: its timeout (${service.timeoutSeconds} s) is not longer than an invoice stays payable (L402_INVOICE_EXPIRY, ${config.invoiceExpirySeconds} s): a token's time runs from the challenge, so one paid late is worth little or nothing`,
      );
    }
  }
  for (const service of config.services) {
    // A count or balance is forgotten a margin after its token expires (TokenMeter, TokenBalance): a token that never does is kept for good.
    const kept = service.balance !== undefined ? "balance" : service.uses !== undefined ? "count of uses" : undefined;
    if (kept !== undefined && service.timeoutSeconds === undefined) {
      warnings.push(`${service.name}: its tokens never expire (no timeout), so each token's ${kept} is kept in its Durable Object for good; set a timeout for them to be forgotten after it`);
    }
  }
  for (const service of config.services) {
    const charged = service.schemes.filter((scheme) => scheme === "mpp" || scheme === "x402");
    if (service.uses !== undefined && charged.length > 0) {
      warnings.push(
        `${service.name}: its uses are spent through ${charged.map((scheme) => `"${scheme}"`).join(" and ")} only until the invoice expires (L402_INVOICE_EXPIRY, ${config.invoiceExpirySeconds} s): a Payment charge or an x402 payment is refused a minute past it, however many uses are left; an L402 token keeps them for its timeout`,
      );
    }
  }
  for (const service of config.services) {
    const { balance } = service;
    if (balance === undefined) continue;
    if (service.freebies !== undefined) {
      warnings.push(`${service.name}: its free requests are not debited from any balance${balance.meter === undefined ? "" : " nor metered: one streams an answer of any length"}, whatever it costs the origin`);
    }
    // What a request reserves (reserve-balance.ts): the larger of its price and max_cost_sats.
    const reservedMsat = balance.maxCostMsat !== undefined && balance.maxCostMsat > service.priceMsat ? balance.maxCostMsat : service.priceMsat;
    const largest = balance.offers.reduce((most, offer) => (offer.creditMsat > most ? offer.creditMsat : most), 0n);
    const byDefault = balance.offers[0]?.creditMsat ?? 0n;
    if (reservedMsat > largest) {
      warnings.push(`${service.name}: a request reserves ${reservedMsat} msat (its price or max_cost_sats), more than the largest credit sold (${largest} msat): every new token is short on its first request and must be topped up first`);
    } else if (reservedMsat > byDefault) {
      warnings.push(`${service.name}: a request reserves ${reservedMsat} msat (its price or max_cost_sats), more than the credit a 402 sells by default (the first amount's, ${byDefault} msat): a token bought without X-L402-Credit is short on its first request; list an amount that covers it first`);
    }
  }
  if (config.network === "testnet" && config.services.some((service) => service.schemes.includes("mpp"))) {
    warnings.push('the "mpp" scheme on testnet: the lightning charge draft names mainnet, regtest and signet only, so strict Payment clients may refuse these charges');
  }
  if (!bindings.mintLimiter) {
    warnings.push(
      "L402_MINT_LIMITER is not bound: nothing caps how many invoices unpaid requests make the node create (the challenge cache only reuses one per client); add the [[ratelimits]] binding",
    );
  } else if (bindings.networkMintLimiter === false) {
    warnings.push(
      "L402_MINT_NETWORK_LIMITER is not bound: invoices are capped per client address only, so a network's many addresses (an IPv6 /48, an IPv4 /24) make as many as they like; add its [[ratelimits]] binding as the template's wrangler.toml has it",
    );
  }
  if (bindings.ledger === true && bindings.crons?.length === 0) {
    warnings.push(
      "the D1 ledger is bound but no cron trigger is set: unpaid challenges are never forgotten, so the ledger grows with every 402; add the template's [triggers] crons",
    );
  }
  warnings.push(...clearTextNode(config.node));
  const hosted = config.services.filter((service) => service.patterns.every((pattern) => pattern.hostname !== "*"));
  if (config.unmatched === "pass" && hosted.length > 0) {
    const names = hosted.map((service) => service.name);
    warnings.push(`L402_UNMATCHED is "pass" and ${names.join(", ")} ${names.length === 1 ? "matches" : "match"} only the hosts named: on any other host the Worker's routes cover, the same paths are forwarded free (nothing to fear if its routes cover those hosts alone)`);
  }
  warnings.push(...config.services.flatMap((service) => workerAnswers(service, config)));
  return warnings;
}

/**
 * The Worker's own paths that `service` matches, where an origin may serve
 * something of its own (`/openapi.json`, `/llms.txt`, an MCP endpoint, an
 * admin path moved there): the Worker answers them ahead of the paywall
 * (app.ts), so the origin's is never reached. Paths in the paywall's own
 * namespace (`/.well-known/l402…`: the default admin path, two discovery
 * documents; health and quotes are there too) are left out: no origin serves
 * those. Checked on the pattern's host, where it names one.
 */
function workerAnswers(service: ServiceConfig, config: WorkerConfig): string[] {
  const { adminPath } = config;
  const own: (readonly [paths: readonly string[], shown: string, alsoBelow?: true])[] = [
    // The admin API answers its path itself and all below it (app.ts mounts `${adminPath}/*`).
    [[adminPath, `${adminPath}/x`], `${adminPath}/*`, true],
    ...(config.discovery === undefined ? [] : DISCOVERY_PATHS.map((path) => [[path], `GET ${path}`] as const)),
    ...(config.paymentContext === undefined ? [] : [[[JWKS_PATH], `GET ${JWKS_PATH}`] as const]),
    ...(config.services.some((each) => each.mcp !== undefined) ? [[[config.mcpPath], config.mcpPath] as const] : []),
  ];
  const hosts = [...new Set(service.patterns.map((pattern) => sampleHost(pattern.hostname)))];
  const matches = (path: string) => hosts.some((host) => matchService([service], new URL(`https://${host}${path}`)) !== undefined);
  // A pattern lying wholly below such a path (`/admin/reports/*`) matches no probe, and is hidden all the same (ignoring case as the service matches).
  const fold = (path: string) => (service.matchCase ? path : path.toLowerCase());
  const below = (path: string) => service.patterns.some((pattern) => pathCovers(fold(path), fold(literalPath(pattern.pathname))));
  const hidden = own
    .filter(([[path]]) => !/^\/\.well-known\/l402(?:[/.-]|$)/.test(path ?? ""))
    .filter(([paths, , alsoBelow]) => paths.some(matches) || (alsoBelow === true && paths[0] !== undefined && below(paths[0])))
    .map(([, shown]) => shown);
  return hidden.length === 0 ? [] : [`${service.name}: its match takes in ${hidden.join(", ")}, which the Worker answers itself: the origin's own there is never reached`];
}

/**
 * A host a pattern's hostname matches, to check its paths on: the hostname
 * itself, or with its wildcards and named parts filled in (`*.shop.example` →
 * `x.shop.example`, `{api.}?shop.example` → `api.shop.example`); one that
 * cannot be filled in so takes example.com.
 */
function sampleHost(hostname: string): string {
  const filled = hostname.replace(/\{([^{}]*)\}[?*+]?/g, "$1").replace(/:[A-Za-z_$][\w$]*(?:\([^)]*\))?[?*+]?/g, "x").replace(/\*/g, "x").replace(/\\/g, "");
  return /^[a-z0-9.-]+$/i.test(filled) ? filled : "example.com";
}

function uncoveredPrefix(service: ServiceConfig, pattern: UrlPattern): string[] {
  const literal = /^[^*:({]*/.exec(pattern.pathname)?.[0].replace(/\\/g, "") ?? "";
  const prefix = literal.replace(/\/+$/, "");
  if (prefix === "" || prefix === pattern.pathname) return [];
  if (matchService([service], new URL(`https://${sampleHost(pattern.hostname)}${prefix}`)) !== undefined) return [];
  return [`${service.name}: the pattern ${pattern.pathname} does not match ${prefix} itself; if the origin serves ${prefix}, add it to match`];
}

/**
 * A free path or capability rule applies only to requests its service matched.
 * Every path a pattern matches lies at or below its literal path (`/api/:id` →
 * `/api`), so an entry whose literal path is beside (neither above nor below)
 * that of every pattern never applies. Finer overlaps are not judged: a warning
 * here is always true.
 */
function deadEntries(service: ServiceConfig): string[] {
  if (!service.auth) {
    const unused = [
      service.freePaths.length > 0 ? "free_paths" : "",
      service.capabilityRules.length > 0 ? "capability_rules" : "",
      service.uses !== undefined ? "uses" : "",
      service.freebies !== undefined ? "freebies" : "",
      service.balance !== undefined ? "balance" : "",
    ].filter((name) => name !== "");
    return unused.length === 0 ? [] : [`${service.name}: auth = false forwards every request free, so its ${unused.join(" and ")} never apply`];
  }
  const fold = (path: string) => (service.matchCase ? path : path.toLowerCase());
  const within = service.patterns.map((pattern) => fold(literalPath(pattern.pathname)));
  const outside = (entry: UrlPattern) => {
    const path = fold(literalPath(entry.pathname));
    return within.every((pattern) => !pathCovers(pattern, path) && !pathCovers(path, pattern));
  };
  const warnings = [
    ...service.freePaths.filter(outside).map((entry) => `${service.name}: the free path ${entry.pathname} lies outside every match pattern, so it never applies (a request must match the service first)`),
    ...service.capabilityRules.filter((rule) => outside(rule.path)).map((rule) => `${service.name}: the capability rule for ${rule.path.pathname} lies outside every match pattern, so it never applies (a request must match the service first)`),
  ];
  if (service.freePaths.length > 0 && service.patterns.every((pattern) => service.freePaths.some((entry) => covers({ pattern: entry, matchCase: true }, { pattern, matchCase: service.matchCase })))) {
    warnings.push(`${service.name}: its free_paths cover every match pattern, so it never charges (auth = false says that plainly)`);
  }
  return warnings;
}

/** Patterns of `service` that a service listed before it matches in full: the first match wins, so they never apply. */
function shadowedPatterns(services: readonly ServiceConfig[], index: number): string[] {
  const service = services[index] as ServiceConfig;
  const earlier = services.slice(0, index);
  return service.patterns.flatMap((pattern) => {
    const covering = coveringPattern(services, index, pattern);
    if (covering !== undefined) {
      return [`${service.name}: the pattern ${shown(pattern)} is covered by ${covering.service.name}'s ${shown(covering.pattern)}, listed earlier: the first service that matches wins, so it never applies`];
    }
    // Short of covering it, an earlier pattern may take some of its paths (`/api/:name` before `/api/premium`): probed with one path the pattern matches.
    const sample = samplePath(pattern.pathname);
    const url = sample === undefined ? undefined : new URL(`https://${sampleHost(pattern.hostname)}${sample}`);
    if (url === undefined || matchService([service], url) !== service) return [];
    const taker = earlier.find((before) => matchService([before], url) !== undefined);
    return taker === undefined ? [] : [`${service.name}: ${url.pathname} (one path its pattern ${shown(pattern)} matches) is ${taker.name}'s, listed earlier: the first service that matches wins, so such requests are sold at its terms`];
  });
}

/** A path `pathname` (a URLPattern) matches, its parameters and wildcards filled with a letter; undefined for one with regular expressions. */
function samplePath(pathname: string): string | undefined {
  if (pathname.includes("(")) return undefined;
  const filled = pathname.replace(/\{([^{}]*)\}[?*+]?/g, "$1").replace(/:[A-Za-z_$][\w$]*[?*+]?/g, "x").replace(/\*/g, "x").replace(/\\/g, "");
  return filled.startsWith("/") ? filled : undefined;
}

const shown = (pattern: UrlPattern) => (pattern.hostname === "*" ? pattern.pathname : `${pattern.hostname}${pattern.pathname}`);

/** What each backend's URL setting is called, and the credential every call to it carries. */
const NODE_URLS = {
  lnd: { setting: "LND_REST_URL", credential: "the macaroon" },
  cln: { setting: "CLN_REST_URL", credential: "the rune" },
  phoenixd: { setting: "PHOENIXD_URL", credential: "the http password" },
  lnbits: { setting: "LNBITS_URL", credential: "the invoice key" },
} as const;

function clearTextNode(node: NodeConfig): string[] {
  if (node.backend === "nwc") return [];
  if (!inClear(new URL(node.url))) return [];
  const { setting, credential } = NODE_URLS[node.backend];
  return [`${setting} is plain http:// to a host that is not this machine: ${credential} would cross the network in clear on every call; use https://`];
}

