import type { Context, Hono } from "hono";
import * as v from "valibot";
import { sha256, toHex, utf8 } from "../bytes.ts";
import { effectiveServices, overridden, OVERRIDABLE, overrideFields, patched, pricedByRequest, wholeNumber, type OverridesStore, type ServiceConfig, type ServiceOverride, type SettingsResult } from "../config/index.ts";
import { formatSats, isValidServiceName } from "../l402/index.ts";
import { badRequest, checked, detailOf, NO_STORE } from "./checks.ts";

/** What the admin API needs to change services at run time (README, "Changing prices at run time"). */
export interface ServicesAdmin {
  /** The services as the config defines them (`L402_SERVICES`): what overrides are laid over. */
  readonly base: readonly Readonly<Record<string, unknown>>[];
  /** Checks and compiles definitions as the config's are (same schema, bindings, secrets, node). */
  readonly compile: (definitions: unknown) => SettingsResult<ServiceConfig[]>;
  readonly store: OverridesStore;
  /** Called after a change: the isolate that made it reads the overrides again. */
  readonly changed: () => Promise<void>;
  /** Every isolate serves a change within this many seconds (L402_OVERRIDES_TTL). */
  readonly visibleWithinSeconds: number;
}

const nameParam = v.object({ name: v.pipe(v.string(), v.check(isValidServiceName, "a service name is letters, digits, '.', '_' or '-' (at most 64)")) });
const auditQuery = v.object({ limit: v.optional(wholeNumber(1, 500), 50) });

/** The admin credential as the audit trail names it: the first 8 hex digits of its SHA-256, which tell tokens apart and reveal nothing. */
export const credentialId = (token: string): string => toHex(sha256(utf8(token))).slice(0, 8);

/** A service's overridable fields as a definition gives them. */
const overridable = (definition: Readonly<Record<string, unknown>>): Record<string, unknown> => Object.fromEntries(OVERRIDABLE.filter((field) => definition[field] !== undefined).map((field) => [field, definition[field]]));

