import { fromUtf8 } from "../bytes.ts";
import { fail, succeed, type Result } from "./result.ts";

/**
 * First-party caveats as the reference mints them: `condition=value`, split on
 * the first `=`. Known conditions:
 *
 *   services=<name>:<tier>[,...]     the services the token covers
 *   <service>_capabilities=a,b       what it may do there (absent: everything)
 *   <service>_valid_until=<unix s>   valid while now < value
 *   <service>_uses=<n>               requests the payment bought (metered services)
 *   <service>_price_msat=<n>         what each request may cost (request-priced services)
 *   <service>_request=<64 hex>       the one request it was priced for (its digest)
 *   <service>_topup=<token id hex>   a top-up: its payment credits that token's balance
 *   <service>_credit_msat=<n>        the balance the payment bought (balance services)
 *
 * Monotonic rule: a later caveat of the same condition may only narrow the one
 * before it, so a holder can attenuate a token but never widen it. Unknown
 * conditions are ignored, leaving room for caveats meant for other verifiers.
 *
 * Price, request, credit and top-up caveats grant as much as they restrict (a
 * credit, a dearer price, another token's balance), so only the minter may
 * write them: it puts them before the services caveat, which it then writes
 * last; holders can only append, after it. One found after the first
 * services caveat makes the token invalid, unless it narrows one the minter
 * wrote (a copy that pays only for cheaper requests) — never a credit: it
 * opens the token's one balance, shared by every copy, so a narrower one
 * would cap no copy, and would shrink the balance paid for if shown first.
 */
export const SERVICES = "services";
export const capabilitiesCondition = (service: string): string => `${service}_capabilities`;
export const validUntilCondition = (service: string): string => `${service}_valid_until`;
export const usesCondition = (service: string): string => `${service}_uses`;
export const priceCondition = (service: string): string => `${service}_price_msat`;
export const requestCondition = (service: string): string => `${service}_request`;
export const creditCondition = (service: string): string => `${service}_credit_msat`;
export const topupCondition = (service: string): string => `${service}_topup`;

const CAPABILITIES_SUFFIX = "_capabilities";
const VALID_UNTIL_SUFFIX = "_valid_until";
const USES_SUFFIX = "_uses";
const CREDIT_SUFFIX = "_credit_msat";
const PRICE_SUFFIX = "_price_msat";
const REQUEST_SUFFIX = "_request";
const TOPUP_SUFFIX = "_topup";
const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export interface Predicate {
  readonly condition: string;
  readonly value: string;
}

const encoder = new TextEncoder();

export const encodeCaveat = (condition: string, value: string): Uint8Array => encoder.encode(`${condition}=${value}`);

/** Undefined when the bytes are not UTF-8 `condition=value`. */
export function decodeCaveat(bytes: Uint8Array): Predicate | undefined {
  const text = fromUtf8(bytes);
  if (text === undefined) return undefined;
  const at = text.indexOf("=");
  if (at <= 0) return undefined;
  return { condition: text.slice(0, at), value: text.slice(at + 1) };
}

export const isValidServiceName = (name: string): boolean => SERVICE_NAME.test(name) && name.length <= 64;

