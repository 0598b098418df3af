-- The paywall's decision counts, added up across isolates (binding L402_LEDGER;
-- L402_DECISION_FLUSH_SECONDS; README, "Metrics"). Each isolate adds what it
-- counted since its last flush, in one batch, at most once per period.

-- One row per UTC day, service, outcome and reason: how many, and what their 402s asked.
CREATE TABLE decision_counts (
  day TEXT NOT NULL,
  service TEXT NOT NULL,
  outcome TEXT NOT NULL,
  reason TEXT NOT NULL,
  count INTEGER NOT NULL,
  asked_msat INTEGER NOT NULL,
  PRIMARY KEY (day, service, outcome, reason)
);
