import { fail, succeed, type Result } from "./result.ts";

/**
 * First-party caveats as the reference mints them: `condition=value`, split on
 * the first `=`. Known conditions:
 *
 *   services=<name>:<tier>[,...]     the services the token covers
 *   <service>_capabilities=a,b       what it may do there (absent: everything)
 *   <service>_valid_until=<unix s>   valid while now < value
 *   <service>_uses=<n>               requests the payment bought (metered services)
 *
 * Monotonic rule: a later caveat of the same condition may only narrow the one
 * before it, so a holder can attenuate a token but never widen it. Unknown
 * conditions are ignored, leaving room for caveats meant for other verifiers.
 */
export const SERVICES = "services";
export const capabilitiesCondition = (service: string): string => `${service}_capabilities`;
export const validUntilCondition = (service: string): string => `${service}_valid_until`;
export const usesCondition = (service: string): string => `${service}_uses`;

const CAPABILITIES_SUFFIX = "_capabilities";
const VALID_UNTIL_SUFFIX = "_valid_until";
const USES_SUFFIX = "_uses";
const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export interface Predicate {
  readonly condition: string;
  readonly value: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export const encodeCaveat = (condition: string, value: string): Uint8Array => encoder.encode(`${condition}=${value}`);

/** Undefined when the bytes are not UTF-8 `condition=value`. */
export function decodeCaveat(bytes: Uint8Array): Predicate | undefined {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    return undefined;
  }
  const at = text.indexOf("=");
  if (at <= 0) return undefined;
  return { condition: text.slice(0, at), value: text.slice(at + 1) };
}

export const isValidServiceName = (name: string): boolean => SERVICE_NAME.test(name) && name.length <= 64;

/** The caveats a paywall mints for one service, in the reference's order. */
export function serviceCaveats(grant: {
  service: string;
  tier?: number;
  capabilities?: readonly string[];
  validUntil?: number;
  uses?: number;
}): Uint8Array[] {
  if (!isValidServiceName(grant.service)) throw new TypeError(`invalid service name "${grant.service}"`);
  const caveats = [encodeCaveat(SERVICES, `${grant.service}:${grant.tier ?? 0}`)];
  if (grant.capabilities !== undefined) {
    caveats.push(encodeCaveat(capabilitiesCondition(grant.service), grant.capabilities.join(",")));
  }
  if (grant.validUntil !== undefined) {
    caveats.push(encodeCaveat(validUntilCondition(grant.service), String(Math.floor(grant.validUntil))));
  }
  if (grant.uses !== undefined) caveats.push(encodeCaveat(usesCondition(grant.service), String(grant.uses)));
  return caveats;
}

export interface CaveatContext {
  readonly service: string;
  /** The capabilities this request needs (none: it needs none); the token must grant each. */
  readonly capabilities?: readonly string[];
  /** Unix seconds. */
  readonly now: number;
}

/** What the caveats grant, after every check passed. */
export interface Grant {
  readonly services: readonly string[];
  readonly capabilities?: readonly string[];
  readonly validUntil?: number;
  /** Requests the token may make, for metered services; counted outside the token. */
  readonly uses?: number;
  /**
   * The expiry minted together with the token's metered count: the
   * `<service>_valid_until` directly before its first `<service>_uses` caveat.
   * Holders can only append caveats, so no holder can move it; the count of uses
   * may be forgotten after it, never after a narrower one a holder added.
   * Absent when the token was minted without an expiry (or without a count).
   */
  readonly mintedValidUntil?: number;
}

type Condition = (value: string) => ReadonlySet<string> | number | undefined;

/**
 * What a token's caveats say, once read: each known condition's narrowest value
 * (later ones having been checked to narrow earlier ones), and the conditions in
 * order. It holds for every request; `grantFor` applies it to one.
 */
export interface CaveatReading {
  readonly latest: ReadonlyMap<string, ReadonlySet<string> | number>;
  readonly conditions: readonly Predicate[];
}

/** Checks every caveat against the context; returns the grant or the first failure. */
export function checkCaveats(caveats: readonly Uint8Array[], context: CaveatContext): Result<Grant> {
  const reading = readCaveats(caveats);
  return reading.ok ? grantFor(reading.value, context) : reading;
}