/** The caveats a paywall mints for one service, in the reference's order (services last when a minter-only caveat comes too). */
export function serviceCaveats(grant: {
  service: string;
  tier?: number;
  capabilities?: readonly string[];
  validUntil?: number;
  uses?: number;
  priceMsat?: bigint;
  request?: string;
  creditMsat?: bigint;
  topupFor?: string;
}): Uint8Array[] {
  if (!isValidServiceName(grant.service)) throw new TypeError(`invalid service name "${grant.service}"`);
  const services = encodeCaveat(SERVICES, `${grant.service}:${grant.tier ?? 0}`);
  const minterOnly = grant.priceMsat !== undefined || grant.request !== undefined || grant.creditMsat !== undefined || grant.topupFor !== undefined;
  const caveats = minterOnly ? [] : [services];
  if (grant.capabilities !== undefined) {
    caveats.push(encodeCaveat(capabilitiesCondition(grant.service), grant.capabilities.join(",")));
  }
  if (grant.validUntil !== undefined) {
    caveats.push(encodeCaveat(validUntilCondition(grant.service), String(Math.floor(grant.validUntil))));
  }
  if (grant.uses !== undefined) caveats.push(encodeCaveat(usesCondition(grant.service), String(grant.uses)));
  if (grant.priceMsat !== undefined) caveats.push(encodeCaveat(priceCondition(grant.service), String(grant.priceMsat)));
  if (grant.request !== undefined) caveats.push(encodeCaveat(requestCondition(grant.service), grant.request));
  // A top-up's target before its credit: the expiry minted with a balance is the one before the first of them (grantFor).
  if (grant.topupFor !== undefined) caveats.push(encodeCaveat(topupCondition(grant.service), grant.topupFor));
  if (grant.creditMsat !== undefined) caveats.push(encodeCaveat(creditCondition(grant.service), String(grant.creditMsat)));
  if (minterOnly) caveats.push(services);
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
  /** The most each request may cost: what the token was bought at, on a request-priced service. */
  readonly priceMsat?: bigint;
  /** Hex digest of the one request the token was priced for. */
  readonly request?: string;
  /** The balance the token's payment bought (a top-up's: what it adds). */
  readonly creditMsat?: bigint;
  /** A top-up token: the hex id of the token whose balance its payment credits (minted before its credit; a holder's is refused). */
  readonly topupFor?: string;
  /**
   * The expiry minted together with the token's count or balance: the
   * `<service>_valid_until` directly before the first of its
   * `<service>_uses`, `<service>_topup` and `<service>_credit_msat` caveats
   * (the first of them is the minted one: a holder may append a `uses` or
   * the same `topup`, never a credit).
   * Holders can only append caveats, so no holder can move it; the count or
   * balance may be forgotten after it, never after a narrower one a holder
   * added. Absent when the token was minted without an expiry (or without a
   * count or balance).
   */
  readonly mintedValidUntil?: number;
}

type Value = ReadonlySet<string> | number | bigint | string;

/**
 * What a token's caveats say, once read: each known condition's narrowest value
 * (later ones having been checked to narrow earlier ones), and the conditions in
 * order. It holds for every request; `grantFor` applies it to one.
 */
export interface CaveatReading {
  readonly latest: ReadonlyMap<string, Value>;
  readonly conditions: readonly Predicate[];
}

/** Checks every caveat against the context; returns the grant or the first failure. */
export function checkCaveats(caveats: readonly Uint8Array[], context: CaveatContext): Result<Grant> {
  const reading = readCaveats(caveats);
  return reading.ok ? grantFor(reading.value, context) : reading;
}

/** Reads the caveats: every one `condition=value`, known values readable, none widening an earlier one. */
export function readCaveats(caveats: readonly Uint8Array[]): Result<CaveatReading> {
  const latest = new Map<string, Value>();
  const conditions: Predicate[] = [];
  let afterServices = false;
  for (const bytes of caveats) {
    const read = readCaveat(bytes);
    if (read === undefined) return fail("invalid_caveat", "a caveat is not UTF-8 condition=value");
    const { predicate, kind, value } = read;
    conditions.push(predicate);
    const { condition } = predicate;
    if (afterServices && (kind === "amount" || kind === "digest")) {
      if (condition.endsWith(CREDIT_SUFFIX)) return fail("invalid_caveat", `a ${condition} caveat after the services caveat: a credit opens the token's one balance, which no copy can narrow`);
      if (!latest.has(condition)) return fail("invalid_caveat", `a ${condition} caveat after the services caveat: only the minter grants it`);
    }
    if (kind === "services") afterServices = true;
    if (kind === "unknown") continue;
    if (value === undefined) {
      return fail("invalid_caveat", `unreadable ${condition} caveat "${predicate.value}"`);
    }
    const earlier = latest.get(condition);
    if (earlier !== undefined && !narrows(value, earlier)) {
      return fail("caveat_widened", `a later ${condition} caveat widens an earlier one`);
    }
    latest.set(condition, value);
  }
  return succeed({ latest, conditions });
}

/** What a condition is, by its name: which parser reads its value, and whether only the minter may write it (amounts, digests). */
type Kind = "services" | "capabilities" | "validUntil" | "uses" | "amount" | "digest" | "unknown";

/** One pass over the name's ending, for both the minter's check and the parser. */
function kindOf(condition: string): Kind {
  if (condition === SERVICES) return "services";
  if (condition.endsWith(CAPABILITIES_SUFFIX)) return "capabilities";
  if (condition.endsWith(VALID_UNTIL_SUFFIX)) return "validUntil";
  if (condition.endsWith(USES_SUFFIX)) return "uses";
  if (condition.endsWith(PRICE_SUFFIX) || condition.endsWith(CREDIT_SUFFIX)) return "amount";
  if (condition.endsWith(REQUEST_SUFFIX) || condition.endsWith(TOPUP_SUFFIX)) return "digest";
  return "unknown";
}

