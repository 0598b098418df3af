import { dirname, join } from "node:path";
import { WHOLE_SAT_BACKENDS, type Backend } from "../src/config/index.ts";
import { isNetwork, type Network } from "../src/lightning/index.ts";
import { isBackend } from "./dev-backend.ts";
import { DEMO_ROUTES, demoServices } from "./demo-origin.ts";
import { usageWalkthrough } from "./demo-usage.ts";
import type { WranglerEnv } from "./wrangler-env.ts";

/**
 * What `npm run dev` runs the Worker with: the demo services, or an operator's
 * own configuration (`--config FILE`) with a simulator as its node and the
 * demo origin standing in wherever a service has no origin of its own.
 */
export interface StackPlan {
  /** The configuration file wrangler dev reads (bindings, vars), when not the project's. */
  readonly configPath: string | undefined;
  /** Where the master key lives (created on first run when missing). */
  readonly devVarsPath: string;
  readonly network: Network;
  /** The kind of node the configuration names (its simulator stands in), unless `--backend` says otherwise. */
  readonly backend: Backend;
  /** Vars given on wrangler dev's command line; they win over the file's. */
  readonly vars: Record<string, string>;
  /** The origin secret header, and a secret the operator already uses for it (the demo origin checks it). */
  readonly originAuthHeader: string;
  readonly originSecret: string | undefined;
  /** The configuration binds the D1 ledger, whose migrations are applied first. */
  readonly hasLedger: boolean;
  /** No routes to stand for the request's host: the demo origin is the request's own origin (wrangler's --local-upstream). */
  readonly demoOriginIsUpstream: boolean;
  /** How to try it, once up; `walletUrl`: the simulator's stand-in phone wallet. */
  walkthrough(workerUrl: string, walletUrl: string): string;
}

export class PlanError extends Error {}

export function demoPlan(originUrl: string, devVarsPath: string, backend: Backend = "lnd"): StackPlan {
  return {
    configPath: undefined,
    devVarsPath,
    network: "regtest",
    backend,
    vars: { L402_NETWORK: "regtest", L402_SERVICES: JSON.stringify(demoServices(originUrl, { wholeSats: WHOLE_SAT_BACKENDS[backend] !== undefined })) },
    originAuthHeader: "X-L402-Origin-Auth",
    originSecret: undefined,
    hasLedger: true,
    demoOriginIsUpstream: false,
    walkthrough: (workerUrl, walletUrl) => `Try it:
  curl -i ${workerUrl}${DEMO_ROUTES.quote}                        # 402 with an invoice (5 sats)
  curl -s ${workerUrl}${DEMO_ROUTES.free}                         # free
  npx l402-edge get ${workerUrl}${DEMO_ROUTES.quote}              # pays 5 sats, prints the quote
  npx l402-edge get ${workerUrl}${DEMO_ROUTES.quote}              # reuses the token: no payment
  npx l402-edge get --no-pay "${workerUrl}/api/weather?city=Oslo"   # shows the price (21 sats)
  npx l402-edge get -i ${workerUrl}${DEMO_ROUTES.calls}           # metered: 10 sats buy 3 calls (X-L402-Remaining)
  curl -s ${workerUrl}${DEMO_ROUTES.joke}                         # 2 free jokes per hour per network, then 2 sats
  npx l402-edge tokens list

In a browser: open ${workerUrl}${DEMO_ROUTES.article} (3 sats), then pay its
invoice as a phone would, in the simulator's wallet: ${walletUrl}
The page moves on to the article by itself.

${usageWalkthrough(workerUrl)}`,
  };
}