/** A problem as the override's fields name it: `price_sats: …`, or `service: …` for the service as a whole (the config's field and the service's name dropped). */
const asField = (problem: string): string => problem.replace(/^L402_SERVICES(?:\[0\]| "[^"]*")?/, "").replace(/^\./, "").replace(/^: /, "service: ");

/**
 * The run-time service endpoints, added to the admin app:
 *
 *   GET    /services                   each service: its config, its override, what is in effect
 *   PUT    /services/{name}            sets its override (the fields given, the config's for the rest)
 *   PATCH  /services/{name}            changes some of its override's fields (null: the config's again)
 *   DELETE /services/{name}/override   gives it back its config
 *   GET    /audit?limit=N              the latest changes, newest first
 */
export function serviceRoutes(app: Hono, admin: ServicesAdmin, token: string, current: () => readonly ServiceConfig[]): void {
  const by = credentialId(token);

  app.get("/services", async (c) => {
    const snapshot = await admin.store.read();
    const effective = effectiveServices(admin.base, snapshot, admin.compile);
    const compiled = effective.ok ? effective.value.services : current();
    const services = admin.base.map((base, index) => {
      const name = String(base["name"]);
      const override = snapshot.overrides.get(name);
      const problems = effective.ok ? effective.value.problems.get(name) : undefined;
      const service = compiled.find((candidate) => candidate.name === name);
      return {
        ...(service === undefined ? { name } : summary(service)),
        base: overridable(base),
        override: override ?? null,
        effective: overridable((effective.ok ? effective.value.definitions[index] : undefined) ?? base),
        ...(problems === undefined ? {} : { override_problems: problems }),
      };
    });
    return c.json({ version: snapshot.version, visible_within_seconds: admin.visibleWithinSeconds, services }, 200, { ...NO_STORE, ETag: `"${snapshot.version}"` });
  });

  const answer = (c: Context, outcome: ChangeOutcome) =>
    outcome.ok
      ? c.json({ service: outcome.service, override: outcome.override, version: outcome.version, visible_within_seconds: admin.visibleWithinSeconds }, 200, NO_STORE)
      : c.json({ reason: outcome.reason, detail: outcome.detail, ...(outcome.problems === undefined ? {} : { problems: outcome.problems }) }, outcome.status, NO_STORE);
  const bodyOf = async (c: Context): Promise<Record<string, unknown> | undefined> => {
    try {
      const body: unknown = JSON.parse(await c.req.text());
      return typeof body === "object" && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  };
  const notAnObject = `the body must be a JSON object naming some of ${OVERRIDABLE.join(", ")}`;

  /**
   * `If-Match` (RFC 9110 §13.1.1): the versions the change may be laid over,
   * as GET /services' ETag gives them (`"7"`, or `7`); `*` or none, whatever
   * is there. A weak tag (`W/"7"`) never matches.
   */
  const seen = (c: Context): { readonly seenVersions?: readonly number[] } | "unreadable" => {
    const header = c.req.header("if-match")?.trim();
    if (header === undefined || header === "*") return {};
    const versions: number[] = [];
    for (const tag of header.split(",").map((each) => each.trim())) {
      if (/^W\/"[^"]*"$/.test(tag)) continue;
      const version = /^"?(\d{1,15})"?$/.exec(tag)?.[1];
      if (version === undefined) return "unreadable";
      versions.push(Number(version));
    }
    return { seenVersions: versions };
  };
  const badIfMatch = 'If-Match must list the overrides\' versions as GET /services gives them (its ETag, e.g. "7"), or be *';
  for (const kind of ["put", "patch"] as const) {
    app.on(kind.toUpperCase(), "/services/:name", checked("param", nameParam), async (c) => {
      const fields = await bodyOf(c);
      if (fields === undefined) return badRequest(c, notAnObject);
      const version = seen(c);
      if (version === "unreadable") return badRequest(c, badIfMatch);
      return answer(c, await changeService(admin, c.req.param("name"), { kind, fields, ...version }, by));
    });
  }
  app.delete("/services/:name/override", checked("param", nameParam), async (c) => {
    const version = seen(c);
    if (version === "unreadable") return badRequest(c, badIfMatch);
    return answer(c, await changeService(admin, c.req.param("name"), { kind: "delete", ...version }, by));
  });
  app.get("/audit", checked("query", auditQuery), async (c) => {
    const { limit } = c.req.valid("query");
    return c.json({ changes: await admin.store.changes(limit) }, 200, NO_STORE);
  });
}

type Refusal = "bad_request" | "invalid_override" | "unknown_service" | "changed_meanwhile" | "service_paused";

/** What a change came to: the override now in effect (null: the config's service), or why it was refused (the one in effect is kept). */
export type ChangeOutcome =
  | { readonly ok: true; readonly service: string; readonly override: ServiceOverride | null; readonly version: number }
  | { readonly ok: false; readonly status: 400 | 404 | 409 | 412; readonly reason: Refusal; readonly detail: string; readonly problems?: readonly string[] };

/**
 * A PUT (the override becomes the fields given), a PATCH (the fields given
 * change; null: the config's again), or a DELETE (no override). `unlessPaused`:
 * refused (409) if the service is paused when the change is made.
 */
export type ServiceChange = ({ readonly kind: "put" | "patch"; readonly fields: Readonly<Record<string, unknown>>; readonly unlessPaused?: boolean } | { readonly kind: "delete" }) & {
  /** The overrides' versions the change may be laid over (the admin API's `If-Match`): another now makes it a 412, not an overwrite of what it did not see. */
  readonly seenVersions?: readonly number[];
};

/**
 * Changes a service's override as the admin API's PUT, PATCH and DELETE do:
 * the fields checked, the service they make parsed by the config's schema,
 * the change recorded in the audit trail under `by` (credentialId()), and
 * read again by this isolate. Anything that switches a service calls this
 * (the dashboard: `{ kind: "patch", fields: { mode: "shadow" } }`).
 */
export async function changeService(admin: ServicesAdmin, name: string, change: ServiceChange, by: string): Promise<ChangeOutcome> {
  const refuse = (status: 400 | 404 | 409 | 412, reason: Refusal, detail: string, problems?: readonly string[]): ChangeOutcome => ({ ok: false, status, reason, detail, ...(problems === undefined ? {} : { problems }) });
  const base = admin.base.find((service) => service["name"] === name);
  if (base === undefined) return refuse(404, "unknown_service", "no service of that name is configured (L402_SERVICES)");
  const snapshot = await admin.store.read();
  if (change.seenVersions !== undefined && !change.seenVersions.includes(snapshot.version)) {
    return refuse(412, "changed_meanwhile", `the overrides are at version ${snapshot.version}, not one this change was made from (If-Match): read them again (GET /services) and retry`);
  }
  const current = snapshot.overrides.get(name);
  if (change.kind !== "delete" && change.unlessPaused === true && overridden(base, current)["mode"] === "paused") {
    return refuse(409, "service_paused", "the service is paused; the admin API unpauses it (PATCH /services/{name})");
  }
  let next: ServiceOverride | null = null;
  let priceGiven = false;
  if (change.kind !== "delete") {
    const parsed = v.safeParse(overrideFields, change.fields);
    if (!parsed.success) return refuse(400, "bad_request", detailOf(parsed.issues));
    const fields = parsed.output as Record<string, unknown>;
    next = patched(change.kind === "put" ? undefined : current, fields) ?? null;
    if (next === null && change.kind === "put") return refuse(400, "bad_request", `the override names none of ${OVERRIDABLE.join(", ")}; DELETE /services/${name}/override gives the service back its config`);
    priceGiven = (fields["price_sats"] ?? null) !== null || (fields["price_msat"] ?? null) !== null;
  }
  // Nothing to undo: no change, no entry in the trail.
  if (next === null && current === undefined) return { ok: true, service: name, override: null, version: snapshot.version };
  if (next !== null) {
    const compiled = admin.compile([overridden(base, next)]);
    if (!compiled.ok) return refuse(400, "invalid_override", "the service this override makes is not valid; the one in effect is kept", compiled.problems.map(asField));
    const service = compiled.value[0];
    if (service !== undefined && pricedByRequest(service)) {
      if (priceGiven) return refuse(400, "bad_request", "this service's price depends on the request (price_rules, pricer, price, bind_request): its tokens carry the price they paid, so its prices change in the config");
      // A price kept from before the config priced the service by request would set the whole override aside (effectiveServices): this change (a pause) takes effect without it.
      next = withoutPrice(next);
    }
  }
  // Written only over what was read: a change landing in between (a pause) is never overwritten unseen.
  const version = await admin.store.write({ service: name, override: next, admin: by, at: Math.floor(Date.now() / 1000), over: snapshot.version });
  if (version === undefined) return refuse(409, "changed_meanwhile", "the overrides changed while this change was made; read them again (GET /services) and retry");
  await admin.changed();
  return { ok: true, service: name, override: next, version };
}

/** An override without a price (null: nothing left). */
function withoutPrice(override: ServiceOverride): ServiceOverride | null {
  const { price_sats: _sats, price_msat: _msat, ...rest } = override;
  return Object.keys(rest).length === 0 ? null : rest;
}

/** A service as the admin API lists it. */
export const summary = (s: ServiceConfig) => ({
  name: s.name,
  price_sats: Number(formatSats(s.priceMsat)),
  price_msat: String(s.priceMsat),
  mode: s.mode,
  auth: s.auth,
  timeout: s.timeoutSeconds ?? null,
  uses: s.uses ?? null,
  freebies: s.freebies ?? null,
  revocable: s.revocable,
  ledger: s.ledger,
});