/** Reads the caveats: every one `condition=value`, known values readable, none widening an earlier one. */
export function readCaveats(caveats: readonly Uint8Array[]): Result<CaveatReading> {
  const latest = new Map<string, ReadonlySet<string> | number>();
  const conditions: Predicate[] = [];
  for (const bytes of caveats) {
    const predicate = decodeCaveat(bytes);
    if (predicate === undefined) return fail("invalid_caveat", "a caveat is not UTF-8 condition=value");
    conditions.push(predicate);
    const parse = parserFor(predicate.condition);
    if (parse === undefined) continue;
    const value = parse(predicate.value);
    if (value === undefined) {
      return fail("invalid_caveat", `unreadable ${predicate.condition} caveat "${predicate.value}"`);
    }
    const earlier = latest.get(predicate.condition);
    if (earlier !== undefined && !narrows(value, earlier)) {
      return fail("caveat_widened", `a later ${predicate.condition} caveat widens an earlier one`);
    }
    latest.set(predicate.condition, value);
  }
  return succeed({ latest, conditions });
}

/** What the caveats grant for one request: its service, the capabilities it needs, now. */
export function grantFor(reading: CaveatReading, context: CaveatContext): Result<Grant> {
  const { latest } = reading;
  const services = latest.get(SERVICES);
  if (!(services instanceof Set)) return fail("service_mismatch", "the token names no service");
  if (!services.has(context.service)) {
    return fail("service_mismatch", `the token is for ${[...services].join(", ")}, not ${context.service}`);
  }
  const validUntil = latest.get(validUntilCondition(context.service));
  if (typeof validUntil === "number" && !(context.now < validUntil)) {
    return fail("expired", `the token expired at ${validUntil}`);
  }
  const capabilities = latest.get(capabilitiesCondition(context.service));
  const missing = capabilities instanceof Set ? context.capabilities?.find((needed) => !capabilities.has(needed)) : undefined;
  if (missing !== undefined) return fail("capability_denied", `the token does not grant "${missing}" on ${context.service}`);
  const uses = latest.get(usesCondition(context.service));
  const mintedValidUntil = typeof uses === "number" ? validUntilMintedWithUses(reading.conditions, context.service) : undefined;
  return succeed({
    services: [...services],
    ...(capabilities instanceof Set ? { capabilities: [...capabilities] } : {}),
    ...(typeof validUntil === "number" ? { validUntil } : {}),
    ...(typeof uses === "number" ? { uses } : {}),
    ...(mintedValidUntil === undefined ? {} : { mintedValidUntil }),
  });
}

/** See Grant.mintedValidUntil. The caveats have been read, so the values parse. */
function validUntilMintedWithUses(conditions: readonly Predicate[], service: string): number | undefined {
  const first = conditions.findIndex((predicate) => predicate.condition === usesCondition(service));
  const before = first > 0 ? conditions[first - 1] : undefined;
  return before?.condition === validUntilCondition(service) ? parseUnixTime(before.value) : undefined;
}

/** The services named by the first readable `services` caveat (what the minter granted). */
export function namedServices(caveats: readonly Uint8Array[]): string[] {
  for (const bytes of caveats) {
    const predicate = decodeCaveat(bytes);
    if (predicate?.condition !== SERVICES) continue;
    return [...(parseServices(predicate.value) ?? [])];
  }
  return [];
}

function parserFor(condition: string): Condition | undefined {
  if (condition === SERVICES) return parseServices;
  if (condition.endsWith(CAPABILITIES_SUFFIX)) return parseCapabilities;
  if (condition.endsWith(VALID_UNTIL_SUFFIX)) return parseUnixTime;
  if (condition.endsWith(USES_SUFFIX)) return parseCount;
  return undefined;
}

/** `name:tier,...` → the set of names. Tiers are carried but grant nothing here. */
function parseServices(value: string): ReadonlySet<string> | undefined {
  const names = new Set<string>();
  for (const entry of value.split(",")) {
    const match = /^([^:]+):(\d{1,3})$/.exec(entry);
    if (match === null || !isValidServiceName(match[1] as string)) return undefined;
    names.add(match[1] as string);
  }
  return names;
}

const parseCapabilities = (value: string): ReadonlySet<string> =>
  new Set(value === "" ? [] : value.split(",").map((capability) => capability.trim()));

const parseUnixTime = (value: string): number | undefined => (/^\d{1,12}$/.test(value) ? Number(value) : undefined);
const parseCount = (value: string): number | undefined => (/^[1-9]\d{0,8}$/.test(value) ? Number(value) : undefined);

function narrows(later: ReadonlySet<string> | number, earlier: ReadonlySet<string> | number): boolean {
  if (typeof later === "number" || typeof earlier === "number") {
    return typeof later === "number" && typeof earlier === "number" && later <= earlier;
  }
  for (const item of later) if (!earlier.has(item)) return false;
  return true;
}
