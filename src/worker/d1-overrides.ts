import type { OverrideChange, OverridesStore, ServiceOverride } from "../config/index.ts";

/**
 * The services' run-time overrides in D1 (migrations/0002_service_overrides.sql),
 * beside the ledger: one row per overridden service, and an append-only
 * trail of changes whose last id is the overrides' version. A change and its
 * trail entry are one batch (one transaction): the entry's old value is the
 * row as the change found it, whoever changed it last.
 */
export function d1Overrides(db: D1Database): OverridesStore {
  return {
    async read() {
      const [version, rows] = await db.batch([
        db.prepare("SELECT COALESCE(MAX(id), 0) AS version FROM override_changes"),
        db.prepare("SELECT service, override FROM service_overrides"),
      ]);
      const overrides = new Map<string, ServiceOverride>();
      for (const row of (rows?.results ?? []) as { service: string; override: string }[]) overrides.set(row.service, JSON.parse(row.override) as ServiceOverride);
      return { version: Number((version?.results[0] as { version: number } | undefined)?.version ?? 0), overrides };
    },
    async write({ service, override, admin, at, over }) {
      const text = override === null ? null : JSON.stringify(override);
      // Only at the version read (the trail's last id); the row changes only if the trail entry was written (changes(): one transaction).
      const [recorded] = await db.batch([
        db
          .prepare(
            "INSERT INTO override_changes (at, admin, service, action, old_override, new_override) " +
              "SELECT ?, ?, ?, ?, (SELECT override FROM service_overrides WHERE service = ?), ? WHERE (SELECT COALESCE(MAX(id), 0) FROM override_changes) = ?",
          )
          .bind(at, admin, service, override === null ? "delete" : "set", service, text, over),
        text === null
          ? db.prepare("DELETE FROM service_overrides WHERE service = ? AND changes() = 1").bind(service)
          : db.prepare("INSERT OR REPLACE INTO service_overrides (service, override, updated_at, updated_by) SELECT ?, ?, ?, ? WHERE changes() = 1").bind(service, text, at, admin),
      ]);
      return recorded?.meta.changes === 1 ? Number(recorded.meta.last_row_id) : undefined;
    },
    async changes(limit) {
      const { results } = await db
        .prepare("SELECT id, at, admin, service, action, old_override, new_override FROM override_changes ORDER BY id DESC LIMIT ?")
        .bind(limit)
        .all<{ id: number; at: number; admin: string; service: string; action: string; old_override: string | null; new_override: string | null }>();
      return results.map(
        (row): OverrideChange => ({
          id: row.id,
          at: row.at,
          admin: row.admin,
          service: row.service,
          action: row.action === "delete" ? "delete" : "set",
          old: row.old_override === null ? null : (JSON.parse(row.old_override) as ServiceOverride),
          new: row.new_override === null ? null : (JSON.parse(row.new_override) as ServiceOverride),
        }),
      );
    },
  };
}
