import * as v from "valibot";
import type { SettingsResult } from "./problems.ts";
import type { ServiceConfig } from "./types.ts";
import { pricedByRequest } from "./usage-config.ts";

/**
 * Run-time overrides of a service's definition (README, "Changing prices at
 * run time"): the few fields an operator may change without a deploy, laid
 * over the service as the config defines it. The result is parsed by the very
 * schema the config is (schema.ts): an override is only as valid as the
 * service it makes.
 */

/** The fields an override may set; each replaces the config's (a price replaces both price fields). */
export const OVERRIDABLE = ["price_sats", "price_msat", "mode", "free_paths"] as const;
export type OverrideField = (typeof OVERRIDABLE)[number];
/** An override as stored: each field's value as the admin gave it (JSON), checked by the service schema once merged. */
export type ServiceOverride = Readonly<Partial<Record<OverrideField, unknown>>>;

const SHAPE = `an override names some of ${OVERRIDABLE.join(", ")} (null: the config's again)`;
/** A PUT's or PATCH's body: unknown keys are refused; values are the service schema's to judge, once merged. */
export const overrideFields = v.strictObject(
  { price_sats: v.optional(v.unknown()), price_msat: v.optional(v.unknown()), mode: v.optional(v.unknown()), free_paths: v.optional(v.unknown()) },
  (issue) => (issue.expected === "never" ? `has an unknown field ${JSON.stringify(String(issue.path?.at(-1)?.key ?? "").slice(0, 40))}: ${SHAPE}` : `must be a JSON object: ${SHAPE}`),
);

/** The override a change leaves (a PUT's over none, a PATCH's over the current one): its fields over the current one's; a null drops that field; nothing left is no override. */
export function patched(current: ServiceOverride | undefined, patch: Readonly<Record<string, unknown>>): ServiceOverride | undefined {
  const next: Record<string, unknown> = { ...current };
  for (const [field, value] of Object.entries(patch)) {
    if (value === null) delete next[field];
    else next[field] = value;
  }
  // A price given replaces the other field's current one too: the service has exactly one (both given, the schema says so).
  const given = (field: string) => patch[field] !== undefined && patch[field] !== null;
  if (given("price_sats") && !given("price_msat")) delete next["price_msat"];
  if (given("price_msat") && !given("price_sats")) delete next["price_sats"];
  return Object.keys(next).length === 0 ? undefined : next;
}

/** A service's definition with its override laid over it: a price given replaces both of the config's price fields. */
export function overridden(base: Readonly<Record<string, unknown>>, override: ServiceOverride | undefined): Record<string, unknown> {
  if (override === undefined) return { ...base };
  const merged: Record<string, unknown> = { ...base };
  if (override.price_sats !== undefined || override.price_msat !== undefined) {
    delete merged["price_sats"];
    delete merged["price_msat"];
  }
  for (const field of OVERRIDABLE) if (override[field] !== undefined) merged[field] = override[field];
  return merged;
}

/** Every override in effect, and the version they make (it grows with each change; 0: none ever made). */
export interface OverridesSnapshot {
  readonly version: number;
  readonly overrides: ReadonlyMap<string, ServiceOverride>;
}

/** One change, as the audit trail keeps it. */
export interface OverrideChange {
  readonly id: number;
  /** Unix seconds. */
  readonly at: number;
  /** The admin credential that made it: the first 8 hex digits of its SHA-256, never the credential. */
  readonly admin: string;
  readonly service: string;
  readonly action: "set" | "delete";
  readonly old: ServiceOverride | null;
  readonly new: ServiceOverride | null;
}

/** Where overrides are kept (the template Worker's: D1), with their audit trail. */
export interface OverridesStore {
  read(): Promise<OverridesSnapshot>;
  /** Sets a service's override (null: none), recording the change, if the overrides are still at version `over`: the new version; else undefined, nothing written. */
  write(change: { readonly service: string; readonly override: ServiceOverride | null; readonly admin: string; readonly at: number; readonly over: number }): Promise<number | undefined>;
  /** The latest changes, newest first. */
  changes(limit: number): Promise<OverrideChange[]>;
}

/** The effective services for a set of overrides, and the overrides that no longer make a valid service (the config changed under them). */
export interface Effective {
  readonly services: readonly ServiceConfig[];
  /** Each service's definition as in effect, in the config's order. */
  readonly definitions: readonly Readonly<Record<string, unknown>>[];
  readonly problems: ReadonlyMap<string, readonly string[]>;
}

/** Why a price override is set aside on a service priced by request (the admin API's refusal, in other words). */
const REQUEST_PRICED = "the service's price depends on the request (price_rules, pricer, price, bind_request): its prices change in the config, so its price override is set aside";

/**
 * The services as the overrides make them, each compiled by `compile` (the
 * host's compileServices, with its secrets and bindings). An override the
 * config no longer takes (a redeploy changed the service under it) is set
 * aside, and its problems kept for the admin API; but its mode holds where it
 * gives less away than the config's (a pause, an enforce over shadow): a
 * service never starts selling, or lets requests through, because its override
 * went bad.
 */
export function effectiveServices(base: readonly Readonly<Record<string, unknown>>[], snapshot: OverridesSnapshot, compile: (definitions: unknown) => SettingsResult<ServiceConfig[]>): SettingsResult<Effective> {
  const problems = new Map<string, readonly string[]>();
  const definitions = base.map((service) => {
    const override = snapshot.overrides.get(String(service["name"]));
    if (override === undefined) return service;
    const merged = overridden(service, override);
    const alone = compile([merged]);
    // A price laid over a service the config has since priced by request (the admin API refuses one there: its tokens carry their price).
    const priced = (override.price_sats ?? null) !== null || (override.price_msat ?? null) !== null;
    const compiled = alone.ok ? alone.value[0] : undefined;
    if (alone.ok && !(priced && compiled !== undefined && pricedByRequest(compiled))) return merged;
    problems.set(String(service["name"]), alone.ok ? [REQUEST_PRICED] : alone.problems);
    return { ...service, mode: stricter(override.mode, service["mode"]) };
  });
  const compiled = compile(definitions);
  return compiled.ok ? { ok: true, value: { services: compiled.value, definitions, problems } } : compiled;
}

/** Of an override's mode set aside and the config's, the one that gives least away: paused, then enforce, then shadow (a service switched to enforce never falls back to shadow, letting requests through unpaid). */
function stricter(overridden: unknown, configured: unknown): string {
  const order = ["paused", "enforce", "shadow"];
  const rank = (mode: unknown) => (typeof mode === "string" && order.includes(mode) ? order.indexOf(mode) : order.indexOf("enforce"));
  return order[Math.min(rank(overridden ?? configured), rank(configured))] ?? "enforce";
}

/** Every service paused, and no free path: what an isolate serves before it has read the overrides (README says why). */
export const allPaused = (base: readonly Readonly<Record<string, unknown>>[]): Record<string, unknown>[] =>
  base.map((service) => {
    const { free_paths: _dropped, ...rest } = service;
    return service["auth"] === false || service["auth"] === "false" ? service : { ...rest, mode: "paused" };
  });
