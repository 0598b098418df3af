-- Run-time overrides of the services in L402_SERVICES (binding L402_LEDGER; README,
-- "Changing prices at run time"), and the audit trail of every change.

-- One row per service with an override: the fields it sets, as JSON.
CREATE TABLE service_overrides (
  service TEXT PRIMARY KEY,
  override TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  updated_by TEXT NOT NULL
);

-- One row per change, never updated: its id is the overrides' version.
CREATE TABLE override_changes (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  admin TEXT NOT NULL,
  service TEXT NOT NULL,
  action TEXT NOT NULL,
  old_override TEXT,
  new_override TEXT
);
