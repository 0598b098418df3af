import type { Hono } from "hono";
import type { ServicesAdmin } from "../admin/service-routes.ts";
import { allPaused, effectiveServices, type OverridesSnapshot, type OverridesStore, type ServiceConfig } from "../config/index.ts";
import { overridesCache } from "./overrides-cache.ts";
import type { WorkerConfig } from "./worker-config.ts";
import type { WorkerEnv } from "./worker-env.ts";

/** The app to answer a request with; `later` keeps work alive after the answer (waitUntil). */
export type Served = (later: (work: Promise<unknown>) => void) => Hono<WorkerEnv> | Promise<Hono<WorkerEnv>>;

/** The version of the overrides an isolate has never read (the store failing): served fail-closed, see below. */
const UNREAD = -1;

/**
 * The Worker's services as the admin API's overrides make them: the config's
 * (`L402_SERVICES`), each with its override laid over it and checked by the
 * config's schema (config/service-overrides.ts). The overrides are read per
 * isolate through overrides-cache.ts, and the app is rebuilt only when their
 * version changes: a warm request does no I/O and builds nothing.
 *
 * An isolate that has not been able to read them yet (the store down) sells
 * nothing: every paid service answers as paused (503 `service_paused`, no free
 * path), while credentials already bought pass as always. Serving the config
 * instead would unpause a paused service, sell at a price the operator has
 * changed, and give away a path they made paid, because the store is down.
 * An isolate that has read them keeps the last it read while the store fails.
 */
export function liveServices(config: WorkerConfig, store: OverridesStore, ttlSeconds: number, build: (services: readonly ServiceConfig[], admin: ServicesAdmin) => Hono<WorkerEnv>): Served {
  const cache = overridesCache(store, ttlSeconds * 1000);
  const admin: ServicesAdmin = { base: config.serviceDefinitions, compile: config.compileServices, store, changed: () => cache.reread(), visibleWithinSeconds: ttlSeconds };
  let built: { readonly version: number; readonly app: Hono<WorkerEnv> } | undefined;

  const appFor = (snapshot: OverridesSnapshot | undefined): Hono<WorkerEnv> => {
    const version = snapshot?.version ?? UNREAD;
    if (built?.version === version) return built.app;
    built = { version, app: build(servicesFor(config, snapshot), admin) };
    return built.app;
  };
  return (later) => {
    const snapshot = cache.current(later);
    return snapshot instanceof Promise ? snapshot.then(appFor) : appFor(snapshot);
  };
}

function servicesFor(config: WorkerConfig, snapshot: OverridesSnapshot | undefined): readonly ServiceConfig[] {
  const paused = () => {
    const compiled = config.compileServices(allPaused(config.serviceDefinitions));
    // The config compiled once; paused, with fewer fields, it compiles again.
    return compiled.ok ? compiled.value : config.services.map((service) => ({ ...service, mode: "paused" as const, freePaths: [] }));
  };
  if (snapshot === undefined) return paused();
  const effective = effectiveServices(config.serviceDefinitions, snapshot, config.compileServices);
  if (!effective.ok) {
    console.error(JSON.stringify({ overrides: "the services with their overrides do not hold together; every service is paused", problems: effective.problems }));
    return paused();
  }
  for (const [service, problems] of effective.value.problems) {
    console.error(JSON.stringify({ overrides: "an override no longer makes a valid service and is set aside (a pause it holds still holds)", service, problems }));
  }
  return effective.value.services;
}