/** A caveat read: its text, what its condition is, and its value (undefined: unreadable, or an unknown condition's). */
interface CaveatRead {
  readonly predicate: Predicate;
  readonly kind: Kind;
  readonly value: Value | undefined;
}

/**
 * The caveats every token of a service carries alike (its services, its
 * capabilities), read once per isolate and shared, found by their bytes: a
 * token never seen before has its service's, and reading them again (text,
 * name, value) was half of what a cold verification does beside its hashes
 * in workerd. Keyed by a hash of the bytes, which are then compared whole.
 * Never changed (grantFor copies the sets). Bounded: a holder may append
 * caveats of its own.
 */
const MAX_SHARED_KEPT = 256;
const sharedReads = new Map<number, { readonly bytes: Uint8Array; readonly read: CaveatRead }>();

/** Undefined when the bytes are not UTF-8 `condition=value`. */
function readCaveat(bytes: Uint8Array): CaveatRead | undefined {
  const hash = fnv1a(bytes);
  const shared = sharedReads.get(hash);
  if (shared !== undefined && sameBytes(shared.bytes, bytes)) return shared.read;
  const predicate = decodeCaveat(bytes);
  if (predicate === undefined) return undefined;
  const kind = kindOf(predicate.condition);
  const read = { predicate, kind, value: kind === "unknown" ? undefined : valueOf(kind, predicate.value) };
  if (kind === "services" || kind === "capabilities") {
    if (sharedReads.size === MAX_SHARED_KEPT) sharedReads.clear();
    // A copy: the token's buffer is neither kept nor trusted to stay as it is.
    sharedReads.set(hash, { bytes: bytes.slice(), read });
  }
  return read;
}

/** 32-bit FNV-1a: a key for the shared reads, not a check (the bytes are compared). */
function fnv1a(bytes: Uint8Array): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) hash = Math.imul(hash ^ (bytes[i] as number), 0x01000193);
  return hash;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A known condition's value, read (undefined: unreadable). */
function valueOf(kind: Exclude<Kind, "unknown">, value: string): Value | undefined {
  switch (kind) {
    case "services":
      return parseServices(value);
    case "capabilities":
      return parseCapabilities(value);
    case "validUntil":
      return parseUnixTime(value);
    case "uses":
      return parseCount(value);
    case "amount":
      return parseAmount(value);
    case "digest":
      return parseDigest(value);
  }
}

/** One service's condition names. */
interface ServiceConditions {
  readonly capabilities: string;
  readonly validUntil: string;
  readonly uses: string;
  readonly price: string;
  readonly request: string;
  readonly credit: string;
  readonly topup: string;
  /** The conditions whose first one was minted with the token's expiry (Grant.mintedValidUntil). */
  readonly counted: readonly string[];
}

/**
 * Condition names by service, built once: a name joined anew for each lookup
 * must be hashed anew, and that cost more than the rest of `grantFor`. Bounded,
 * as the services come from the caller.
 */
const conditionsByService = new Map<string, ServiceConditions>();
const MAX_SERVICES_KEPT = 256;

function conditionsOf(service: string): ServiceConditions {
  let conditions = conditionsByService.get(service);
  if (conditions === undefined) {
    const uses = usesCondition(service);
    const topup = topupCondition(service);
    const credit = creditCondition(service);
    conditions = {
      capabilities: capabilitiesCondition(service),
      validUntil: validUntilCondition(service),
      uses,
      price: priceCondition(service),
      request: requestCondition(service),
      credit,
      topup,
      counted: [uses, topup, credit],
    };
    if (conditionsByService.size === MAX_SERVICES_KEPT) conditionsByService.clear();
    conditionsByService.set(service, conditions);
  }
  return conditions;
}