/** The operator's configuration, as wrangler reads it, made to run on this machine. */
export function operatorPlan(wrangler: WranglerEnv, originUrl: string): StackPlan {
  const { env } = wrangler;
  const services = readServices(env["L402_SERVICES"]);
  const local = services.map((service) => {
    const origin = (service["origin"] ?? {}) as Record<string, unknown>;
    return origin["url"] === undefined ? { ...service, origin: { ...origin, url: originUrl } } : service;
  });
  const network = typeof env["L402_NETWORK"] === "string" && env["L402_NETWORK"] !== "" ? env["L402_NETWORK"] : "mainnet";
  if (!isNetwork(network)) throw new PlanError("L402_NETWORK must be mainnet, testnet, signet or regtest");
  const backend = typeof env["L402_BACKEND"] === "string" && env["L402_BACKEND"] !== "" ? env["L402_BACKEND"] : "lnd";
  if (!isBackend(backend)) throw new PlanError("L402_BACKEND must be lnd, nwc, lnbits, phoenixd or cln");
  const stringOr = (name: string, fallback: string) => (typeof env[name] === "string" && env[name] !== "" ? (env[name] as string) : fallback);
  return {
    configPath: wrangler.configPath,
    devVarsPath: join(dirname(wrangler.configPath), ".dev.vars"),
    network,
    backend,
    vars: { L402_SERVICES: JSON.stringify(local) },
    originAuthHeader: stringOr("L402_ORIGIN_AUTH_HEADER", "X-L402-Origin-Auth"),
    originSecret: typeof env["L402_ORIGIN_SECRET"] === "string" && env["L402_ORIGIN_SECRET"] !== "" ? env["L402_ORIGIN_SECRET"] : undefined,
    hasLedger: env["L402_LEDGER"] !== undefined,
    demoOriginIsUpstream: !wrangler.hasRoutes,
    walkthrough: (workerUrl, walletUrl) =>
      [
        `Your services (${wrangler.configPath}, network ${network}; the demo origin stands in where a service has no origin.url):`,
        ...local.map((service) => {
          const price = service["price_sats"] !== undefined ? `${String(service["price_sats"])} sats` : `${String(service["price_msat"])} msat`;
          const { host, path } = samplePath(String((service["match"] as unknown[] | undefined)?.[0] ?? "/"));
          const hostFlag = host === undefined || wrangler.hasRoutes ? "" : `-H "Host: ${host}" `;
          const modes = [service["uses"] === undefined ? "" : `${String(service["uses"])} uses`, service["freebies"] === undefined ? "" : `${String(service["freebies"])} free`, service["auth"] === false ? "free" : price].filter((m) => m !== "").join(", ");
          return `  curl -i ${hostFlag}${workerUrl}${path}   # ${String(service["name"])}: ${modes}`;
        }),
        `  npx l402-edge get <one of those URLs>         # pays through the simulator`,
        ...(local.some((service) => service["browser"] === true) ? [`  In a browser, pay a page's invoice in the simulator's wallet: ${walletUrl}`] : []),
      ].join("\n"),
  };
}

function readServices(raw: unknown): Record<string, unknown>[] {
  let list = raw;
  if (typeof raw === "string") {
    try {
      list = JSON.parse(raw);
    } catch {
      throw new PlanError("L402_SERVICES in the configuration is not valid JSON (npm run check-config says more)");
    }
  }
  if (!Array.isArray(list) || !list.every((entry) => typeof entry === "object" && entry !== null)) {
    throw new PlanError("L402_SERVICES in the configuration must be an array of services (npm run check-config says more)");
  }
  return list as Record<string, unknown>[];
}

/** A concrete path a pattern matches, to show the operator: `/weather/*` → `/weather/example`. */
function samplePath(pattern: string): { host: string | undefined; path: string } {
  const slash = pattern.indexOf("/");
  const host = slash > 0 ? pattern.slice(0, slash) : undefined;
  const path = pattern
    .slice(Math.max(slash, 0))
    .replace(/\([^)]*\)[?*+]?/g, "x")
    .replace(/:[A-Za-z_]\w*[?*+]?/g, "1")
    .replace(/\*/g, "example")
    .replace(/[{}]/g, "");
  return { host: host !== undefined && /^[a-z0-9.-]+$/i.test(host) ? host : undefined, path };
}