/** What the caveats grant for one request: its service, the capabilities it needs, now. */
export function grantFor(reading: CaveatReading, context: CaveatContext): Result<Grant> {
  const { latest } = reading;
  const services = latest.get(SERVICES);
  if (!(services instanceof Set)) return fail("service_mismatch", "the token names no service");
  if (!services.has(context.service)) {
    return fail("service_mismatch", `the token is for ${[...services].join(", ")}, not ${context.service}`);
  }
  const names = conditionsOf(context.service);
  const validUntil = latest.get(names.validUntil);
  if (typeof validUntil === "number" && !(context.now < validUntil)) {
    return fail("expired", `the token expired at ${validUntil}`);
  }
  const capabilities = latest.get(names.capabilities);
  const missing = capabilities instanceof Set ? context.capabilities?.find((needed) => !capabilities.has(needed)) : undefined;
  if (missing !== undefined) return fail("capability_denied", `the token does not grant "${missing}" on ${context.service}`);
  const uses = latest.get(names.uses);
  const priceMsat = latest.get(names.price);
  const request = latest.get(names.request);
  const creditMsat = latest.get(names.credit);
  const topupFor = latest.get(names.topup);
  // Only what the caveats say is set: a grant's absent fields are absent, not undefined.
  const grant: { -readonly [K in keyof Grant]: Grant[K] } = { services: [...services] };
  if (capabilities instanceof Set) grant.capabilities = [...capabilities];
  if (typeof validUntil === "number") grant.validUntil = validUntil;
  if (typeof uses === "number") grant.uses = uses;
  if (typeof priceMsat === "bigint") grant.priceMsat = priceMsat;
  if (typeof request === "string") grant.request = request;
  if (typeof creditMsat === "bigint") grant.creditMsat = creditMsat;
  if (typeof topupFor === "string") grant.topupFor = topupFor;
  if (typeof uses === "number" || typeof creditMsat === "bigint") {
    const mintedValidUntil = validUntilMintedWith(reading.conditions, names);
    if (mintedValidUntil !== undefined) grant.mintedValidUntil = mintedValidUntil;
  }
  return succeed(grant);
}

/** See Grant.mintedValidUntil. The caveats have been read, so the values parse. */
function validUntilMintedWith(conditions: readonly Predicate[], names: ServiceConditions): number | undefined {
  const first = conditions.findIndex((predicate) => names.counted.includes(predicate.condition));
  const before = first > 0 ? conditions[first - 1] : undefined;
  return before?.condition === names.validUntil ? parseUnixTime(before.value) : undefined;
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

/** `name:tier,...` → the set of names. Tiers are carried but grant nothing here. */
function parseServices(value: string): ReadonlySet<string> | undefined {
  const names = new Set<string>();
  for (const entry of value.split(",")) {
    const colon = entry.lastIndexOf(":");
    if (colon < 0) return undefined;
    const name = entry.slice(0, colon);
    if (!isDigits(entry.slice(colon + 1), 3) || !isValidServiceName(name)) return undefined;
    names.add(name);
  }
  return names;
}

function parseCapabilities(value: string): ReadonlySet<string> {
  const capabilities = new Set<string>();
  if (value !== "") for (const capability of value.split(",")) capabilities.add(capability.trim());
  return capabilities;
}

/** 1 to `most` ASCII digits. A loop, not a pattern: measured cheaper on a caveat's fresh, short strings. */
function isDigits(value: string, most: number): boolean {
  if (value.length === 0 || value.length > most) return false;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x30 || code > 0x39) return false;
  }
  return true;
}

const parseUnixTime = (value: string): number | undefined => (isDigits(value, 12) ? Number(value) : undefined);
/** Whole and positive, written without a leading zero. */
const isCount = (value: string, most: number): boolean => isDigits(value, most) && value[0] !== "0";
const parseCount = (value: string): number | undefined => (isCount(value, 9) ? Number(value) : undefined);
/** Millisatoshis: whole, positive, at most 21 million bitcoin's worth of digits. */
const parseAmount = (value: string): bigint | undefined => (isCount(value, 19) ? BigInt(value) : undefined);
/** A sha256 or token id, in lowercase hex. */
const parseDigest = (value: string): string | undefined => (/^[0-9a-f]{64}$/.test(value) ? value : undefined);

/** A later value narrows an earlier one: a subset, a number or amount no greater, the same digest (another binds to nothing). */
function narrows(later: Value, earlier: Value): boolean {
  if (typeof later === "string" || typeof earlier === "string") return later === earlier;
  if (typeof later === "bigint" || typeof earlier === "bigint") return typeof later === "bigint" && typeof earlier === "bigint" && later <= earlier;
  if (typeof later === "number" || typeof earlier === "number") {
    return typeof later === "number" && typeof earlier === "number" && later <= earlier;
  }
  for (const item of later) if (!earlier.has(item)) return false;
  return true;
}
